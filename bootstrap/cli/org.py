"""Commands: org render, check, plan, apply, add-user, grant, revoke, remove-user (the platform team's side).

They read CONST.inc and users.yaml (beside it; --users-file), reach each account through a profile the admin
names (--profile ENV=PROFILE, or $AWS_IAM_BOOTSTRAP_ORG_PROFILES), show a plan before anything changes, and take
--dry-run. Secrets (a new person's temporary password and one-time key) go to a 0600 file, or to stdout only
with --print-secrets.
"""

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


def _files(command: F) -> F:
    command = click.option("--users-file", type=options.FILE, help="Default: users.yaml beside CONST.inc.")(command)
    return options.const_file(command)


def _reach(command: F) -> F:
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


def _changing(command: F) -> F:
    command = click.option("--dry-run", is_flag=True, help="Read and plan; change nothing, write nothing.")(command)
    return click.option("--yes", is_flag=True, help="Apply without asking (the plan is still shown).")(command)


def _sources(const_file: Path | None, users_file: Path | None) -> Sources:
    from bootstrap.org import load

    return load.find(Path.cwd(), const_file, users_file)


def _organisation(const_file: Path | None, users_file: Path | None) -> tuple[Sources, Organisation]:
    from bootstrap.org import load

    sources = _sources(const_file, users_file)
    return sources, load.load(sources)


def _reacher(profiles: tuple[str, ...]) -> Callable[[Organisation, list[str]], Mapping[str, Access]]:
    from bootstrap.cli.environment import current
    from bootstrap.org import accounts

    given = accounts.parse_profiles(profiles, current().environ.get(accounts.PROFILES_ENV))
    return lambda org, envs: accounts.through_profiles(org, given, envs)


def _method(via: str) -> Method:
    return "iam" if via == "iam" else "cloudformation"


def _prompter() -> Prompter:
    from bootstrap.cli.prompts import TerminalPrompter

    return TerminalPrompter()


# --- commands -----------------------------------------------------------------------------------------------------


@click.command("render")
@_files
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Default: cfn/infra beside CONST.inc.")
@click.option("--dry-run", is_flag=True, help="Say which templates would change; write nothing.")
def render(const_file: Path | None, users_file: Path | None, out: Path | None, dry_run: bool) -> None:
    """Render the organisation as CloudFormation templates (YAML): one for the users account (groups, their
    policies and members) and one per environment account (the infra roles, each trusting exactly the people
    granted it, with MFA). Rendering twice gives the same bytes; only changed files are rewritten.

    \b
    Example:
      aws-iam-bootstrap org render
      aws-iam-bootstrap org render --out build/templates
    """
    from bootstrap.org import workflow

    sources, org = _organisation(const_file, users_file)
    directory = workflow.out_dir(sources, out)
    for written in workflow.render(org, directory, dry_run=dry_run):
        verb = ("would write" if dry_run else "wrote") if written.changed else "unchanged"
        _say(f"{verb} {written.path}")


@click.command("check")
@_files
@click.option("--no-lint", is_flag=True, help="Only the tool's own rules (skip cfn-lint, which takes seconds).")
def check(const_file: Path | None, users_file: Path | None, no_lint: bool) -> None:
    """Check the organisation before deploying it: the tool's rules (no '*' or account root in a human trust,
    MFA required, only people of the users file, IAM's trust-policy length quota and the large-team pattern,
    other IAM quotas; PowerG and OPS flagged: full IAM can escalate), then cfn-lint offline on the templates.
    Exit 1 when anything is an error.

    \b
    Example:
      aws-iam-bootstrap org check
    """
    from bootstrap.errors import CheckFailed
    from bootstrap.org import check as checks
    from bootstrap.org import cloudformation, state

    _, org = _organisation(const_file, users_file)
    states = state.desired(org)
    findings = checks.rules(org, states)
    if not no_lint:
        templates = {cloudformation.file_name(env): cloudformation.render(s) for env, s in states.items()}
        findings += checks.lint(templates, org.region)
    marks = {
        "error": click.style("✗ error", fg="red"),
        "warning": click.style("! warning", fg="yellow"),
        "note": "· note",
    }
    for finding in findings:
        out(f"{marks[finding.level]}: {finding.where}: {finding.text} [{finding.rule}]")
    errors = [f for f in findings if f.level == "error"]
    linted = "" if no_lint else ", cfn-lint included"
    out(f"{len(errors)} error(s), {len(findings) - len(errors)} warning(s) and note(s){linted}.")
    if errors:
        raise CheckFailed(f"{len(errors)} error(s): fix them before deploying")


