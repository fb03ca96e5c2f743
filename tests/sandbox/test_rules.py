"""Each rule of the sandbox's layer, against the running sandbox over HTTP with real boto3 clients.

Every refusal is checked for the error code AND the HTTP status real AWS returns. Each test that changes state
uses its own fresh user. TOTP codes come from distinct 30 s windows (the sandbox refuses a reused window).
"""

from __future__ import annotations

import time
from functools import partial

import botocore.exceptions
import pyotp
import pytest

from bootstrap.credentials import Credentials
from bootstrap.sandbox import Sandbox, SandboxUser
from tests.support.sandbox import Mfa, assume, enrol, get_session, refused


def test_enable_mfa_with_a_wrong_code_is_refused(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    iam = sandbox.client("iam", fresh_user.one_time_key)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=fresh_user.name)["VirtualMFADevice"]
    totp = pyotp.TOTP(device["Base32StringSeed"].decode())
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    code, status, _ = refused(
        lambda: iam.enable_mfa_device(
            UserName=fresh_user.name,
            SerialNumber=device["SerialNumber"],
            AuthenticationCode1=wrong,
            AuthenticationCode2=totp.now(),
        )
    )
    assert (code, status) == ("InvalidAuthenticationCode", 403)
    assert iam.list_mfa_devices(UserName=fresh_user.name)["MFADevices"] == []


def test_enable_mfa_with_non_consecutive_codes_is_refused(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    iam = sandbox.client("iam", fresh_user.one_time_key)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=fresh_user.name)["VirtualMFADevice"]
    mfa = Mfa(device["SerialNumber"], pyotp.TOTP(device["Base32StringSeed"].decode()))
    for first, second in ((-1, 1), (0, 0), (0, -1)):
        code, status, _ = refused(
            partial(
                iam.enable_mfa_device,
                UserName=fresh_user.name,
                SerialNumber=mfa.serial,
                AuthenticationCode1=mfa.code(first),
                AuthenticationCode2=mfa.code(second),
            )
        )
        assert (code, status) == ("InvalidAuthenticationCode", 403)


