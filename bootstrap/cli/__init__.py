"""The click layer: parse, call one core function, print the result.

One module per family of commands, each exporting ``COMMANDS``. They import only click (and the small
``errors``/``redact``/``limits`` modules) at the top; the core they call is imported inside the command body, so
``aws-iam-bootstrap --help`` loads click and nothing else. Every command's docstring is its help.

Errors are converted here, once: a ``BootstrapError`` becomes ``Error: <masked message>`` and its exit code; Ctrl-C
becomes exit 130; anything else is a bug, reported in one line, with a masked traceback in a 0600 log under
``--debug``.
"""

from __future__ import annotations

import click

from bootstrap import __version__
from bootstrap.cli import daily, demo, files, onboard, org, pipeline, policy, sandbox, trust
from bootstrap.cli.environment import Environment
from bootstrap.errors import BootstrapError, ExitCode, Interrupted


class _Main(click.Group):
    """The one place errors become messages and exit codes (the core never prints or exits)."""

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


for _module in (files, onboard, daily, org, pipeline, trust, sandbox, demo, policy):
    for _command in _module.COMMANDS:
        main.add_command(_command)