@click.command("plan")
@_files
@_reach
@click.option("--offline", is_flag=True, help="Against the last rendered templates (--out), not the accounts.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="With --offline. Default: cfn/infra.")
def plan(
    const_file: Path | None,
    users_file: Path | None,
    profiles: tuple[str, ...],
    via: str,
    offline: bool,
    out: Path | None,
) -> None:
    """Show what applying would change: in people's terms first ("alice gains ADMIN on DEV; bob loses OPS on
    PROD; carol is new"), then as a diff of the templates. Against what the accounts hold (read through
    --profile), or with --offline against the templates last rendered.

    \b
    Example:
      aws-iam-bootstrap org plan --offline
      aws-iam-bootstrap org plan --profile USERS=acme-users-admin --profile DEV=acme-dev-admin \\
          --profile PROD=acme-prod-admin
    """
    from bootstrap.org import apply, workflow

    sources, org = _organisation(const_file, users_file)
    if offline:
        _show_plan(workflow.plan_offline(org, workflow.out_dir(sources, out)))
        return
    reach = _reacher(profiles)
    prepared = apply.prepare(org, reach(org, workflow.all_envs(org)), _method(via))
    _show_plan(workflow.Planned(prepared.plan, "the accounts"))


@click.command("apply")
@_files
@_reach
@_changing
def apply_command(
    const_file: Path | None, users_file: Path | None, profiles: tuple[str, ...], via: str, yes: bool, dry_run: bool
) -> None:
    """Deploy the organisation: read every account, show the plan, and once you confirm, change what differs
    (users account first, then each environment). With --via cloudformation each account gets a change set,
    shown and confirmed, then waited on with its stack events; with --via iam, IAM calls. Re-running after an
    interruption finishes the rest; nothing is changed before every profile is checked to be in its account.

    \b
    Example:
      aws-iam-bootstrap org apply --profile USERS=acme-users-admin --profile DEV=acme-dev-admin \\
          --profile PROD=acme-prod-admin
      aws-iam-bootstrap org apply --via iam --yes      # profiles from $AWS_IAM_BOOTSTRAP_ORG_PROFILES
    """
    from bootstrap.org import workflow

    _, org = _organisation(const_file, users_file)
    reach, method = _reacher(profiles), _method(via)
    envs = workflow.all_envs(org)
    done = workflow.deploy(org, envs, reach, method, _prompter(), _Printer(), yes=yes, dry_run=dry_run)
    _applied(done, dry_run)


@click.command("add-user")
@click.argument("name")
@click.option("--grant", "grants", multiple=True, metavar="ENV:KIND", help="A role NAME may assume (repeat).")
@click.option("--power", is_flag=True, help="Also in infra-PowerG: full IAM without a role (the selected few).")
@click.option(
    "--handover-file",
    type=options.FILE,
    help="Where the temporary password and one-time key go (0600). Default: aws-iam-bootstrap/handover/NAME.txt "
    "beside your AWS credentials file.",
)
@click.option("--print-secrets", is_flag=True, help="Print the temporary password and one-time key instead.")
@click.option("--no-apply", is_flag=True, help="Only edit users.yaml (for review); `org apply` deploys it.")
@_files
@_reach
@_changing
def add_user(
    name: str,
    grants: tuple[str, ...],
    power: bool,
    handover_file: Path | None,
    print_secrets: bool,
    no_apply: bool,
    const_file: Path | None,
    users_file: Path | None,
    profiles: tuple[str, ...],
    via: str,
    yes: bool,
    dry_run: bool,
) -> None:
    """Add a person: write them into users.yaml, create their user in the users account (in the two groups),
    apply the trusts that now name them, and hand over a temporary console password (to be changed at first
    sign-in) and one one-time access key, with the sign-in URL and the line they run next. The secrets go to a
    0600 file (or stdout with --print-secrets), never to a log. Running it again finishes an interrupted run.

    \b
    Example:
      aws-iam-bootstrap org add-user carol --grant DEV:ADMIN --grant PROD:READ
    """
    from bootstrap.errors import InputError
    from bootstrap.org import workflow

    if handover_file is not None and print_secrets:
        raise InputError("--handover-file and --print-secrets: give one of them")
    sources, org = _organisation(const_file, users_file)
    wanted = workflow.parse_grants(grants)
    before, after, text = workflow.edited(sources, workflow.add_user_edit(org, name, wanted, power))
    _write_users_file(sources, text, dry_run)
    if no_apply:
        _say(f"users.yaml names {name}; `org apply` creates them, then `org add-user {name}` hands over credentials")
        return
    reach = _reacher(profiles)
    envs = workflow.people_envs(before, after) or ["USERS"]
    if "USERS" not in envs:
        envs = ["USERS", *envs]
    printer = _Printer()
    done = workflow.deploy(after, envs, reach, _method(via), _prompter(), printer, yes=yes, dry_run=dry_run)
    if dry_run:
        _say(f"dry run: {name}'s temporary password and one-time key would be made and handed over")
        return
    users = done.access["USERS"] if done is not None else reach(after, ["USERS"])["USERS"]
    to = None if print_secrets else workflow.handover_path(name, handover_file)
    workflow.hand_over(after, users, name, printer, to=to)


@click.command("grant")
@click.argument("name")
@click.argument("roles", nargs=-1, required=True, metavar="ENV:KIND...")
@click.option("--no-apply", is_flag=True, help="Only edit users.yaml (for review); `org apply` deploys it.")
@_files
@_reach
@_changing
def grant(name: str, roles: tuple[str, ...], **kwargs: Any) -> None:
    """Let a person assume more roles: edit users.yaml and apply the trusts that change.

    \b
    Example:
      aws-iam-bootstrap org grant alice DEV:OPS
    """
    _regrant(name, roles, revoke=False, **kwargs)


@click.command("revoke")
@click.argument("name")
@click.argument("roles", nargs=-1, required=True, metavar="ENV:KIND...")
@click.option("--no-apply", is_flag=True, help="Only edit users.yaml (for review); `org apply` deploys it.")
@_files
@_reach
@_changing
def revoke(name: str, roles: tuple[str, ...], **kwargs: Any) -> None:
    """Take roles from a person: edit users.yaml and apply the trusts that change (their sessions already
    started last until they expire).

    \b
    Example:
      aws-iam-bootstrap org revoke alice DEV:OPS
    """
    _regrant(name, roles, revoke=True, **kwargs)


def _regrant(
    name: str,
    roles: tuple[str, ...],
    *,
    revoke: bool,
    no_apply: bool,
    const_file: Path | None,
    users_file: Path | None,
    profiles: tuple[str, ...],
    via: str,
    yes: bool,
    dry_run: bool,
) -> None:
    from bootstrap.org import workflow

    sources, org = _organisation(const_file, users_file)
    edit = workflow.grant_edit(org, name, workflow.parse_grants(roles), revoke=revoke)
    before, after, text = workflow.edited(sources, edit)
    _write_users_file(sources, text, dry_run)
    if no_apply:
        return
    envs = workflow.people_envs(before, after)
    if not envs:
        _say("nothing to change: users.yaml already says so")
    reach, method = _reacher(profiles), _method(via)
    done = workflow.deploy(after, envs, reach, method, _prompter(), _Printer(), yes=yes, dry_run=dry_run)
    _applied(done, dry_run)


@click.command("remove-user")
@click.argument("name")
@_files
@_reach
@_changing
def remove_user(
    name: str,
    const_file: Path | None,
    users_file: Path | None,
    profiles: tuple[str, ...],
    via: str,
    yes: bool,
    dry_run: bool,
) -> None:
    """Remove a person: take them out of users.yaml, apply the trusts and groups that named them, then delete
    their user with everything IAM wants gone first (access keys, certificates, SSH keys, MFA devices, console
    password, group memberships, policies). Running it again finishes an interrupted run.

    \b
    Example:
      aws-iam-bootstrap org remove-user carol
    """
    from bootstrap.org import workflow

    sources = _sources(const_file, users_file)
    before, after, text = workflow.edited(sources, lambda editor: editor.remove_user(name))
    _write_users_file(sources, text, dry_run)
    reach = _reacher(profiles)
    envs = workflow.people_envs(before, after)
    printer = _Printer()
    done = workflow.deploy(after, envs, reach, _method(via), _prompter(), printer, yes=yes, dry_run=dry_run)
    if dry_run:
        _say(f"dry run: {name}'s user, keys, MFA devices and console password would be deleted")
        return
    users = done.access["USERS"] if done is not None and "USERS" in done.access else reach(after, ["USERS"])["USERS"]
    workflow.remove_person(users, name, printer)


# --- printing -----------------------------------------------------------------------------------------------------


def _say(text: str) -> None:
    out(text)


def _write_users_file(sources: Sources, text: str, dry_run: bool) -> None:
    from bootstrap.org import workflow

    current = sources.users_file.read_text(encoding="utf-8") if sources.users_file.is_file() else ""
    if current == text:
        return
    if dry_run:
        _say(f"dry run: {sources.users_file} would change")
        return
    workflow.write_text(sources.users_file, text)
    _say(f"wrote {sources.users_file}")


def _applied(done: object, dry_run: bool) -> None:
    if done is None:
        _say("nothing to change: the accounts already hold the organisation")
    elif dry_run:
        _say("dry run: nothing was changed")
    else:
        _say("applied")


def _show_plan(planned: Any) -> None:
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


class _Printer:
    """Shows the org commands' events as they happen (masked: ``out`` masks every known secret)."""

    def __call__(self, event: object) -> None:
        from bootstrap.org import apply, changesets, people, workflow

        if isinstance(event, workflow.Planned):
            _show_plan(event)
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
            _handed_over(event)
        else:
            err(f"  {event}")


def _handed_over(event: Any) -> None:
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


@click.group("org")
def org() -> None:
    """The organisation as code (the platform team's side): users.yaml and CONST.inc rendered as CloudFormation,
    checked, planned and applied; people added, granted, revoked and removed.

    \b
    Example:
      aws-iam-bootstrap org render && aws-iam-bootstrap org check
      aws-iam-bootstrap org add-user carol --grant DEV:ADMIN --profile USERS=... --profile DEV=...
    """


for _command in (render, check, plan, apply_command, add_user, grant, revoke, remove_user):
    org.add_command(_command)
