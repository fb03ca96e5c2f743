"""Printing for the click layer: everything shown passes through ``redact.mask``; user data (profile names,
reasons, file contents) is printed as text, never read as rich markup, so ``[example-dev]`` stays visible.

Also the two printers more than one command uses: ``StepPrinter`` (the step events of onboard and rotate-key, also
narrated by demo) and ``print_report`` (verify's table, also shown by demo).
"""

from __future__ import annotations

import shutil
import sys
from typing import Any

import click

from bootstrap import redact


def out(text: str = "", *, nl: bool = True) -> None:
    """Print to stdout, masked."""
    click.echo(redact.mask(text), nl=nl)


def err(text: str = "", *, nl: bool = True) -> None:
    """Print to stderr, masked (progress, headings, warnings)."""
    click.echo(redact.mask(text), nl=nl, err=True)


def human_duration(seconds: float) -> str:
    if seconds < 0:
        return "expired"
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def console(default_width: int) -> Any:
    """A rich console: the terminal's width, or (piped: CI logs, grep) one wide enough to keep a row on one line."""
    from rich.console import Console

    width = shutil.get_terminal_size((default_width, 24)).columns if sys.stdout.isatty() else default_width
    return Console(width=width, highlight=False, markup=False)


def table(title: str, columns: tuple[str, ...]) -> Any:
    from rich.table import Table

    made = Table(title=title, title_justify="left")
    for column in columns:
        made.add_column(column, overflow="fold")
    return made


def styled(text: str, style: str) -> Any:
    """``text`` (masked, never markup) in a rich style."""
    from rich.text import Text

    return Text(redact.mask(text), style=style)


class StepPrinter:
    """Shows the core's step events: a heading per step, its result, notes, the QR code, role results."""

    def __init__(self, steps: int) -> None:
        self.steps = steps

    def __call__(self, event: Any) -> None:
        from bootstrap.engineer import steps as core

        if isinstance(event, core.StepStarted):
            out()
            out(click.style(f"[{event.step}/{self.steps}] {event.title}", bold=True))
        elif isinstance(event, core.StepDone):
            out(f"  {click.style('✓', fg='green')} {event.result}")
        elif isinstance(event, core.Note):
            mark = {"warn": click.style("! warning:", fg="yellow"), "dry-run": "· dry run:", "info": "·"}[event.level]
            out(f"  {mark} {event.text}")
        elif isinstance(event, core.MfaDeviceCreated):
            if event.resumed:
                out(f"  virtual MFA device {event.serial}, created by the interrupted run (same QR code as then)")
            else:
                out(f"  created virtual MFA device {event.serial}")
            out("  Scan this QR code with your authenticator app (Google Authenticator, 1Password, Authy...):")
            out(event.qr)
            if event.png is not None:
                out(f"  the QR code is also in {event.png} (mode 0600: it holds the device's secret)")
            if event.show_seed:
                out(f"  seed (type it into your app if you cannot scan): {event.seed}")
        elif isinstance(event, core.RoleChecked):
            mark = click.style("✓", fg="green") if event.ok else click.style("✗", fg="red")
            out(f"  {mark} {event.profile}: {event.detail}")
        elif isinstance(event, core.Links):
            if event.signin_url:
                out(f"  sign in to the console: {event.signin_url}")
            for display, url in event.roles:
                out(f"  switch to {display}: {url}")
            out(f"  every morning, one MFA code for the day: {event.tomorrow}")


def print_report(report: Any) -> None:
    """Print an ``engineer.verify.VerifyReport`` as the table `verify` shows (also used by `demo`)."""
    shown = table("AWS profiles", ("Profile", "Account", "Role", "Result", "Error", "Reason", "Session left", "Took"))
    styles = {"ok": "green", "failed": "bold red", "skipped": "dim"}
    for check in report.checks:
        account = f"{check.account_id or '-'} {check.account_name or ''}".strip()
        left = human_duration(check.session_remaining) if check.session_remaining is not None else "-"
        reason = "; ".join(filter(None, [check.reason, *check.warnings])) or ""
        shown.add_row(
            styled(check.profile, ""),
            styled(account, ""),
            styled(check.role or "-", ""),
            styled(check.result.upper(), styles[check.result]),
            styled(check.error_code or "", ""),
            styled(reason, ""),
            left,
            f"{check.seconds:.2f}s",
        )
    printer = console(220)
    printer.print(shown)
    codes = "no MFA code" if report.codes_asked == 0 else f"{report.codes_asked} MFA code(s)"
    printer.print(f"{report.checked} checked, {len(report.failed)} failed, {codes} asked, in {report.seconds:.1f}s.")
    for note in report.notes:
        printer.print(f"Note: {redact.mask(note)}")
