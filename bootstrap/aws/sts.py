"""The STS calls: who a key belongs to, MFA sessions, sessions without MFA, and roles assumed.

Every call goes through ``errors.calling`` so a refusal names the action and the AWS error code.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bootstrap import arns, limits
from bootstrap.aws import clients
from bootstrap.aws.errors import calling
from bootstrap.credentials import Credentials
from bootstrap.errors import InputError


@dataclass(frozen=True)
class Identity:
    """The answer of GetCallerIdentity, with the kind of principal read off the ARN."""

    account: str
    arn: str
    user_id: str

    @property
    def kind(self) -> arns.Kind:
        parsed = arns.parse(self.arn)
        return parsed.kind if parsed is not None else "other"

    @property
    def user_name(self) -> str:
        """The IAM user name (the last path element of a user ARN)."""
        return arns.name_of(self.arn)


def check_duration(duration: int, *, flag: str = "--duration") -> int:
    """``duration`` if STS accepts it for an MFA session, else ``InputError`` naming the limits."""
    if not limits.SESSION_MIN <= duration <= limits.SESSION_MAX:
        raise InputError(
            f"{flag} must be between {limits.SESSION_MIN} and {limits.SESSION_MAX} seconds, not {duration}"
        )
    return duration


def credentials_from(raw: Mapping[str, Any]) -> Credentials:
    """``Credentials`` from the ``Credentials`` member of an STS answer."""
    expiration = raw.get("Expiration")
    if isinstance(expiration, datetime) and expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=UTC)
    return Credentials(
        access_key_id=str(raw["AccessKeyId"]),
        secret_access_key=str(raw["SecretAccessKey"]),
        session_token=str(raw["SessionToken"]) if raw.get("SessionToken") else None,
        expiration=expiration if isinstance(expiration, datetime) else None,
    )


def caller_identity(credentials: Credentials, *, region: str | None = None) -> Identity:
    """Who ``credentials`` belong to (GetCallerIdentity needs no permission)."""
    with calling("sts:GetCallerIdentity"):
        answer = clients.client("sts", credentials, region=region).get_caller_identity()
    return Identity(str(answer["Account"]), str(answer["Arn"]), str(answer["UserId"]))


def get_session(
    long_term: Credentials,
    mfa_serial: str,
    code: str,
    *,
    duration: int = limits.SESSION_DEFAULT,
    region: str | None = None,
) -> Credentials:
    """An MFA session (GetSessionToken) for the long-term key ``long_term``, proven with ``code``."""
    check_duration(duration)
    with calling("sts:GetSessionToken"):
        response = clients.client("sts", long_term, region=region).get_session_token(
            DurationSeconds=duration, SerialNumber=mfa_serial, TokenCode=code
        )
    return credentials_from(response["Credentials"])


def get_plain_session(
    long_term: Credentials, *, duration: int = limits.SESSION_DEFAULT, region: str | None = None
) -> Credentials:
    """A session without MFA (a pipeline user's key): temporary credentials instead of the long-term key."""
    check_duration(duration)
    with calling("sts:GetSessionToken"):
        response = clients.client("sts", long_term, region=region).get_session_token(DurationSeconds=duration)
    return credentials_from(response["Credentials"])


def assume_role(
    base: Credentials,
    role_arn: str,
    *,
    session_name: str | None = None,
    duration: int | None = None,
    external_id: str | None = None,
    mfa: tuple[str, str] | None = None,
    region: str | None = None,
) -> Credentials:
    """Credentials of ``role_arn`` assumed from ``base``; ``mfa`` is (serial, code) when ``base`` lacks MFA."""
    kwargs: dict[str, Any] = {
        "RoleArn": role_arn,
        "RoleSessionName": session_name or f"aws-iam-bootstrap-{int(time.time())}",
    }
    if duration is not None:
        kwargs["DurationSeconds"] = duration
    if external_id:
        kwargs["ExternalId"] = external_id
    if mfa is not None:
        kwargs["SerialNumber"], kwargs["TokenCode"] = mfa
    with calling("sts:AssumeRole"):
        response = clients.client("sts", base, region=region).assume_role(**kwargs)
    return credentials_from(response["Credentials"])