def test_enable_mfa_with_two_consecutive_codes_assigns_the_device(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    mfa = enrol(sandbox, fresh_user)
    iam = sandbox.client("iam", fresh_user.one_time_key)
    devices = iam.list_mfa_devices(UserName=fresh_user.name)["MFADevices"]
    assert [d["SerialNumber"] for d in devices] == [mfa.serial]


def test_session_with_a_wrong_code_is_refused(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    mfa = enrol(sandbox, fresh_user)
    sts = sandbox.client("sts", fresh_user.one_time_key)
    wrong = f"{(int(mfa.code(1)) + 1) % 1_000_000:06d}"
    code, status, message = refused(lambda: sts.get_session_token(SerialNumber=mfa.serial, TokenCode=wrong))
    assert (code, status) == ("AccessDenied", 403)
    assert "invalid MFA one time pass code" in message


def test_a_code_already_used_for_the_serial_is_refused(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    mfa = enrol(sandbox, fresh_user)
    sts = sandbox.client("sts", fresh_user.one_time_key)
    code_now = mfa.code(1)
    sts.get_session_token(SerialNumber=mfa.serial, TokenCode=code_now)
    code, status, _ = refused(lambda: sts.get_session_token(SerialNumber=mfa.serial, TokenCode=code_now))
    assert (code, status) == ("AccessDenied", 403)
    # a code used to enable the device counts as used too
    code, status, _ = refused(lambda: sts.get_session_token(SerialNumber=mfa.serial, TokenCode=mfa.code(0)))
    assert (code, status) == ("AccessDenied", 403)


def test_session_with_a_serial_that_is_not_the_callers_is_refused(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    other = sandbox.add_user(f"{fresh_user.name}-other", {})
    mfa = enrol(sandbox, other)
    sts = sandbox.client("sts", fresh_user.one_time_key)
    code, status, _ = refused(lambda: sts.get_session_token(SerialNumber=mfa.serial, TokenCode=mfa.code(1)))
    assert (code, status) == ("AccessDenied", 403)


# --- sessions belong to the caller -----------------------------------------------------------------------------


def test_session_credentials_name_the_user(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    mfa = enrol(sandbox, fresh_user)
    for creds in (get_session(sandbox, fresh_user), get_session(sandbox, fresh_user, mfa)):
        assert creds.access_key_id.startswith("ASIA")
        who = sandbox.client("sts", creds).get_caller_identity()
        assert who["Arn"] == fresh_user.arn
        assert who["Account"] == sandbox.users_account_id


def test_session_credentials_cannot_get_another_session(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    session = get_session(sandbox, fresh_user)
    code, status, _ = refused(lambda: sandbox.client("sts", session).get_session_token())
    assert (code, status) == ("AccessDenied", 403)


def test_session_duration_out_of_range_is_a_validation_error(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    sts = sandbox.client("sts", fresh_user.one_time_key)
    code, status, _ = refused(lambda: sts.get_session_token(DurationSeconds=129601))
    assert (code, status) == ("ValidationError", 400)


def test_expired_session_is_refused(sandbox: Sandbox, fresh_user: SandboxUser, monkeypatch: pytest.MonkeyPatch) -> None:
    session = get_session(sandbox, fresh_user)
    later = time.time() + 3601
    monkeypatch.setattr(sandbox.layer, "clock", lambda: later)
    code, status, _ = refused(lambda: sandbox.client("sts", session).get_caller_identity())
    assert (code, status) == ("ExpiredToken", 403)


def test_unknown_key_and_wrong_secret_are_refused(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    unknown = Credentials("AKIAUNKNOWNUNKNOWN00", "x" * 40)
    code, status, _ = refused(lambda: sandbox.client("sts", unknown).get_caller_identity())
    assert (code, status) == ("InvalidClientTokenId", 403)
    wrong = Credentials(fresh_user.one_time_key.access_key_id, "y" * 40)
    code, status, _ = refused(lambda: sandbox.client("sts", wrong).get_caller_identity())
    assert (code, status) == ("SignatureDoesNotMatch", 403)


# --- AssumeRole honours the trust policy -------------------------------------------------------------------------


def test_assume_without_mfa_is_refused(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    no_mfa_session = get_session(sandbox, fresh_user)
    for creds in (fresh_user.one_time_key, no_mfa_session):
        code, status, message = refused(partial(assume, sandbox, creds, "DEV", "ADMIN"))
        assert (code, status) == ("AccessDenied", 403)
        role_arn = sandbox.accounts["DEV"].role_arn("ADMIN")
        assert message == f"User: {fresh_user.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"


def test_assume_by_a_user_the_trust_does_not_name_is_refused(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    session = get_session(sandbox, fresh_user, enrol(sandbox, fresh_user))
    assume(sandbox, session, "PROD", "READ")
    for env, kind in (("PROD", "ADMIN"), ("DEV", "READ"), ("DEV", "OPS")):
        code, status, _ = refused(partial(assume, sandbox, session, env, kind))
        assert (code, status) == ("AccessDenied", 403)


def test_assume_with_serial_and_code_from_the_long_term_key(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    mfa = enrol(sandbox, fresh_user)
    code_now = mfa.code(1)
    role = assume(sandbox, fresh_user.one_time_key, "DEV", "ADMIN", SerialNumber=mfa.serial, TokenCode=code_now)
    assert sandbox.client("sts", role).get_caller_identity()["Account"] == sandbox.accounts["DEV"].id
    extra = {"SerialNumber": mfa.serial, "TokenCode": code_now}
    code, status, _ = refused(lambda: assume(sandbox, fresh_user.one_time_key, "DEV", "ADMIN", **extra))
    assert (code, status) == ("AccessDenied", 403)


def test_assume_of_a_role_that_does_not_exist_is_access_denied(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    session = get_session(sandbox, fresh_user, enrol(sandbox, fresh_user))
    sts = sandbox.client("sts", session)
    missing = f"arn:aws:iam::{sandbox.accounts['DEV'].id}:role/infra-AdminR-NOSUCHROLE00"
    code, status, _ = refused(lambda: sts.assume_role(RoleArn=missing, RoleSessionName="xx"))
    assert (code, status) == ("AccessDenied", 403)


def test_assumed_role_credentials_act_in_the_other_account(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    session = get_session(sandbox, fresh_user, enrol(sandbox, fresh_user))
    dev = sandbox.accounts["DEV"]
    role = assume(sandbox, session, "DEV", "ADMIN")
    who = sandbox.client("sts", role).get_caller_identity()
    assert who["Account"] == dev.id
    assert who["Arn"] == f"arn:aws:sts::{dev.id}:assumed-role/{dev.roles['ADMIN']}/test"
    role_names = {r["RoleName"] for r in sandbox.client("iam", role).list_roles()["Roles"]}
    assert set(dev.roles.values()) <= role_names


def test_read_role_cannot_write(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    session = get_session(sandbox, fresh_user, enrol(sandbox, fresh_user))
    read = assume(sandbox, session, "PROD", "READ")
    iam = sandbox.client("iam", read)
    assert iam.list_roles()["Roles"]
    code, status, _ = refused(lambda: iam.create_user(UserName="intruder"))
    assert (code, status) == ("AccessDenied", 403)


def test_add_account_and_grant_make_a_new_role_assumable(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    account = sandbox.add_account(f"CHAIN{abs(hash(fresh_user.name)) % 10**6}", kinds=("READ",))
    sandbox.grant(fresh_user.name, account.env, ("READ",))
    session = get_session(sandbox, fresh_user, enrol(sandbox, fresh_user))
    role = assume(sandbox, session, account.env, "READ")
    assert sandbox.client("sts", role).get_caller_identity()["Account"] == account.id


# --- identity policies --------------------------------------------------------------------------------------------


def test_without_mfa_only_mfa_self_management_is_allowed(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    iam = sandbox.client("iam", fresh_user.one_time_key)
    assert iam.get_user()["User"]["UserName"] == fresh_user.name
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] is not None
    iam.create_virtual_mfa_device(VirtualMFADeviceName=fresh_user.name)
    for call in (
        iam.list_users,
        lambda: iam.create_access_key(UserName="alice"),
        iam.create_access_key,  # even their own: DenyAllExceptListedIfNoMFA
        lambda: iam.list_access_keys(UserName=fresh_user.name),
    ):
        code, status, message = refused(call)
        assert (code, status) == ("AccessDenied", 403)
        assert message.startswith(f"User: {fresh_user.arn} is not authorized to perform: iam:")


def test_with_an_mfa_session_the_user_manages_only_their_own_keys(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    session = get_session(sandbox, fresh_user, enrol(sandbox, fresh_user))
    iam = sandbox.client("iam", session)
    new_key = iam.create_access_key()["AccessKey"]
    Credentials(new_key["AccessKeyId"], new_key["SecretAccessKey"])  # registered for masking
    assert new_key["UserName"] == fresh_user.name
    listed = {k["AccessKeyId"] for k in iam.list_access_keys()["AccessKeyMetadata"]}
    assert listed == {fresh_user.one_time_key.access_key_id, new_key["AccessKeyId"]}
    iam.update_access_key(AccessKeyId=fresh_user.one_time_key.access_key_id, Status="Inactive")
    iam.delete_access_key(AccessKeyId=fresh_user.one_time_key.access_key_id)
    for call in (iam.list_users, lambda: iam.create_access_key(UserName="alice")):
        code, status, message = refused(call)
        assert (code, status) == ("AccessDenied", 403)
        assert "because no identity-based policy allows" in message
    code, status, _ = refused(lambda: sandbox.client("sts", fresh_user.one_time_key).get_caller_identity())
    assert (code, status) == ("InvalidClientTokenId", 403)  # the deleted key is gone


def test_change_password_needs_mfa_and_the_old_password(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    iam = sandbox.client("iam", fresh_user.one_time_key)
    code, status, _ = refused(lambda: iam.change_password(OldPassword=fresh_user.password, NewPassword="N3w-pass-1!"))
    assert (code, status) == ("AccessDenied", 403)
    mfa_iam = sandbox.client("iam", get_session(sandbox, fresh_user, enrol(sandbox, fresh_user)))
    code, status, _ = refused(lambda: mfa_iam.change_password(OldPassword="not-it-at-all", NewPassword="N3w-pass-1!"))
    assert (code, status) == ("AccessDenied", 403)
    mfa_iam.change_password(OldPassword=fresh_user.password, NewPassword="N3w-pass-1!")


def test_session_outlives_the_key_that_minted_it(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    session = get_session(sandbox, fresh_user, enrol(sandbox, fresh_user))
    iam = sandbox.client("iam", session)
    iam.delete_access_key(AccessKeyId=fresh_user.one_time_key.access_key_id)
    assert sandbox.client("sts", session).get_caller_identity()["Arn"] == fresh_user.arn


def test_role_sessions_expire_by_the_sandbox_clock(
    sandbox: Sandbox, fresh_user: SandboxUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = get_session(sandbox, fresh_user, enrol(sandbox, fresh_user))
    role = assume(sandbox, session, "DEV", "ADMIN", DurationSeconds=900)
    later = time.time() + 901
    monkeypatch.setattr(sandbox.layer, "clock", lambda: later)
    code, status, _ = refused(lambda: sandbox.client("sts", role).get_caller_identity())
    assert (code, status) == ("ExpiredToken", 403)


def test_concurrent_role_checks_through_one_session(sandbox: Sandbox, fresh_user: SandboxUser) -> None:
    from concurrent.futures import ThreadPoolExecutor

    session = get_session(sandbox, fresh_user, enrol(sandbox, fresh_user))

    def check(env_kind: tuple[str, str]) -> str:
        try:
            role = assume(sandbox, session, *env_kind)
        except botocore.exceptions.ClientError as exc:
            return str(exc.response["Error"]["Code"])
        return str(sandbox.client("sts", role).get_caller_identity()["Account"])

    wanted = [(env, kind) for env in ("DEV", "PROD") for kind in ("ADMIN", "OPS", "READ")] * 3
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(zip(wanted, pool.map(check, wanted), strict=True))
    expected = {("DEV", "ADMIN"): sandbox.accounts["DEV"].id, ("PROD", "READ"): sandbox.accounts["PROD"].id}
    for env_kind, outcome in outcomes:
        assert outcome == expected.get(env_kind, "AccessDenied"), env_kind
