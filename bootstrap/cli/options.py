"""Options several commands share, spelled once so their names, types and help never drift apart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])

FILE = click.Path(path_type=Path, dir_okay=False)

const_file = click.option("--const-file", type=FILE, help="Default: ./CONST.inc, else at the git root.")


def team_files(command: F) -> F:
    """--const-file, --config-template, --credentials-template: the team's three input files."""
    command = click.option("--credentials-template", type=FILE, help="Default: aws-cli.credentials.tpl.")(command)
    command = click.option("--config-template", type=FILE, help="Default: aws-cli.config.tpl.")(command)
    return const_file(command)


def token_code_command(help_text: str) -> Callable[[F], F]:
    """--token-code-command (also $AWS_IAM_BOOTSTRAP_TOKEN_CODE_COMMAND): a password manager's otp command."""
    return click.option(
        "--token-code-command",
        metavar="CMD",
        envvar="AWS_IAM_BOOTSTRAP_TOKEN_CODE_COMMAND",
        show_envvar=True,
        help=help_text,
    )
