"""What the org, pipeline and trust commands share: the options naming the team files and how the accounts are
reached, and the printer that shows a plan, its progress and a hand-over as they happen."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bootstrap.cli import options
from bootstrap.cli.output import err, out

if TYPE_CHECKING:
    from bootstrap.org.accounts import Access
    from bootstrap.org.apply import Method
    from bootstrap.org.load import Sources
    from bootstrap.org.model import Organisation
    from bootstrap.prompts import Prompter

F = TypeVar("F", bound=Callable[..., object])
VIA_ENV = "AWS_IAM_BOOTSTRAP_APPLY_VIA"


def files(command: F) -> F:
    command = click.option("--users-file", type=options.FILE, help="Default: users.yaml beside CONST.inc.")(command)
    return options.const_file(command)


def reach(command: F) -> F:
    """--profile and --via: how the accounts are reached and changed."""
    command = click.option(
        "--via",
        type=click.Choice(["cloudformation", "iam"]),
        default="cloudformation",
        envvar=VIA_ENV,
        show_envvar=True,
        show_default=True,
        help="cloudformation: one change set per account, shown and confirmed; iam: IAM API calls (the sandbox).",
    )(command)
    return click.option(
        "--profile",
        "profiles",
        multiple=True,
        metavar="ENV=PROFILE",
        help="The AWS profile that administers ENV's account (USERS for the users account); repeat per account. "
        "Also $AWS_IAM_BOOTSTRAP_ORG_PROFILES='USERS=a DEV=b'. Each is checked to be in its account first.",
    )(command)


def changing(command: F) -> F:
    command = click.option("--dry-run", is_flag=True, help="Read and plan; change nothing, write nothing.")(command)
    return click.option("--yes", is_flag=True, help="Apply without asking (the plan is still shown).")(command)


def find_sources(const_file: Path | None, users_file: Path | None) -> Sources:
    from bootstrap.org import load

    return load.find(Path.cwd(), const_file, users_file)


def organisation(const_file: Path | None, users_file: Path | None) -> tuple[Sources, Organisation]:
    from bootstrap.org import load

    sources = find_sources(const_file, users_file)
    return sources, load.load(sources)


def reacher(profiles: tuple[str, ...]) -> Callable[[Organisation, list[str]], Mapping[str, Access]]:
    from bootstrap.cli.environment import current
    from bootstrap.org import accounts

    given = accounts.parse_profiles(profiles, current().environ.get(accounts.PROFILES_ENV))
    return lambda org, envs: accounts.through_profiles(org, given, envs)


def method(via: str) -> Method:
    return "iam" if via == "iam" else "cloudformation"


def prompter() -> Prompter:
    from bootstrap.cli.prompts import TerminalPrompter

    return TerminalPrompter()


# --- printing -----------------------------------------------------------------------------------------------------


def say(text: str) -> None:
    out(text)


def write_users_file(sources: Sources, text: str, dry_run: bool) -> None:
    from bootstrap.org import workflow

    current = sources.users_file.read_text(encoding="utf-8") if sources.users_file.is_file() else ""
    if current == text:
        return
    if dry_run:
        say(f"dry run: {sources.users_file} would change")
        return
    workflow.write_text(sources.users_file, text)
    say(f"wrote {sources.users_file}")


def applied(done: object, dry_run: bool) -> None:
    if done is None:
        say("nothing to change: the accounts already hold the organisation")
    elif dry_run:
        say("dry run: nothing was changed")
    else:
        say("applied")


def show_plan(planned: Any) -> None:
    shown = planned.plan
    out(click.style(f"Plan against {planned.against}:", bold=True))
    if shown.empty:
        out("  no change")
        return
    for line in shown.people:
        out(f"  • {line}")
    for line in shown.other:
        out(f"  · {line}")
    for _name, diff in shown.diffs:
        out()
        out(diff.rstrip("\n"))


class Printer:
    """Shows the org commands' events as they happen (masked: ``out`` masks every known secret)."""

    def __call__(self, event: object) -> None:
        from bootstrap.org import apply, changesets, people, workflow

        if isinstance(event, workflow.Planned):
            show_plan(event)
        elif isinstance(event, apply.Progress):
            out(f"  {click.style('✓', fg='green')} {event.env}: {event.text}")
        elif isinstance(event, changesets.ChangeSetReady):
            out(f"  change set {event.name} on {event.stack} in {event.env}:")
            for change in event.changes:
                replace = f" (replacement: {change.replacement})" if change.replacement else ""
                out(f"    {change.action:<7} {change.logical_id} {change.resource_type}{replace}")
        elif isinstance(event, changesets.StackEvent):
            mark = click.style("✗", fg="red") if event.status.endswith("_FAILED") else "·"
            reason = f": {event.reason}" if event.reason else ""
            out(f"  {mark} {event.env} {event.stack} {event.logical_id} {event.status}{reason}")
        elif isinstance(event, changesets.Unchanged):
            out(f"  · {event.env}: stack {event.stack} has nothing to change")
        elif isinstance(event, people.Removal):
            out(f"  {click.style('✓', fg='green')} {event.text}")
        elif isinstance(event, workflow.Removed):
            out(f"{event.user} removed from the users account" if event.existed else f"{event.user}: no user left")
        elif isinstance(event, workflow.AlreadyHandedOver):
            out(f"{event.user}'s first credentials were handed over already: nothing new was made")
        elif isinstance(event, workflow.HandedOver):
            handed_over(event)
        else:
            err(f"  {event}")


def handed_over(event: Any) -> None:
    handover = event.handover
    if event.path is not None:
        out(f"{event.user}'s temporary console password and one-time access key: in {event.path} (mode 0600).")
        out("Pass them on by a safe channel, then delete the file.")
    else:
        # --print-secrets: the one place a secret reaches the terminal, because the admin asked for it
        click.echo(handover.text())
        return
    out(f"  console sign-in: {handover.signin_url} (the password must be changed at the first sign-in)")
    out(f"  {event.user} then runs: {handover.onboard_line}")
