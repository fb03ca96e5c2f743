"""The seeded organisation is the one the users file and CONST.inc.example describe, role by role, as a user with
MFA experiences it (allowed and refused)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bootstrap.org import users_file
from bootstrap.sandbox import KINDS, Sandbox, example_text
from bootstrap.team.const import load_const
from tests.support.cli import TRANSCRIPT

ROOT = Path(__file__).resolve().parents[2]

USERS: dict[str, Any] = {
    entry.name: {"grants": entry.grants} for entry in users_file.parse(example_text("users.yaml")).users
}

# Runs in its own process with its own sandbox: enrolling seeded alice's MFA here would change the shared
# sandbox other tests rely on (alice has no MFA device there).
PROBE = r"""
import json, time, pyotp, botocore.exceptions
from bootstrap.sandbox import start_sandbox
with start_sandbox() as sb:
    result = {}
    for name, user in sb.users.items():
        iam = sb.client("iam", user.one_time_key)
        if user.mfa_seed is None:
            device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
            serial, totp = device["SerialNumber"], pyotp.TOTP(device["Base32StringSeed"].decode())
            now = time.time()
            iam.enable_mfa_device(UserName=name, SerialNumber=serial,
                                  AuthenticationCode1=totp.at(now - 30), AuthenticationCode2=totp.at(now))
        else:
            serial, totp = user.mfa_serial, pyotp.TOTP(user.mfa_seed)
        creds = sb.client("sts", user.one_time_key).get_session_token(
            SerialNumber=serial, TokenCode=totp.at(time.time() + 30))["Credentials"]
        from bootstrap.credentials import Credentials
        session = sb.client("sts", Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]))
        for env, account in sb.accounts.items():
            for kind in account.roles:
                try:
                    session.assume_role(RoleArn=account.role_arn(kind), RoleSessionName=name)
                    outcome = "allowed"
                except botocore.exceptions.ClientError as exc:
                    outcome = exc.response["Error"]["Code"]
                result.setdefault(name, {}).setdefault(env, {})[kind] = outcome
    print(json.dumps(result))
"""


def test_the_seed_is_the_repository_s_example_files() -> None:
    # The sandbox is seeded from package data (an installed wheel has no repository): the same bytes.
    assert example_text("CONST.inc") == (ROOT / "CONST.inc.example").read_text()
    assert example_text("users.yaml") == (ROOT / "users.yaml.example").read_text()


def test_const_inc_is_the_example_const(sandbox: Sandbox, tmp_path: Path) -> None:
    generated = tmp_path / "CONST.inc"
    generated.write_text(sandbox.const_inc())
    example = load_const(ROOT / "CONST.inc.example")
    ours = load_const(generated)
    assert {k: ours.values[k] for k in example.values} == dict(example.values)


def test_each_role_trusts_exactly_the_users_the_users_file_grants(sandbox: Sandbox) -> None:
    from bootstrap.sandbox import backend

    for env, account in sandbox.accounts.items():
        if env not in ("DEV", "PROD"):
            continue  # accounts other tests added
        for kind in KINDS:
            trust = backend.trust_policy(backend.role(account.id, account.role_arn(kind)))
            named = {arn.rsplit("/", 1)[-1] for arn in trust["Statement"][0]["Principal"]["AWS"]}
            granted = {name for name, spec in USERS.items() if kind in spec["grants"].get(env, [])}
            assert named & set(USERS) == granted, (env, kind)
            assert trust["Statement"][0]["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}


def test_with_mfa_each_seeded_user_assumes_exactly_the_granted_roles() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False, cwd=ROOT
    )
    TRANSCRIPT.append(proc.stderr)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    for name, spec in USERS.items():
        for env in ("DEV", "PROD"):
            for kind in KINDS:
                expected = "allowed" if kind in spec["grants"].get(env, []) else "AccessDenied"
                assert seen[name][env][kind] == expected, (name, env, kind)
    assert seen["alice"] == {
        "DEV": {"ADMIN": "allowed", "OPS": "AccessDenied", "READ": "AccessDenied"},
        "PROD": {"ADMIN": "AccessDenied", "OPS": "AccessDenied", "READ": "allowed"},
    }
