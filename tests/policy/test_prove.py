"""What a proof refuses to call proven: an action no call needed, an action two statements grant, a grant that
reaches outside the prefix; and a call the record cannot replay faithfully is set aside, saying why, rather than
proving something else."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bootstrap.policy.capture.calls import RecordedCall
from bootstrap.policy.capture.files import Selection, read_calls
from bootstrap.policy.generate import generate
from bootstrap.policy.prove import prove
from bootstrap.sandbox import Sandbox
from tests.support import workload


def _calls(sandbox: Sandbox, admin: workload.Admin) -> list[RecordedCall]:
    assert sandbox.layer.journal is not None
    path: Path = sandbox.layer.journal.path
    return read_calls([path], Selection(principal=admin.arn))


@pytest.fixture(scope="module")
def queue_calls(sandbox: Sandbox) -> tuple[str, list[RecordedCall]]:
    admin = workload.admin(sandbox)
    prefix = workload.new_prefix()
    sqs = sandbox.client("sqs", admin.key)
    url = sqs.create_queue(QueueName=f"{prefix}-jobs")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="job")
    return prefix, _calls(sandbox, admin)


def test_an_action_nothing_needed_is_named(sandbox: Sandbox, queue_calls: tuple[str, list[RecordedCall]]) -> None:
    prefix, calls = queue_calls
    policy = generate(calls, prefix=prefix).document
    extra = {"Sid": "Extra", "Effect": "Allow", "Action": ["sqs:PurgeQueue"], "Resource": "*"}
    proof = prove(sandbox, {**policy, "Statement": [*policy["Statement"], extra]}, calls, prefix=prefix)
    assert proof.refused == ()
    assert [(a.sid, a.action, a.verdict) for a in proof.idle] == [("Extra", "sqs:PurgeQueue", "unused")]
    assert not proof.ok


def test_a_grant_on_any_resource_is_redundant_and_leaks_outside_the_prefix(
    sandbox: Sandbox, queue_calls: tuple[str, list[RecordedCall]]
) -> None:
    prefix, calls = queue_calls
    policy = generate(calls, prefix=prefix).document
    wide = {"Sid": "Wide", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "*"}
    proof = prove(sandbox, {**policy, "Statement": [*policy["Statement"], wide]}, calls, prefix=prefix)
    # each of the two grants can go while the other stays: neither is needed
    assert [(a.sid, a.action, a.verdict) for a in proof.idle] == [
        ("SqsQueue", "sqs:SendMessage", "redundant"),
        ("Wide", "sqs:SendMessage", "redundant"),
    ]
    (leak,) = proof.leaks
    assert leak.call.operation == "SendMessage"
    assert leak.params is not None
    assert f"/other-{prefix}-jobs" in leak.params["QueueUrl"]
    assert len(proof.outside) == 2  # CreateQueue outside the prefix was refused


def test_a_call_whose_record_lacks_its_resource_is_set_aside(
    sandbox: Sandbox, queue_calls: tuple[str, list[RecordedCall]]
) -> None:
    """A record without the parameter that names its resource (the journal keeps no parameter whose name says
    secret, SecretId included; here the queue's name is taken out by hand) could only be replayed on another
    resource: it is set aside, not counted as proven."""
    prefix, calls = queue_calls
    policy = generate(calls, prefix=prefix).document
    nameless = [dataclasses.replace(c, params={}) if c.operation == "CreateQueue" else c for c in calls]
    proof = prove(sandbox, policy, nameless, prefix=prefix, minimality=False)
    (skipped,) = proof.skipped
    assert skipped.call.operation == "CreateQueue"
    assert skipped.reason == (
        "the record does not name all it touched (replayed as sqs:CreateQueue on "
        f"arn:aws:sqs:{sandbox.region}:{sandbox.users_account_id}:aws-iam-bootstrap-replay)"
    )
    assert [r.call.operation for r in proof.replay] == ["SendMessage"]
