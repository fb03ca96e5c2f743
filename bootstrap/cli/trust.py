"""Commands: trust show, add-service, remove-service (a role's trust edited without losing a principal).

They read CONST.inc and users.yaml to name what they see, reach the role's account as the `org` commands do
(--profile ENV=PROFILE or $AWS_IAM_BOOTSTRAP_ORG_PROFILES), show the trust's diff before changing it, and take
--dry-run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bootstrap.cli import org_options
from bootstrap.cli.output import out


def _role_options(command: Any) -> Any:
    command = click.option(
        "--account", "env", metavar="ENV", help="The role's environment (when its name or ARN does not say)."
    )(command)
    return org_options.files(command)


def _place(role: str, env: str | None, const_file: Path | None, users_file: Path | None) -> tuple[Any, Any, Any]:
    from bootstrap.org import trust_workflow

    sources, org = org_options.organisation(const_file, users_file)
    return sources, org, trust_workflow.locate(org, role, env.upper() if env else None)


def _show_words(trust: Any, org: Any) -> None:
    from bootstrap.org import trust_words

    found = trust_words.describe(trust, org)
    if not found:
        out("  no one (the role cannot be assumed)")
    group = ""
    for who in found:
        if who.group != group:
            group = who.group
            out(f"  {group}:")
        out(f"    • {who.text}")
    denies = [s for s in trust.get("Statement", []) if isinstance(s, dict) and s.get("Effect") == "Deny"]
    if denies:
        out(f"  and {len(denies)} Deny statement(s), which take precedence")


@click.command("show")
@click.argument("role")
@_role_options
@click.option("--profile", "profiles", multiple=True, metavar="ENV=PROFILE", help="As for `org apply`.")
@click.option("--json", "as_json", is_flag=True, help="Also print the trust document.")
def show(
    role: str,
    env: str | None,
    const_file: Path | None,
    users_file: Path | None,
    profiles: tuple[str, ...],
    as_json: bool,
) -> None:
    """Say who may assume a role, in words: humans and pipelines by their users.yaml names, accounts,
    roles, AWS services and identity providers (GitHub Actions by repository and branch), with the conditions
    (MFA...). ROLE is a name (with --account ENV when several accounts could hold it) or an ARN.

    \b
    Example:
      aws-iam-bootstrap trust show myproj-dev-ZappaLambdaExecutionRole --account DEV
    """
    from bootstrap.org import trust_edit, trust_workflow

    _sources, org, ref = _place(role, env, const_file, users_file)
    iam = org_options.reacher(profiles)(org, [ref.env])[ref.env].client("iam")
    trust = trust_workflow.read_trust(iam, ref)
    out(click.style(f"Who may assume {ref.arn}:", bold=True))
    _show_words(trust, org)
    if as_json:
        out(trust_edit.text(trust).rstrip("\n"))


def _edit(role: str, services: tuple[str, ...], *, remove: bool, **kwargs: Any) -> None:
    from bootstrap.errors import InputError
    from bootstrap.org import service_roles, trust_edit, trust_workflow, workflow

    env, const_file, users_file = kwargs["env"], kwargs["const_file"], kwargs["users_file"]
    dry_run, yes, profiles = kwargs["dry_run"], kwargs["yes"], kwargs["profiles"]
    wanted = trust_workflow.check_services(services, allow_unknown=kwargs["allow_unknown_service"] or remove)
    sources, org, ref = _place(role, env, const_file, users_file)
    if ref.owner == "organisation":
        raise InputError(f"{ref.name}'s trust is rendered by the organisation ({ref.why}); nothing was changed")
    edit = trust_edit.remove_services if remove else trust_edit.add_services
    reach = org_options.reacher(profiles)
    if ref.owner == "users.yaml":
        declared = org.service_role(ref.name)
        assert declared is not None  # locate() found it in users.yaml
        before_trust = service_roles.trust(declared.services)
        after_trust = edit(before_trust, wanted)  # refuses a role left to no one, before users.yaml is touched
        services_after = tuple(sorted(trust_edit.allowed_services(after_trust)))
        out(f"{ref.name} is declared in {sources.users_file}: its services there become {', '.join(services_after)}")
        _diff(before_trust, after_trust, ref.name)
        if before_trust == after_trust:
            return
        _before, after, text = workflow.edited(
            sources, lambda editor: editor.set_list(service_roles.SECTION, ref.name, "services", services_after)
        )
        org_options.write_users_file(sources, text, dry_run)
        done = workflow.deploy(
            after,
            [ref.env],
            reach,
            org_options.method(kwargs["via"]),
            org_options.prompter(),
            org_options.Printer(),
            yes=yes,
            dry_run=dry_run,
        )
        org_options.applied(done, dry_run)
        return
    iam = reach(org, [ref.env])[ref.env].client("iam")
    before_trust = trust_workflow.read_trust(iam, ref)
    after_trust = edit(before_trust, wanted)
    if not _diff(before_trust, after_trust, ref.name):
        return
    if dry_run:
        out("dry run: nothing was changed")
        return
    if not yes and not org_options.prompter().confirm(f"Update the trust of {ref.name}?", "--yes"):
        raise InputError("not changed (declined)")
    now = trust_workflow.write_trust(iam, ref, after_trust)
    out(f"updated the trust of {ref.arn} (UpdateAssumeRolePolicy); who may assume it now:")
    _show_words(now, org)


def _diff(before: Any, after: Any, name: str) -> bool:
    """Show the trust's diff; False when there is nothing to change."""
    from bootstrap.org import trust_edit

    shown = trust_edit.diff(before, after, name)
    if not shown:
        out(f"nothing to change: the trust of {name} already says so")
        return False
    out(shown.rstrip("\n"))
    return True


