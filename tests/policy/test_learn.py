"""The learn loop end to end on the sandbox: a user that starts with no permissions runs the scripted workload and
ends with its policy, proven by replaying the journal; seed 002's deny-first behaviour; explicit denies and
other principals are never learned; and `policy learn` as a person runs it (a real process, Ctrl-C)."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from bootstrap.credentials import Credentials
from bootstrap.policy.capture.files import from_record
from bootstrap.policy.learn import Learned, Learner, prepare
from bootstrap.policy.prove import prove
from bootstrap.sandbox import Sandbox, backend
from tests.support import workload
from tests.support.cli import BIN, TRANSCRIPT, invoke
from tests.support.sandbox import refused

Records = Callable[[], list[dict[str, Any]]]


def _principal(sandbox: Sandbox) -> str:
    return f"arn:aws:iam::{sandbox.users_account_id}:user/learner-{uuid.uuid4().hex[:8]}"


def test_a_user_with_no_permissions_runs_the_workload_and_ends_with_its_policy(
    sandbox: Sandbox, journal: Records
) -> None:
    principal = _principal(sandbox)
    key = prepare(sandbox, principal)
    assert key is not None
    prefix = workload.new_prefix()
    code, _, _ = refused(lambda: sandbox.client("sqs", key).list_queues())
    assert code == "AccessDenied"  # nothing allowed yet
    learned: list[Learned] = []
    with Learner(sandbox, principal, on_learned=learned.append) as learner:
        workload.run_boto3(sandbox, key, prefix)  # every call goes through: each refusal is learned at call time
    result = learner.result()
    assert result.actions == workload.ACTIONS
    assert all(event.retried for event in learned)
    # each action learned once: after its first refusal the policy held it (CreateFunction brought iam:PassRole too)
    learned_actions = [a.action for event in learned for a in event.authorizations]
    assert sorted(learned_actions) == list(workload.ACTIONS)
    mine = [r for r in journal() if r["userIdentity"].get("arn") == principal]
    during = [r for r in mine if r["eventName"] != "ListQueues"]
    assert {r["sandbox"]["decision"] for r in during} == {"allowed"}
    assert sum(1 for r in during if r["sandbox"].get("learned")) == len(learned)
    calls = [c for c in (from_record(r) for r in during) if c is not None]
    proof = prove(sandbox, result.document, calls)
    assert proof.ok, (proof.refused, proof.idle)
    groups = learner.groups()
    assert groups["List"] == ("logs:DescribeLogGroups", "s3:ListBucket")
    reviewed = learner.result(keep=["Read", "Write", "Permissions management"])
    assert set(reviewed.actions) == set(workload.ACTIONS) - set(groups["List"])


def test_deny_first_refuses_each_new_call_once_then_its_retry_succeeds(sandbox: Sandbox) -> None:
    principal = _principal(sandbox)
    key = prepare(sandbox, principal)
    assert key is not None
    queue = workload.new_prefix()
    sqs = sandbox.client("sqs", key)
    learned: list[Learned] = []
    with Learner(sandbox, principal, deny_first=True, on_learned=learned.append):
        code, _, message = refused(lambda: sqs.create_queue(QueueName=queue))
        assert code == "AccessDenied"
        assert "sqs:CreateQueue" in message
        url = sqs.create_queue(QueueName=queue)["QueueUrl"]
        code, _, _ = refused(lambda: sqs.send_message(QueueUrl=url, MessageBody="x"))
        sqs.send_message(QueueUrl=url, MessageBody="x")
        sqs.send_message(QueueUrl=url, MessageBody="y")  # known now: no refusal
    assert [(e.authorizations[0].action, e.retried) for e in learned] == [
        ("sqs:CreateQueue", False),
        ("sqs:SendMessage", False),
    ]
    assert all(e.seconds >= 0 for e in learned)


def test_an_explicit_deny_and_other_principals_are_never_learned(sandbox: Sandbox) -> None:
    principal = _principal(sandbox)
    key = prepare(sandbox, principal)
    assert key is not None
    name = principal.rsplit("/", 1)[-1]
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sqs:*", "Resource": "*"}]}
    backend.put_user_policy(sandbox.users_account_id, name, "no-sqs", deny)
    other = prepare(sandbox, _principal(sandbox))
    assert other is not None
    learned: list[Learned] = []
    with Learner(sandbox, principal, on_learned=learned.append):
        _code, _, message = refused(lambda: sandbox.client("sqs", key).list_queues())
        assert "with an explicit deny" in message
        refused(lambda: sandbox.client("ssm", other).describe_parameters())
    assert learned == []


def _exports(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            found[name] = value.strip("'")
    return found


def test_policy_learn_as_a_person_runs_it(tmp_path: Path) -> None:
    """A real process: the exports in a 0600 file, each learned call on stderr, Ctrl-C prints the kept levels."""
    principal = "arn:aws:iam::210987654321:user/deployer"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen(
        [
            str(BIN / "aws-iam-bootstrap"),
            "policy",
            "learn",
            "--principal",
            principal,
            "--dir",
            str(tmp_path / "w"),
            "--keep",
            "Write",
            "--out",
            str(tmp_path / "learned.json"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("# Ctrl-C"):
                break
        env_file = tmp_path / "w" / "learner.env"
        assert f"# run your procedure after: source {env_file}\n" in lines
        assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
        exports = _exports(env_file)
        key = Credentials(exports["AWS_ACCESS_KEY_ID"], exports["AWS_SECRET_ACCESS_KEY"])
        assert key.secret_access_key not in "".join(lines)
        session: Any = boto3.Session(
            aws_access_key_id=key.access_key_id,
            aws_secret_access_key=key.secret_access_key,
            region_name=exports["AWS_DEFAULT_REGION"],
        )
        sqs = session.client("sqs", endpoint_url=exports["AWS_ENDPOINT_URL"])
        url = sqs.create_queue(QueueName="learned-queue")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="x")
        sqs.list_queues()
        proc.send_signal(signal.SIGINT)
        rest, errors = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    TRANSCRIPT.extend(["".join(lines), rest, errors])
    assert proc.returncode == 0, errors
    queue = "arn:aws:sqs:eu-west-1:210987654321:learned-queue"
    assert f"learned sqs:CreateQueue (Write) on {queue} in " in errors
    assert "learned sqs:ListQueues (Read) on * in " in errors
    assert "  Read: sqs:ListQueues" in errors
    assert json.loads((tmp_path / "learned.json").read_text())["Statement"] == [
        {"Sid": "SqsQueue", "Effect": "Allow", "Action": ["sqs:CreateQueue", "sqs:SendMessage"], "Resource": queue}
    ]


def test_review_without_a_terminal_names_the_flag_before_starting() -> None:
    run = invoke("policy", "learn", "--principal", "arn:aws:iam::210987654321:user/x", "--review")
    assert run.returncode == 5
    assert "no terminal to ask on; pass --keep LEVEL" in run.stderr
