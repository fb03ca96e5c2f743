"""The click layer: parse, call one core function, print the result.

One module per family of commands, each exporting ``COMMANDS``. They import only click (and the small
``errors``/``redact`` modules) at the top; the core they call is imported inside the command body, so
``aws-iam-bootstrap --help`` loads click and nothing else. Every command's docstring is its help.
"""

from __future__ import annotations

import click

from bootstrap import __version__
from bootstrap.cli import daily, demo, files, onboard, sandbox
from bootstrap.errors import Interrupted


class _Main(click.Group):
    """The one place Ctrl-C is caught: it becomes ``Interrupted`` (exit 130), reported like every other error,
    instead of click's bare "Aborted!" with exit 1. The core's writes are atomic, so nothing is half-written."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted() from None


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="aws-iam-bootstrap")
def main() -> None:
    """Take an engineer from "I was just given an AWS user" to every profile working, in every account,
    behind MFA, and keep it so.

    Reads the team's CONST.inc, aws-cli.config.tpl and aws-cli.credentials.tpl and writes ~/.aws/config and
    ~/.aws/credentials without losing a line you wrote.

    Exit codes: 0 ok, 1 a check failed, 2 bad input, 3 AWS refused, 4 state needs you,
    5 an answer needs a flag (no terminal), 130 interrupted.
    """


for _module in (files, onboard, daily, sandbox, demo):
    for _command in _module.COMMANDS:
        main.add_command(_command)
