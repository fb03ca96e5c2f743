"""Helpers for the sandbox's tests: MFA enrolment and sessions through real boto3 clients, refusals read the way
AWS sends them, and the ``sandbox`` command run as a real process."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import botocore.exceptions
import pyotp
import pytest

from bootstrap.credentials import Credentials
from tests.support.cli import BIN, TRANSCRIPT

if TYPE_CHECKING:
    from bootstrap.sandbox import Sandbox, SandboxUser


@dataclass(frozen=True)
class Mfa:
    """A device in the test's hand. Codes are counted in windows from the moment it was enrolled, so a test that
    straddles a 30 s boundary still means the same windows (the sandbox accepts the previous, current and next)."""

    serial: str
    totp: pyotp.TOTP
    enrolled: float = field(default_factory=time.time)

    def code(self, windows_from_now: int) -> str:
        return self.totp.at(self.enrolled + 30 * windows_from_now)


def refused(call: Callable[[], Any]) -> tuple[str, int, str]:
    """Run a call that must fail; return (error code, HTTP status, message)."""
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call()
    response: Any = info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def enrol(sandbox: Sandbox, user: SandboxUser) -> Mfa:
    """Enrol a virtual MFA device as the user would, with codes of the previous and current windows."""
    iam = sandbox.client("iam", user.one_time_key)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user.name)["VirtualMFADevice"]
    mfa = Mfa(device["SerialNumber"], pyotp.TOTP(device["Base32StringSeed"].decode()))
    iam.enable_mfa_device(
        UserName=user.name,
        SerialNumber=mfa.serial,
        AuthenticationCode1=mfa.code(-1),
        AuthenticationCode2=mfa.code(0),
    )
    return mfa


def get_session(sandbox: Sandbox, user: SandboxUser, mfa: Mfa | None = None, window: int = 1) -> Credentials:
    sts = sandbox.client("sts", user.one_time_key)
    extra = {"SerialNumber": mfa.serial, "TokenCode": mfa.code(window)} if mfa else {}
    creds = sts.get_session_token(DurationSeconds=3600, **extra)["Credentials"]
    return Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], creds["Expiration"])


def assume(sandbox: Sandbox, creds: Credentials, account_env: str, kind: str, **extra: Any) -> Credentials:
    arn = sandbox.accounts[account_env].role_arn(kind)
    got = sandbox.client("sts", creds).assume_role(RoleArn=arn, RoleSessionName="test", **extra)["Credentials"]
    return Credentials(got["AccessKeyId"], got["SecretAccessKey"], got["SessionToken"], got["Expiration"])


# --- TOTP --------------------------------------------------------------------------------------------------------


@contextmanager
def running_sandbox(*args: str) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """Start the command; yield it with the lines it printed up to its ready banner's end."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen(
        [str(BIN / "aws-iam-bootstrap"), "sandbox", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("# Ctrl-C stops the sandbox"):
                break
        yield proc, lines
    finally:
        if proc.poll() is None:
            proc.kill()
        rest, errors = proc.communicate(timeout=30)
        TRANSCRIPT.extend(["\n".join(lines), rest, errors])


def exports(lines: list[str]) -> dict[str, str]:
    found = {}
    for line in lines:
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            found[name] = value
    return found
