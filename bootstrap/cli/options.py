"""Options several commands share, spelled once so their names, types and help never drift apart; and the one
builder of the MFA code source every command uses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from bootstrap import limits
from bootstrap.errors import InputError

if TYPE_CHECKING:
    from bootstrap.engineer.codes import CodeRequest, CodeSource
    from bootstrap.prompts import Prompter

F = TypeVar("F", bound=Callable[..., object])

FILE = click.Path(path_type=Path, dir_okay=False)

const_file = click.option("--const-file", type=FILE, help="Default: ./CONST.inc, else at the git root.")


def team_files(command: F) -> F:
    """--const-file, --config-template, --credentials-template: the team's three input files."""
    command = click.option("--credentials-template", type=FILE, help="Default: aws-cli.credentials.tpl.")(command)
    command = click.option("--config-template", type=FILE, help="Default: aws-cli.config.tpl.")(command)
    return const_file(command)


def access_key(key_help: str, secret_help: str) -> Callable[[F], F]:
    """--access-key-id and --secret-access-key-stdin: a key id as a flag, its secret only ever from stdin (a secret
    on a command line lands in shell history and ``ps``)."""

    def decorate(command: F) -> F:
        command = click.option(
            "--secret-access-key-stdin",
            is_flag=True,
            help=f"Read {secret_help} from stdin (never give a secret as an argument).",
        )(command)
        return click.option("--access-key-id", help=key_help)(command)

    return decorate


def token_code_command(help_text: str) -> Callable[[F], F]:
    """--token-code-command (also $AWS_IAM_BOOTSTRAP_TOKEN_CODE_COMMAND): a password manager's otp command."""
    return click.option(
        limits.CODE_COMMAND_FLAG,
        "token_code_command",
        metavar="CMD",
        envvar=limits.CODE_COMMAND_ENV,
        show_envvar=True,
        help=help_text,
    )


token_code = click.option(
    "--token-code", metavar="CODE", help="The 6-digit MFA code, instead of being asked for it (it is used once)."
)


def duration(default: int | None, help_text: str, *, low: int = limits.SESSION_MIN) -> Callable[[F], F]:
    return click.option(
        "--duration",
        type=click.IntRange(low, limits.SESSION_MAX),
        default=default,
        show_default=default is not None,
        help=help_text,
    )


def code_source(
    token_code: str | None, token_code_command: str | None, prompter: Prompter, *, answer_with: str | None = None
) -> CodeSource:
    """Where MFA codes come from: --token-code (one code, once), --token-code-command (run for each code, within
    $AWS_IAM_BOOTSTRAP_TOKEN_CODE_TIMEOUT seconds, 60 by default), else the person at ``prompter``.

    The flags are checked at once; the source itself is made when first asked (``Deferred``)."""
    from bootstrap.cli.environment import current

    if token_code and token_code_command:
        raise InputError("--token-code and --token-code-command: give one of them")
    environment = current()
    timeout = limits.CODE_COMMAND_TIMEOUT
    if token_code_command:
        raw = environment.environ.get(limits.CODE_COMMAND_TIMEOUT_ENV)
        try:
            timeout = float(raw) if raw else limits.CODE_COMMAND_TIMEOUT
        except ValueError:
            raise InputError(f"${limits.CODE_COMMAND_TIMEOUT_ENV}: {raw!r} is not a number of seconds") from None

    def make() -> CodeSource:
        from bootstrap.engineer import codes

        if token_code:
            return codes.FixedCode(token_code)
        if token_code_command:
            return codes.CommandCodes(token_code_command, environment.clock, timeout=timeout)
        return codes.PromptCodes(prompter, answer_with) if answer_with else codes.PromptCodes(prompter)

    return Deferred(make)


class Deferred:
    """A code source made when it is first asked anything. Most runs of `refresh` and `credential-process` find a
    valid session and ask no code: they need not load the code rules at all."""

    def __init__(self, make: Callable[[], CodeSource]) -> None:
        self._make = make
        self._made: CodeSource | None = None

    @property
    def source(self) -> CodeSource:
        if self._made is None:
            self._made = self._make()
        return self._made

    @property
    def can_answer(self) -> bool:
        return self.source.can_answer

    @property
    def asks_again(self) -> bool:
        return self.source.asks_again

    def __call__(self, request: CodeRequest) -> str:
        return self.source(request)
