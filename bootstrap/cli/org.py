"""Commands: org render, check, plan, apply, add-user, grant, revoke, remove-user (the platform team's side).

They read CONST.inc and users.yaml (beside it; --users-file), reach each account through a profile the admin
names (--profile ENV=PROFILE, or $AWS_IAM_BOOTSTRAP_ORG_PROFILES), show a plan before anything changes, and take
--dry-run. Secrets (a new person's temporary password and one-time key) go to a 0600 file, or to stdout only
with --print-secrets.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bootstrap.cli import options
from bootstrap.cli import org_options as shared
from bootstrap.cli.output import out

if TYPE_CHECKING:
    pass

# --- commands -----------------------------------------------------------------------------------------------------


@click.command("render")
@shared.files
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

    sources, org = shared.organisation(const_file, users_file)
    directory = workflow.out_dir(sources, out)
    for written in workflow.render(org, directory, dry_run=dry_run):
        verb = ("would write" if dry_run else "wrote") if written.changed else "unchanged"
        shared.say(f"{verb} {written.path}")


@click.command("check")
@shared.files
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

    _, org = shared.organisation(const_file, users_file)
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
@shared.files
@shared.reach
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

    sources, org = shared.organisation(const_file, users_file)
    if offline:
        shared.show_plan(workflow.plan_offline(org, workflow.out_dir(sources, out)))
        return
    reach = shared.reacher(profiles)
    prepared = apply.prepare(org, reach(org, workflow.all_envs(org)), shared.method(via))
    shared.show_plan(workflow.Planned(prepared.plan, "the accounts"))


@click.command("apply")
@shared.files
@shared.reach
@shared.changing
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

    _, org = shared.organisation(const_file, users_file)
    reach, method = shared.reacher(profiles), shared.method(via)
    envs = workflow.all_envs(org)
    done = workflow.deploy(org, envs, reach, method, shared.prompter(), shared.Printer(), yes=yes, dry_run=dry_run)
    shared.applied(done, dry_run)


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
@shared.files
@shared.reach
@shared.changing
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
    sources, org = shared.organisation(const_file, users_file)
    wanted = workflow.parse_grants(grants)
    before, after, text = workflow.edited(sources, workflow.add_user_edit(org, name, wanted, power))
    shared.write_users_file(sources, text, dry_run)
    if no_apply:
        shared.say(
            f"users.yaml names {name}; `org apply` creates them, then `org add-user {name}` hands over credentials"
        )
        return
    reach = shared.reacher(profiles)
    envs = workflow.people_envs(before, after) or ["USERS"]
    if "USERS" not in envs:
        envs = ["USERS", *envs]
    printer = shared.Printer()
    done = workflow.deploy(after, envs, reach, shared.method(via), shared.prompter(), printer, yes=yes, dry_run=dry_run)
    if dry_run:
        shared.say(f"dry run: {name}'s temporary password and one-time key would be made and handed over")
        return
    users = done.access["USERS"] if done is not None else reach(after, ["USERS"])["USERS"]
    to = None if print_secrets else workflow.handover_path(name, handover_file)
    workflow.hand_over(after, users, name, printer, to=to)


@click.command("grant")
@click.argument("name")
@click.argument("roles", nargs=-1, required=True, metavar="ENV:KIND...")
@click.option("--no-apply", is_flag=True, help="Only edit users.yaml (for review); `org apply` deploys it.")
@shared.files
@shared.reach
@shared.changing
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
@shared.files
@shared.reach
@shared.changing
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

    sources, org = shared.organisation(const_file, users_file)
    edit = workflow.grant_edit(org, name, workflow.parse_grants(roles), revoke=revoke)
    before, after, text = workflow.edited(sources, edit)
    shared.write_users_file(sources, text, dry_run)
    if no_apply:
        return
    envs = workflow.people_envs(before, after)
    if not envs:
        shared.say("nothing to change: users.yaml already says so")
    reach, method = shared.reacher(profiles), shared.method(via)
    done = workflow.deploy(after, envs, reach, method, shared.prompter(), shared.Printer(), yes=yes, dry_run=dry_run)
    shared.applied(done, dry_run)


@click.command("remove-user")
@click.argument("name")
@shared.files
@shared.reach
@shared.changing
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

    sources = shared.find_sources(const_file, users_file)
    before, after, text = workflow.edited(sources, lambda editor: editor.remove_user(name))
    shared.write_users_file(sources, text, dry_run)
    reach = shared.reacher(profiles)
    envs = workflow.people_envs(before, after)
    printer = shared.Printer()
    done = workflow.deploy(after, envs, reach, shared.method(via), shared.prompter(), printer, yes=yes, dry_run=dry_run)
    if dry_run:
        shared.say(f"dry run: {name}'s user, keys, MFA devices and console password would be deleted")
        return
    users = done.access["USERS"] if done is not None and "USERS" in done.access else reach(after, ["USERS"])["USERS"]
    workflow.remove_person(users, name, printer)


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