def _edit_options(command: Any) -> Any:
    command = click.option(
        "--allow-unknown-service",
        is_flag=True,
        help="Accept a service principal this tool does not know (a new service AWS documents).",
    )(command)
    command = org_options.changing(command)
    command = org_options.reach(command)
    return _role_options(command)


@click.command("add-service")
@click.argument("role")
@click.argument("services", nargs=-1, required=True, metavar="SERVICE...")
@_edit_options
def add_service(role: str, services: tuple[str, ...], **kwargs: Any) -> None:
    """Let AWS services assume a role: an idempotent merge of its trust (a "Service" string becomes a list,
    duplicates go, every other principal, statement and condition stays), shown as a diff, then applied with
    UpdateAssumeRolePolicy (or, for a service role of users.yaml, written there and applied). A name that is not
    a service principal is refused ("lamda.amazonaws.com": did you mean lambda.amazonaws.com?); "lambda" is read
    as lambda.amazonaws.com.

    \b
    Example:
      aws-iam-bootstrap trust add-service myproj-dev-ZappaLambdaExecutionRole apigateway.amazonaws.com --account DEV
    """
    _edit(role, services, remove=False, **kwargs)


@click.command("remove-service")
@click.argument("role")
@click.argument("services", nargs=-1, required=True, metavar="SERVICE...")
@_edit_options
def remove_service(role: str, services: tuple[str, ...], **kwargs: Any) -> None:
    """Stop AWS services from assuming a role: they leave every statement of its trust (a list of one becomes a
    string, a statement naming no one goes), shown as a diff, then applied. Refused when no one could assume
    the role afterwards.

    \b
    Example:
      aws-iam-bootstrap trust remove-service myproj-dev-ZappaLambdaExecutionRole apigateway --account DEV
    """
    _edit(role, services, remove=True, **kwargs)


@click.group("trust")
def trust() -> None:
    """Who may assume a role, said in words, and its trust edited without losing a principal.

    \b
    Example:
      aws-iam-bootstrap trust show myproj-dev-ZappaLambdaExecutionRole --account DEV
      aws-iam-bootstrap trust add-service myproj-dev-ZappaLambdaExecutionRole apigateway --account DEV
    """


for _command in (show, add_service, remove_service):
    trust.add_command(_command)
