"""The sandbox as a user of it sees it: seeded organisation, endpoint, growth calls (over HTTP, real boto3)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import boto3
import pytest

from bootstrap.awsfiles.locations import AwsPaths
from bootstrap.errors import InputError, StateError
from bootstrap.sandbox import Sandbox, SandboxUser


def test_alice_is_seeded_as_the_new_engineer(sandbox: Sandbox) -> None:
    alice = sandbox.users["alice"]
    assert alice.arn == "arn:aws:iam::210987654321:user/alice"
    assert dict(alice.grants) == {"DEV": ("ADMIN",), "PROD": ("READ",)}
    assert alice.mfa_serial is None

    who = sandbox.client("sts", alice.one_time_key).get_caller_identity()
    assert who["Arn"] == alice.arn
    assert who["Account"] == "210987654321"


def test_seeded_accounts_match_the_example_const(sandbox: Sandbox) -> None:
    dev, prod = sandbox.accounts["DEV"], sandbox.accounts["PROD"]
    assert (dev.id, dev.name, dev.roles["ADMIN"]) == ("345678901234", "example-dev", "infra-AdminR-1R5T9WQ3Z8XA")
    assert (prod.id, prod.name, prod.roles["READ"]) == ("456789012345", "example-prod", "infra-ReadR-7H2M4PL6C0VB")
    const = sandbox.const_inc()
    assert "USERS_AWS_ACCOUNT_ID=210987654321\n" in const
    assert "PROD_IAM_OPS_ROLE=infra-OpsR-7H2M4PL6C0VB\n" in const


def test_fresh_user_has_a_working_one_time_key_and_no_mfa(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    iam = sandbox.client("iam", fresh_user.one_time_key)
    assert iam.get_user()["User"]["Arn"] == fresh_user.arn
    assert iam.list_mfa_devices(UserName=fresh_user.name)["MFADevices"] == []


def test_add_account_appears_in_const_inc(sandbox: Sandbox) -> None:
    account = sandbox.add_account("QA", kinds=("READ",))
    assert len(account.id) == 12
    assert account.id not in {a.id for env, a in sandbox.accounts.items() if env != "QA"}
    assert f"QA_AWS_ACCOUNT_ID={account.id}\n" in sandbox.const_inc()
    assert f"QA_IAM_READ_ROLE={account.roles['READ']}\n" in sandbox.const_inc()


def test_grant_to_unknown_account_is_refused(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    with pytest.raises(InputError, match="no account for environment 'NOPE'"):
        sandbox.grant(fresh_user.name, "NOPE", ("ADMIN",))


def test_aws_env_points_at_the_sandbox_with_no_ambient_identity(sandbox: Sandbox, aws_env: AwsPaths) -> None:
    assert os.environ["AWS_ENDPOINT_URL"] == sandbox.endpoint_url
    assert os.environ["AWS_CONFIG_FILE"] == str(aws_env.config)
    assert Path(os.environ["HOME"]) in aws_env.credentials.parents
    assert not {"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} & set(os.environ)
    session: Any = boto3.Session()
    assert session.get_credentials() is None
    assert session.client("sts").meta.endpoint_url == sandbox.endpoint_url


def test_one_sandbox_per_process(sandbox: Sandbox) -> None:
    from bootstrap.sandbox import start_sandbox

    with pytest.raises(StateError, match="already runs in this process"):
        start_sandbox()
