"""Access keys and identities: who a key belongs to, and creating, proving, deactivating, deleting keys.

Every call goes through ``aws.calling`` so a refusal names the action and the AWS error code. IAM is
eventually consistent: a key it just created may be unknown to STS for a few seconds, so ``wait_until_works``
retries with a bounded backoff through the clock seam (tests and the demo never really sleep).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from bootstrap import aws
from bootstrap.errors import AwsError, InputError
from bootstrap.model import Credentials

if TYPE_CHECKING:
    from bootstrap.clock import Clock

MAX_KEYS = 2  # IAM's limit per user
OLD_KEY_DAYS = 90

# A key IAM does not know (yet, or any more): the error codes STS answers with.
UNKNOWN_KEY_ERRORS = frozenset({"InvalidClientTokenId", "SignatureDoesNotMatch", "AuthFailure"})

# Backoff while a new key propagates: 1, 2, 4, 8, 8, ... seconds, giving up after this many tries (~1 minute).
WAIT_TRIES = 10
WAIT_MAX_DELAY = 8.0

Kind = Literal["user", "root", "assumed-role", "federated-user", "other"]


@dataclass(frozen=True)
class Identity:
    """The answer of GetCallerIdentity, with the kind of principal read off the ARN."""

    account: str
    arn: str
    user_id: str

    @property
    def kind(self) -> Kind:
        resource = self.arn.split(":", 5)[-1]
        if resource == "root":
            return "root"
        if resource.startswith("user/"):
            return "user"
        if resource.startswith("assumed-role/"):
            return "assumed-role"
        if resource.startswith("federated-user/"):
            return "federated-user"
        return "other"

    @property
    def user_name(self) -> str:
        """The IAM user name (the last path element of a user ARN)."""
        return self.arn.rsplit("/", 1)[-1]


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
        return now - self.created > timedelta(days=OLD_KEY_DAYS)


@dataclass(frozen=True)
class NewKey:
    credentials: Credentials
    created: datetime

    @property
    def key_id(self) -> str:
        return self.credentials.access_key_id


def caller_identity(credentials: Credentials) -> Identity:
    """Who ``credentials`` belong to (STS GetCallerIdentity needs no permission)."""
    with aws.calling("sts:GetCallerIdentity"):
        answer = aws.client("sts", credentials).get_caller_identity()
    return Identity(answer["Account"], answer["Arn"], answer["UserId"])


def require_user(identity: Identity, *, users_account: str | None = None) -> None:
    """Refuse a key that is not an IAM user's own, or that is not in the team's users-only account."""
    if identity.kind == "root":
        raise InputError(
            f"this is a key of the root of account {identity.account} ({identity.arn}); never use a root key:"
            " give the one-time key of your IAM user"
        )
    if identity.kind != "user":
        raise InputError(
            f"this key is not an IAM user's ({identity.arn} is a {identity.kind}); give the one-time key of your"
            " IAM user"
        )
    if users_account and identity.account != users_account:
        raise InputError(
            f"this key's user is in account {identity.account}, but CONST.inc names {users_account} as the"
            " users-only account (USERS_AWS_ACCOUNT_ID): give the key of your user there"
        )


def _iam(credentials: Credentials) -> Any:
    return aws.client("iam", credentials)


def list_keys(credentials: Credentials, user: str) -> list[KeyInfo]:
    with aws.calling("iam:ListAccessKeys"):
        answer = _iam(credentials).list_access_keys(UserName=user)
    return sorted(
        (KeyInfo(k["AccessKeyId"], k["Status"], k["CreateDate"]) for k in answer["AccessKeyMetadata"]),
        key=lambda k: k.created,
    )


def create_key(credentials: Credentials, user: str) -> NewKey:
    with aws.calling("iam:CreateAccessKey"):
        key = _iam(credentials).create_access_key(UserName=user)["AccessKey"]
    return NewKey(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), key["CreateDate"])


def deactivate_key(credentials: Credentials, user: str, key_id: str) -> None:
    with aws.calling("iam:UpdateAccessKey"):
        _iam(credentials).update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive")


def delete_key(credentials: Credentials, user: str, key_id: str, *, missing_ok: bool = True) -> bool:
    """Delete a key; False when it was already gone (a re-run finishing what an earlier run started)."""
    try:
        with aws.calling("iam:DeleteAccessKey"):
            _iam(credentials).delete_access_key(UserName=user, AccessKeyId=key_id)
    except AwsError as exc:
        if missing_ok and exc.code == "NoSuchEntity":
            return False
        raise
    return True


def works(credentials: Credentials) -> Identity | None:
    """The identity of ``credentials``, or None when AWS does not know the key (deactivated, deleted, not yet)."""
    try:
        return caller_identity(credentials)
    except AwsError as exc:
        if exc.code in UNKNOWN_KEY_ERRORS:
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
