"""The issue's scripted workload (S3, a Lambda function and its role, SQS, SSM, CloudWatch Logs, under one name
prefix) recorded on the sandbox by its journal: the generated policy holds exactly the actions it needed, each
scoped, and is proven by replay (every call allowed), minimal by ablation (each action needed by a call) and
confined (the same calls outside the prefix refused). The same workload through the real aws CLI, recorded both
by the journal and by `policy record`, gives the same policy."""

from __future__ import annotations

import json
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bootstrap.policy import document
from bootstrap.policy.capture.calls import RecordedCall
from bootstrap.policy.capture.files import Selection, read_calls
from bootstrap.policy.generate import generate
from bootstrap.policy.lint import lint
from bootstrap.policy.prove import prove
from bootstrap.sandbox import Sandbox
from tests.support import workload
from tests.support.cli import BIN, cli, invoke, record


@dataclass(frozen=True)
class Recorded:
    admin: workload.Admin
    names: workload.Names
    calls: list[RecordedCall]


def _journal(sandbox: Sandbox) -> Path:
    assert sandbox.layer.journal is not None
    path: Path = sandbox.layer.journal.path
    return path


@pytest.fixture(scope="module")
def boto3_run(sandbox: Sandbox) -> Recorded:
    """The workload through boto3, once for the module, as a principal allowed everything."""
    admin = workload.admin(sandbox)
    names = workload.run_boto3(sandbox, admin.key, workload.new_prefix())
    return Recorded(admin, names, read_calls([_journal(sandbox)], Selection(principal=admin.arn)))


def _statements(policy: dict[str, object]) -> dict[str, dict[str, object]]:
    return {str(s["Sid"]): s for s in document.statements(policy)}


def test_the_prefix_scoped_policy_holds_what_the_workload_needed_and_is_proven(
    sandbox: Sandbox, boto3_run: Recorded
) -> None:
    prefix, account = boto3_run.names.prefix, sandbox.users_account_id
    generated = generate(boto3_run.calls, prefix=prefix)
    policy = generated.document
    assert generated.actions == workload.ACTIONS
    assert not generated.unmapped
    statements = _statements(policy)
    # the one action without resource types stands alone on "*"; every other resource is under the prefix
    assert statements["LogsAny"]["Action"] == ["logs:DescribeLogGroups"]
    assert statements["LogsAny"]["Resource"] == "*"
    scoped = [r for s in statements.values() for r in document.as_list(s["Resource"]) if r != "*"]
    assert scoped
    assert all(f":{prefix}*" in r or f"/{prefix}*" in r for r in scoped), scoped
    assert statements["S3Object"]["Resource"] == f"arn:aws:s3:::{prefix}*/*"
    assert statements["LambdaFunction"]["Resource"] == f"arn:aws:lambda:*:{account}:function:{prefix}*"
    passing = statements["IamRolePassedToLambda"]
    assert passing["Action"] == ["iam:PassRole"]
    assert passing["Resource"] == f"arn:aws:iam::{account}:role/{prefix}*"
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    assert lint(policy, calls=boto3_run.calls, prefix=prefix) == ()

    proof = prove(sandbox, policy, boto3_run.calls, prefix=prefix)
    assert not proof.skipped
    assert len(proof.replay) == len(boto3_run.calls)
    assert proof.refused == ()
    assert {a.action for a in proof.ablations} == set(workload.ACTIONS)
    assert all(a.verdict == "needed" for a in proof.ablations), proof.idle
    assert all(a.failed_at is not None and a.failed_at.refused is not None for a in proof.ablations)
    # every call naming something under the prefix was sent again outside it, and refused
    assert len(proof.outside) == len(proof.replay) - 1  # all but DescribeLogGroups, which is on "*"
    assert proof.leaks == ()
    assert proof.ok


def test_the_exact_policy_names_what_was_touched_and_is_proven(sandbox: Sandbox, boto3_run: Recorded) -> None:
    names, account, region = boto3_run.names, sandbox.users_account_id, sandbox.region
    policy = generate(boto3_run.calls).document
    resources = {r for s in document.statements(policy) for r in document.as_list(s["Resource"])}
    assert resources == {
        "*",
        f"arn:aws:s3:::{names.bucket}",
        f"arn:aws:s3:::{names.bucket}/reports/today.txt",
        f"arn:aws:iam::{account}:role/{names.role}",
        f"arn:aws:lambda:{region}:{account}:function:{names.function}",
        f"arn:aws:sqs:{region}:{account}:{names.queue}",
        f"arn:aws:ssm:{region}:{account}:parameter{names.parameter}",
        f"arn:aws:logs:{region}:{account}:log-group:{names.log_group}",
        f"arn:aws:logs:{region}:{account}:log-group:{names.log_group}:log-stream:run-1",
    }
    proof = prove(sandbox, policy, boto3_run.calls)
    assert proof.ok, (proof.refused, proof.idle)


