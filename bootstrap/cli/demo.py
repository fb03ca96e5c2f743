"""Command: demo (a new engineer's first day on the embedded sandbox)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bootstrap.cli.output import StepPrinter, console, out, print_report, styled, table


@click.command()
@click.option("--interactive", is_flag=True, help="Show each MFA code the authenticator computes and let you type it.")
@click.option(
    "--keep",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write the throw-away HOME and AWS files into this directory and keep them (default: a temporary one).",
)
def demo(interactive: bool, keep: Path | None) -> None:
    """Watch the platform team add a new engineer and her first day, end to end, with no AWS account: on the
    embedded sandbox.

    Starts the sandbox (moto on 127.0.0.1, seeded with a users-only account, dev and prod), uses a throw-away
    HOME (never your ~/.aws), and runs the real commands: the admin's org add-user alice (users.yaml edited, the
    trusts applied, her temporary password and one-time key handed over in a 0600 file); alice's onboard with
    that key (render, MFA device with its QR code, own key, MFA session, every role checked, console links);
    next morning's refresh and verify; the admin's org grant of OPS on dev, and verify showing it work; then
    botocore using a role profile. Where a phone would give an MFA code, the demo's built-in
    authenticator computes it from the device's seed, and says so; the demo's clock jumps to the next 30-second
    window instead of waiting. alice's prod admin profile is refused by its trust policy: that is the point.

    Needs the sandbox extra: pip install 'aws-iam-bootstrap[sandbox]'.

    \b
    Example:
      aws-iam-bootstrap demo
      aws-iam-bootstrap demo --interactive --keep /tmp/alice
    """
    from bootstrap.cli.prompts import TerminalPrompter
    from bootstrap.demo import run_demo

    result = run_demo(_Printer(), prompter=TerminalPrompter() if interactive else None, keep=keep)
    _summary(result)


class _Printer:
    """Shows the demo's chapters and narration, and each command's own output as the command prints it."""

    def __init__(self) -> None:
        from bootstrap.cli.org_options import Printer as OrgPrinter
        from bootstrap.engineer.onboard import ONBOARD_STEPS

        self.onboard = StepPrinter(len(ONBOARD_STEPS))
        self.org = OrgPrinter()

    def __call__(self, event: Any) -> None:
        from bootstrap import demo
        from bootstrap.engineer import verify
        from bootstrap.org import apply, workflow

        if isinstance(event, demo.Chapter):
            out()
            out(click.style(f"━━ {event.number}. {event.title}", bold=True, fg="cyan"))
            out(click.style(f"   $ {event.command}", dim=True))
        elif isinstance(event, demo.Said):
            out(f"  · {event.text}")
        elif isinstance(event, demo.Shown):
            out(f"  {event.caption}:")
            for line in event.text.splitlines():
                out(f"  │ {line}")
        elif isinstance(event, verify.VerifyReport):
            print_report(event)
        elif isinstance(event, workflow.Planned | workflow.HandedOver | apply.Progress):
            self.org(event)
        else:
            self.onboard(event)


def _summary(result: Any) -> None:
    from rich.text import Text

    shown = table("What happened", ("Step", "Command", "Result"))
    for row in result.rows:
        mark = styled("✓", "green") if row.ok else styled("✗", "red")
        shown.add_row(Text.assemble(mark, " ", row.step), styled(row.command, ""), styled(row.result, ""))
    out()
    console(160).print(shown)
    out()
    out("What to run next:")
    for line in result.next_steps:
        out(f"  {line}")
