"""The IAM calls on one user's own things: access keys (list, create, prove, deactivate, delete) and virtual MFA
devices (list, create, enable, delete).

IAM is eventually consistent: a key it just created may be unknown to STS for a few seconds, so
``wait_until_works`` retries with a bounded backoff through the clock seam (tests and the demo never really sleep).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bootstrap import limits
from bootstrap.aws import clients, codes
from bootstrap.aws.errors import calling
from bootstrap.aws.sts import Identity, caller_identity
from bootstrap.credentials import Credentials
from bootstrap.errors import AwsError

if TYPE_CHECKING:
    from bootstrap.clock import Clock

# Backoff while a new key propagates: 1, 2, 4, 8, 8, ... seconds, giving up after this many tries (~1 minute).
WAIT_TRIES = 10
WAIT_MAX_DELAY = 8.0


@dataclass(frozen=True)
class KeyInfo:
    """One access key as ListAccessKeys describes it (never the secret)."""

    key_id: str
    status: str
    created: datetime

    @property
    def active(self) -> bool:
        return self.status == "Active"

    def age_days(self, now: datetime) -> int:
        return (now - self.created).days

    def is_old(self, now: datetime) -> bool:
        return now - self.created > timedelta(days=limits.OLD_KEY_DAYS)


@dataclass(frozen=True)
class NewKey:
    credentials: Credentials
    created: datetime

    @property
    def key_id(self) -> str:
        return self.credentials.access_key_id


def _iam(credentials: Credentials) -> Any:
    return clients.client("iam", credentials)


def list_keys(credentials: Credentials, user: str) -> list[KeyInfo]:
    with calling("iam:ListAccessKeys"):
        answer = _iam(credentials).list_access_keys(UserName=user)
    return sorted(
        (KeyInfo(k["AccessKeyId"], k["Status"], k["CreateDate"]) for k in answer["AccessKeyMetadata"]),
        key=lambda k: k.created,
    )


def create_key(credentials: Credentials, user: str) -> NewKey:
    with calling("iam:CreateAccessKey"):
        key = _iam(credentials).create_access_key(UserName=user)["AccessKey"]
    return NewKey(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), key["CreateDate"])


def deactivate_key(credentials: Credentials, user: str, key_id: str) -> None:
    with calling("iam:UpdateAccessKey"):
        _iam(credentials).update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive")


def delete_key(credentials: Credentials, user: str, key_id: str, *, missing_ok: bool = True) -> bool:
    """Delete a key; False when it was already gone (a re-run finishing what an earlier run started)."""
    try:
        with calling("iam:DeleteAccessKey"):
            _iam(credentials).delete_access_key(UserName=user, AccessKeyId=key_id)
    except AwsError as exc:
        if missing_ok and exc.code in codes.NOT_FOUND:
            return False
        raise
    return True


def works(credentials: Credentials) -> Identity | None:
    """The identity of ``credentials``, or None when AWS does not know the key (deactivated, deleted, not yet)."""
    try:
        return caller_identity(credentials)
    except AwsError as exc:
        if exc.code in codes.UNKNOWN_KEY:
            return None
        raise


def wait_until_works(
    credentials: Credentials, clock: Clock, *, tries: int = WAIT_TRIES, max_delay: float = WAIT_MAX_DELAY
) -> Identity:
    """Retry GetCallerIdentity with a new key until STS knows it, backing off; AwsError after ``tries``."""
    delay = 1.0
    for attempt in range(1, tries + 1):
        identity = works(credentials)
        if identity is not None:
            return identity
        if attempt < tries:
            clock.sleep(delay)
            delay = min(delay * 2, max_delay)
    raise AwsError(
        f"the new key {credentials.access_key_id} still does not work after {tries} tries; IAM may be slow:"
        " run the command again to continue",
        code="InvalidClientTokenId",
        action="sts:GetCallerIdentity",
    )


# --- virtual MFA devices -------------------------------------------------------------------------------------


def enabled_mfa_devices(credentials: Credentials, user: str) -> list[str]:
    """The serials of the MFA devices enabled for ``user``."""
    with calling("iam:ListMFADevices"):
        devices = _iam(credentials).list_mfa_devices(UserName=user)["MFADevices"]
    return [str(d["SerialNumber"]) for d in devices]


def unassigned_virtual_devices(credentials: Credentials) -> list[str]:
    """The serials of the account's virtual MFA devices that no user has enabled."""
    with calling("iam:ListVirtualMFADevices"):
        devices = _iam(credentials).list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    return [str(d["SerialNumber"]) for d in devices]


def create_virtual_device(credentials: Credentials, name: str) -> tuple[str, str]:
    """CreateVirtualMFADevice; (serial, Base32 seed). ``AwsError`` EntityAlreadyExists when the name is taken."""
    with calling("iam:CreateVirtualMFADevice"):
        created = _iam(credentials).create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    raw_seed = created["Base32StringSeed"]
    seed = raw_seed.decode("ascii") if isinstance(raw_seed, bytes) else str(raw_seed)
    return str(created["SerialNumber"]), seed


def enable_device(credentials: Credentials, user: str, serial: str, first: str, second: str) -> None:
    """EnableMFADevice with two codes of consecutive windows."""
    with calling("iam:EnableMFADevice"):
        _iam(credentials).enable_mfa_device(
            UserName=user, SerialNumber=serial, AuthenticationCode1=first, AuthenticationCode2=second
        )


def delete_virtual_device(credentials: Credentials, serial: str) -> None:
    with calling("iam:DeleteVirtualMFADevice"):
        _iam(credentials).delete_virtual_mfa_device(SerialNumber=serial)