def test_the_same_calls_give_the_same_bytes_in_any_order(boto3_run: Recorded) -> None:
    prefix = boto3_run.names.prefix
    forward = document.dumps(generate(boto3_run.calls, prefix=prefix).document)
    backward = document.dumps(generate(list(reversed(boto3_run.calls)), prefix=prefix).document)
    assert forward == backward


def test_generate_on_the_command_line_explains_each_statement(
    sandbox: Sandbox, boto3_run: Recorded, tmp_path: Path
) -> None:
    prefix = boto3_run.names.prefix
    out = tmp_path / "policy.json"
    args = ["--from", str(_journal(sandbox)), "--principal", boto3_run.admin.arn, "--prefix", prefix]
    run = invoke("policy", "generate", *args, "--explain", "--out", str(out))
    assert run.returncode == 0, run.output
    assert json.loads(out.read_text()) == generate(boto3_run.calls, prefix=prefix).document
    assert "# IamRolePassedToLambda: iam:PassRole on arn:aws:iam::" in run.stderr
    assert "#   iam:PassRole: lambda:CreateFunction at " in run.stderr
    assert f"needed iam:PassRole on arn:aws:iam::{sandbox.users_account_id}:role/{prefix}-fn-role" in run.stderr
    assert f"{len(boto3_run.calls)} calls -> {len(workload.ACTIONS)} actions" in run.stderr
    again = invoke("policy", "generate", *args, "--out", str(out), "--dry-run")
    assert again.returncode == 0
    assert "unchanged" in again.stdout


@pytest.mark.slow
def test_prove_on_the_command_line_starts_its_own_sandbox(
    sandbox: Sandbox, boto3_run: Recorded, tmp_path: Path
) -> None:
    """A real process (one sandbox per process): proven, then not proven once an action is missing."""
    prefix = boto3_run.names.prefix
    good = generate(boto3_run.calls, prefix=prefix).document
    (tmp_path / "good.json").write_text(document.dumps(good))
    replay = ["--replay", str(_journal(sandbox)), "--principal", boto3_run.admin.arn, "--prefix", prefix]
    proven = cli("policy", "prove", str(tmp_path / "good.json"), *replay, "--no-minimality")
    assert proven.returncode == 0, proven.output
    assert f"PROVEN: {len(boto3_run.calls)}/{len(boto3_run.calls)} calls allowed" in proven.stdout
    short = {**good, "Statement": [s for s in good["Statement"] if s["Sid"] != "SqsQueue"]}
    (tmp_path / "short.json").write_text(document.dumps(short))
    failed = cli("policy", "prove", str(tmp_path / "short.json"), *replay, "--no-minimality")
    assert failed.returncode == 1
    assert "✗ refused: sqs:SendMessage at " in failed.stdout
    assert "NOT PROVEN" in failed.stdout


@pytest.mark.slow
def test_the_aws_cli_gives_the_same_policy_through_the_journal_and_through_policy_record(
    sandbox: Sandbox, boto3_run: Recorded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_admin = workload.admin(sandbox)
    prefix = workload.new_prefix()
    work = tmp_path / "work"
    work.mkdir()
    script = work / "workload.sh"
    script.write_text(workload.aws_cli_script(sandbox, prefix, work))
    env = workload.cli_environ(sandbox, cli_admin.key, dict(os.environ), BIN)
    env.update({"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")})
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "aws-cli.jsonl"
    # `record` asks STS who the caller is, then runs the script with CSM and the SDK hook on
    run = invoke("policy", "record", "--out", str(out), "--", "bash", str(script))
    assert run.returncode == 0, run.output
    assert f"recorded {len(boto3_run.calls)} calls into {out} ({len(boto3_run.calls)} with resources" in run.stderr
    text = out.read_text()
    record(text)
    assert workload.SECRET_VALUE not in text
    assert stat.S_IMODE(out.stat().st_mode) == 0o600

    expected = workload.normalised(
        generate(boto3_run.calls, prefix=boto3_run.names.prefix).document, boto3_run.names.prefix
    )
    through_journal = read_calls([_journal(sandbox)], Selection(principal=cli_admin.arn))
    assert workload.normalised(generate(through_journal, prefix=prefix).document, prefix) == expected
    through_record = read_calls([out], Selection(principal=cli_admin.arn))
    assert {c.via for c in through_record} == {"sdk"}
    assert workload.normalised(generate(through_record, prefix=prefix).document, prefix) == expected
    # the exact ARNs too: the hook's parameters name what the sandbox authorised
    assert generate(through_record).document == generate(through_journal).document


def test_record_passes_the_command_s_exit_code_through(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    run = invoke(
        "policy",
        "record",
        "--out",
        str(out),
        "--account",
        "123456789012",
        "--",
        sys.executable,
        "-c",
        "raise SystemExit(7)",
    )
    assert run.returncode == 7
    assert "recorded 0 calls" in run.stderr
    missing = invoke("policy", "record", "--account", "123456789012", "--", "no-such-command-xyz")
    assert missing.returncode == 2
    assert "no-such-command-xyz: command not found" in missing.stderr
