"""The journal: a CloudTrail-shaped line per call, written as calls happen, 0600, whole lines under concurrency,
and never a secret (read back through the canary scan, and checked against every secret the calls handled)."""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bootstrap.credentials import Credentials
from bootstrap.errors import StateError
from bootstrap.sandbox import Sandbox, SandboxUser
from bootstrap.sandbox.journal import Journal, allowed_parameter, request_parameters
from tests.support.cli import record
from tests.support.sandbox import assume, enrol, get_session, refused

Records = Callable[[], list[dict[str, Any]]]


def test_sessions_are_journaled_with_their_context_and_no_secret(
    sandbox: Sandbox, fresh_user: SandboxUser, journal: Records
) -> None:
    mfa = enrol(sandbox, fresh_user)
    code = mfa.code(1)
    sts = sandbox.client("sts", fresh_user.one_time_key)
    got = sts.get_session_token(SerialNumber=mfa.serial, TokenCode=code, DurationSeconds=3600)["Credentials"]
    session = Credentials(got["AccessKeyId"], got["SecretAccessKey"], got["SessionToken"])
    iam = sandbox.client("iam", session)
    new_key = iam.create_access_key()["AccessKey"]
    Credentials(new_key["AccessKeyId"], new_key["SecretAccessKey"])
    iam.change_password(OldPassword=fresh_user.password, NewPassword="N3w-journal-pass!")
    dev = sandbox.accounts["DEV"]
    role = sandbox.client("sts", session).assume_role(
        RoleArn=dev.role_arn("ADMIN"), RoleSessionName="journaled", SourceIdentity="alice-laptop"
    )["Credentials"]
    role_creds = Credentials(role["AccessKeyId"], role["SecretAccessKey"], role["SessionToken"])
    sandbox.client("sts", role_creds).get_caller_identity()

    records = journal()
    text = "\n".join(json.dumps(r) for r in records)
    secrets = [
        session.secret_access_key,
        session.session_token,
        new_key["SecretAccessKey"],
        role_creds.secret_access_key,
        role_creds.session_token,
        fresh_user.password,
        "N3w-journal-pass!",
        code,
        mfa.totp.secret,
    ]
    assert not [s for s in secrets if s and s in text]
    by_name = {r["eventName"]: r for r in records if r["userIdentity"].get("arn") in (fresh_user.arn,)}
    assert by_name["EnableMFADevice"]["requestParameters"] == {"UserName": fresh_user.name, "SerialNumber": mfa.serial}
    token = by_name["GetSessionToken"]
    assert token["requestParameters"] == {"SerialNumber": mfa.serial, "DurationSeconds": "3600"}
    assert token["userIdentity"]["accessKeyId"] == fresh_user.one_time_key.access_key_id
    created = by_name["CreateAccessKey"]
    assert created["userIdentity"]["sessionContext"]["attributes"]["mfaAuthenticated"] == "true"
    assert created["resources"] == [{"ARN": fresh_user.arn, "accountId": fresh_user.account_id}]
    assumed = by_name["AssumeRole"]
    assert assumed["sandbox"]["authorizations"][0]["action"] == "sts:AssumeRole"
    assert assumed["requestParameters"]["RoleArn"] == dev.role_arn("ADMIN")
    as_role = [r for r in records if r["userIdentity"].get("type") == "AssumedRole"][-1]
    assert as_role["eventName"] == "GetCallerIdentity"
    assert as_role["userIdentity"]["sessionContext"]["sourceIdentity"] == "alice-laptop"
    assert as_role["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] == dev.role_arn("ADMIN")
    assert as_role["recipientAccountId"] == dev.id


def test_refusals_before_authentication_are_journaled(sandbox: Sandbox, journal: Records) -> None:
    unknown = Credentials("AKIAJOURNALUNKNOWN00", "z" * 40)
    code, _, _ = refused(lambda: sandbox.client("sts", unknown).get_caller_identity())
    assert code == "InvalidClientTokenId"
    (record,) = [r for r in journal() if r["userIdentity"].get("accessKeyId") == unknown.access_key_id]
    assert record["userIdentity"]["type"] == "Unknown"
    assert record["errorCode"] == "InvalidClientTokenId"
    assert record["sandbox"] == {"authorizations": [], "decision": "refused", "httpStatus": 403}


def test_concurrent_calls_give_whole_lines(sandbox: Sandbox, fresh_user: SandboxUser, journal: Records) -> None:
    def call() -> None:
        sandbox.client("sts", fresh_user.one_time_key).get_caller_identity()

    threads = [threading.Thread(target=call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    mine = [r for r in journal() if r["userIdentity"].get("arn") == fresh_user.arn]
    assert len(mine) == 16
    assert {r["eventName"] for r in mine} == {"GetCallerIdentity"}


def test_the_file_is_private_and_never_a_symlink(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        journal = Journal(tmp_path / "new" / "journal.jsonl")
        journal.write({"eventName": "x"})
        journal.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new" / "journal.jsonl").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    (tmp_path / "elsewhere").write_text("")
    (tmp_path / "link.jsonl").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(StateError, match="cannot open the journal"):
        Journal(tmp_path / "link.jsonl")


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("UserName", True),
        ("RoleArn", True),
        ("Bucket", True),
        ("Key", True),
        ("QueueUrl", True),
        ("SerialNumber", True),
        ("Role", True),  # a Lambda function's role: iam:PassRole is authorised on it, and a replay needs it
        ("CopySource", True),
        ("NewPassword", False),
        ("OldPassword", False),
        ("SecretAccessKey", False),
        ("SessionToken", False),
        ("TokenCode", False),
        ("AuthenticationCode1", False),
        ("Base32StringSeed", False),
        ("Value", False),
        ("Message", False),
        ("SSECustomerKey", False),
        ("Plaintext", False),
        ("SecretId", False),
    ],
)
def test_request_parameters_are_an_allow_list(name: str, kept: bool) -> None:
    assert allowed_parameter(name) is kept
    assert (name in request_parameters({name: "value"})) is kept


def test_the_cli_journals_to_a_file(tmp_path: Path) -> None:
    from tests.support.sandbox import exports, running_sandbox

    path = tmp_path / "calls.jsonl"
    with running_sandbox("--journal", str(path)) as (proc, lines):
        env = exports(lines)
        assert any(str(path) in line for line in lines)
        import boto3

        session: Any = boto3.Session(
            aws_access_key_id="AKIAJOURNALUNKNOWN01", aws_secret_access_key="q" * 40, region_name="us-east-1"
        )
        sts = session.client("sts", endpoint_url=env["AWS_ENDPOINT_URL"])
        with pytest.raises(Exception, match="InvalidClientTokenId"):
            sts.get_caller_identity()
        text = path.read_text()
        proc.send_signal(2)
    record(text)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (entry,) = [json.loads(line) for line in text.splitlines()]
    assert entry["eventSource"] == "sts.amazonaws.com"
    assert entry["errorCode"] == "InvalidClientTokenId"


def test_assume_is_journaled_from_a_role_session_too(
    sandbox: Sandbox, fresh_user: SandboxUser, journal: Records
) -> None:
    role = assume(sandbox, get_session(sandbox, fresh_user, enrol(sandbox, fresh_user)), "DEV", "ADMIN")
    sandbox.client("iam", role).list_roles()
    listed = [r for r in journal() if r["eventName"] == "ListRoles"][-1]
    assert listed["sandbox"]["authorizations"] == [
        {"action": "iam:ListRoles", "resource": f"arn:aws:iam::{sandbox.accounts['DEV'].id}:role/", "decision": "allow"}
    ]
