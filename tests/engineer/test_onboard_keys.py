"""Access keys and identities (bootstrap.keys) against the sandbox: who a key is, and the bounded wait for a
new key to work."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from bootstrap.aws import iam, sts
from bootstrap.engineer import onboard
from bootstrap.errors import AwsError, InputError
from tests.support.clock import FakeClock

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.sandbox import SandboxUser


@pytest.mark.parametrize(
    ("arn", "kind"),
    [
        ("arn:aws:iam::210987654321:user/alice", "user"),
        ("arn:aws:iam::210987654321:user/team/alice", "user"),
        ("arn:aws:iam::123456789012:root", "root"),
        ("arn:aws:sts::345678901234:assumed-role/infra-AdminR-X/alice", "assumed-role"),
        ("arn:aws:sts::345678901234:federated-user/bob", "federated-user"),
    ],
)
def test_the_kind_of_principal_is_read_off_the_arn(arn: str, kind: str) -> None:
    assert sts.Identity("1", arn, "AID").kind == kind


def test_only_an_iam_user_of_the_users_account_is_accepted() -> None:
    user = sts.Identity("210987654321", "arn:aws:iam::210987654321:user/team/alice", "AID")
    onboard.require_user(user, users_account="210987654321")
    assert user.user_name == "alice"
    with pytest.raises(InputError, match="USERS_AWS_ACCOUNT_ID"):
        onboard.require_user(user, users_account="999999999999")
    with pytest.raises(InputError, match="root"):
        onboard.require_user(sts.Identity("123456789012", "arn:aws:iam::123456789012:root", "123456789012"))


def test_the_wait_for_a_key_is_bounded_and_backs_off(aws_env: AwsPaths, fresh_user: SandboxUser) -> None:
    """A key STS will never know (IAM deactivated it) stands in for one still propagating: the wait retries
    through the clock seam with a growing delay, then gives up saying what to do."""
    from bootstrap.sandbox import backend

    backend.iam(fresh_user.account_id).update_access_key(
        fresh_user.name, fresh_user.one_time_key.access_key_id, "Inactive"
    )
    clock = FakeClock(datetime.now(UTC))
    with pytest.raises(AwsError, match=r"still does not work after 6 tries.*run the command again"):
        iam.wait_until_works(fresh_user.one_time_key, clock, tries=6)
    assert clock.slept == [1.0, 2.0, 4.0, 8.0, 8.0]


def test_a_working_key_needs_no_wait(aws_env: AwsPaths, fresh_user: SandboxUser) -> None:
    clock = FakeClock(datetime.now(UTC))
    identity = iam.wait_until_works(fresh_user.one_time_key, clock)
    assert identity.arn == fresh_user.arn
    assert clock.slept == []


def test_deleting_a_key_already_gone_is_not_an_error(aws_env: AwsPaths, fresh_user: SandboxUser) -> None:
    """A re-run finishing what an earlier run started may delete a key twice."""
    import pyotp

    from bootstrap.sandbox import backend

    serial, seed = backend.enable_virtual_mfa(fresh_user.account_id, fresh_user.name, fresh_user.name)
    session = sts.get_session(fresh_user.one_time_key, serial, pyotp.TOTP(seed).now())
    extra = iam.create_key(session, fresh_user.name)
    assert iam.delete_key(session, fresh_user.name, extra.key_id) is True
    assert iam.delete_key(session, fresh_user.name, extra.key_id) is False
    with pytest.raises(AwsError, match="NoSuchEntity"):
        iam.delete_key(session, fresh_user.name, extra.key_id, missing_ok=False)
    assert [k.key_id for k in iam.list_keys(session, fresh_user.name)] == [fresh_user.one_time_key.access_key_id]
