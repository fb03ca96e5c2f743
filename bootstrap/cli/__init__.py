"""The click layer: parse, call one core function, print the result.

One module per family of commands. They import only click (and the small ``errors``/``redact``/``limits``
modules) at the top; the core they call is imported inside the command body. The families themselves are
loaded lazily (``LAZY``): ``aws-iam-bootstrap --help`` lists every command from this table without importing one,
and a command imports only its own family. Every command's docstring is its help; the table's one-line summary of
each is its docstring's first sentence (a test keeps the two equal).

Errors are converted here, once: a ``BootstrapError`` becomes ``Error: <masked message>`` and its exit code; Ctrl-C
becomes exit 130; anything else is a bug, reported in one line, with a masked traceback in a 0600 log under
``--debug``.
"""

from __future__ import annotations

import importlib
from typing import Final

import click

from bootstrap import __version__
from bootstrap.cli.environment import Environment
from bootstrap.errors import BootstrapError, ExitCode, Interrupted

# command -> (its module, its attribute, the first sentence of its docstring, shown by --help)
LAZY: Final = {
    "console-links": (
        "bootstrap.cli.files",
        "console_links",
        "Print the AWS console switch-role link of every role in CONST.inc (production in red).",
    ),
    "credential-process": (
        "bootstrap.cli.daily",
        "credential_process",
        "Print an MFA session as the JSON the AWS SDKs and CLI expect from `credential_process`.",
    ),
    "demo": (
        "bootstrap.cli.demo",
        "demo",
        "Watch the platform team add a new engineer and her first day, end to end, with no AWS account: on the "
        "embedded sandbox.",
    ),
    "env": ("bootstrap.cli.daily", "env", "Print temporary credentials of a profile as environment variables."),
    "exec": (
        "bootstrap.cli.daily",
        "exec_",
        "Run COMMAND with temporary credentials of a profile in its environment; exit with its exit code.",
    ),
    "onboard": (
        "bootstrap.cli.onboard",
        "onboard",
        "From the one-time access key you were given to your own key, behind MFA, with every profile working.",
    ),
    "org": (
        "bootstrap.cli.org",
        "org",
        "The organisation as code (the platform team's side): users.yaml and CONST.inc rendered as "
        "CloudFormation, checked, planned and applied; people added, granted, revoked and removed.",
    ),
    "pipeline": (
        "bootstrap.cli.pipeline",
        "pipeline",
        "CI pipelines that can do one thing: a user that may only assume its role, a role trusted by that user "
        "alone with short sessions, proven over every IAM action; or a role trusted by GitHub's OIDC tokens.",
    ),
    "policy": (
        "bootstrap.cli.policy",
        "policy",
        "Least-privilege IAM policies from what a workload really calls: record it, generate the policy, prove it "
        "by replay on the sandbox.",
    ),
    "refresh": (
        "bootstrap.cli.daily",
        "refresh",
        "Renew your MFA session: one code, then every role profile works for the day.",
    ),
    "render": (
        "bootstrap.cli.files",
        "render",
        "Render CONST.inc and the two templates into your AWS config and credentials files.",
    ),
    "rotate-key": (
        "bootstrap.cli.onboard",
        "rotate_key",
        "Replace your long-term access key: create a new one, prove it works, write it, retire the old one.",
    ),
    "sandbox": ("bootstrap.cli.sandbox", "sandbox", "Run a local AWS (moto behind an IAM authorizer) until Ctrl-C."),
    "trust": (
        "bootstrap.cli.trust",
        "trust",
        "Who may assume a role, said in words, and its trust edited without losing a principal.",
    ),
    "verify": (
        "bootstrap.cli.daily",
        "verify",
        "Check that every profile works, and say in plain words why the others do not.",
    ),
}


def _shortened(text: str, limit: int) -> str:
    """``text`` cut at a word to fit ``limit`` characters, with "..." when cut (as click shortens help)."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 3, 1)].rsplit(" ", 1)[0].rstrip(",;:") + "..."


class _Main(click.Group):
    """The one place errors become messages and exit codes (the core never prints or exits), and the lazy loading
    of the command families."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY:
            module, attribute, _ = LAZY[cmd_name]
            command = getattr(importlib.import_module(module), attribute)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from ``LAZY``: listing them imports none."""
        limit = formatter.width - 6 - max(len(name) for name in LAZY)
        rows = [(name, _shortened(LAZY[name][2], limit)) for name in sorted(LAZY)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> object:
        try:
            try:
                return super().invoke(ctx)
            except KeyboardInterrupt:
                raise Interrupted() from None
        except BootstrapError as exc:
            click.echo(f"Error: {exc.format_message()}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug: one line, and the traceback only where --debug puts it
            from bootstrap.cli.debug import report

            click.echo(f"Error: {report(exc, ctx.find_object(Environment))}", err=True)
            ctx.exit(ExitCode.CHECK_FAILED)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="aws-iam-bootstrap")
@click.option(
    "--debug",
    is_flag=True,
    envvar="AWS_IAM_BOOTSTRAP_DEBUG",
    help="On an unexpected error, write its traceback (secrets masked) to a 0600 log and say where.",
)
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Take an engineer from "I was just given an AWS user" to every profile working, in every account,
    behind MFA, and keep it so; and give the platform team the organisation's IAM as code.

    Reads the team's CONST.inc, aws-cli.config.tpl and aws-cli.credentials.tpl and writes ~/.aws/config and
    ~/.aws/credentials without losing a line you wrote.

    Exit codes: 0 ok, 1 a check failed, 2 bad input, 3 AWS refused, 4 state needs you,
    5 an answer needs a flag (no terminal), 130 interrupted.
    """
    environment = ctx.ensure_object(Environment)
    environment.debug = environment.debug or debug
