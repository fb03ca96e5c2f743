"""The rules layer's two hooks for bootstrap.policy: observers see each request's record before the client has its
answer; ``on_refusal`` sees a call about to be refused for want of an Allow (never one an explicit Deny refuses),
and when it returns True the call is authorised again, the record saying what was learned."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from bootstrap.credentials import Credentials
from bootstrap.sandbox import Sandbox, backend
from bootstrap.sandbox.rules import Refused
from tests.support.sandbox import refused

ALLOW_SQS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"}]}


def _user(sandbox: Sandbox, document: dict[str, Any] | None = None) -> tuple[str, Credentials]:
    name = f"hooks-{uuid.uuid4().hex[:8]}"
    backend.create_user(sandbox.users_account_id, name, ())
    if document is not None:
        backend.put_user_policy(sandbox.users_account_id, name, "p", document)
    return name, Credentials(*backend.create_access_key(sandbox.users_account_id, name))


def test_on_refusal_may_grant_the_call_and_observers_see_the_record(sandbox: Sandbox) -> None:
    name, key = _user(sandbox)
    asked: list[Refused] = []
    seen: list[Mapping[str, Any]] = []

    def grant(event: Refused) -> bool:
        asked.append(event)
        if event.caller.name != name:
            return False
        backend.put_user_policy(sandbox.users_account_id, name, "learned", ALLOW_SQS)
        return True

    sandbox.layer.on_refusal = grant
    sandbox.layer.observers.append(seen.append)
    try:
        sandbox.client("sqs", key).list_queues()
    finally:
        sandbox.layer.on_refusal = None
        sandbox.layer.observers.remove(seen.append)
    (event,) = [e for e in asked if e.caller.name == name]
    assert (event.call.service, event.call.operation, event.region) == ("sqs", "ListQueues", sandbox.region)
    assert [(c.action, c.resource, c.decision.value) for c in event.checked] == [("sqs:ListQueues", "*", "none")]
    (mine,) = [r for r in seen if r["userIdentity"].get("accessKeyId") == key.access_key_id]
    assert mine["sandbox"]["decision"] == "allowed"
    assert mine["sandbox"]["learned"] == ["sqs:ListQueues"]
    assert mine["sandbox"]["authorizations"] == [{"action": "sqs:ListQueues", "resource": "*", "decision": "allow"}]


def test_a_declined_refusal_stands_and_an_explicit_deny_is_never_offered(sandbox: Sandbox) -> None:
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sqs:*", "Resource": "*"}]}
    _, denied = _user(sandbox, deny)
    _, nobody = _user(sandbox)
    asked: list[str] = []

    def decline(event: Refused) -> bool:
        asked.append(event.caller.key_id)
        return False

    sandbox.layer.on_refusal = decline
    try:
        code, _, message = refused(lambda: sandbox.client("sqs", nobody).list_queues())
        assert code == "AccessDenied"
        assert "no identity-based policy allows" in message
        _, _, message = refused(lambda: sandbox.client("sqs", denied).list_queues())
        assert "explicit deny" in message
    finally:
        sandbox.layer.on_refusal = None
    assert asked == [nobody.access_key_id]


def test_a_call_moto_cannot_handle_is_a_journaled_500(sandbox: Sandbox, journal: Any) -> None:
    """A replay sends only the parameters that name things; when moto then fails, the verdict is still recorded."""
    import boto3
    import botocore.config

    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    _, key = _user(sandbox, everything)
    url = sandbox.client("sqs", key).create_queue(QueueName=f"hooks-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    config = botocore.config.Config(parameter_validation=False, retries={"total_max_attempts": 1})
    session: Any = boto3.Session(
        aws_access_key_id=key.access_key_id, aws_secret_access_key=key.secret_access_key, region_name=sandbox.region
    )
    sqs = session.client("sqs", endpoint_url=sandbox.endpoint_url, config=config)
    _, status, _ = refused(lambda: sqs.send_message(QueueUrl=url))  # no MessageBody: moto raises TypeError
    assert status == 500
    (record,) = [
        r
        for r in journal()
        if r["eventName"] == "SendMessage" and r["userIdentity"].get("accessKeyId") == key.access_key_id
    ]
    assert record["errorCode"] == "InternalFailure"
    assert record["errorMessage"] == "moto raised TypeError"
    assert record["sandbox"]["authorizations"][0]["decision"] == "allow"
