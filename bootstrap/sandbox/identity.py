"""Who is calling: the caller behind an access key id (a user's long-term key, a session minted by the layer's
``GetSessionToken``, or an assumed-role session), the policies that apply to it, the request context its
conditions see, and its CloudTrail ``userIdentity``.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bootstrap.policy.evaluate import ContextValue, PolicySet
from bootstrap.sandbox import backend
from bootstrap.sandbox.refusals import Refusal


@dataclass(frozen=True)
class Caller:
    kind: str  # "user" (long-term key), "user-session" (GetSessionToken), "role-session" (AssumeRole)
    account_id: str
    arn: str  # a user ARN (also for its sessions) or an assumed-role ARN
    name: str  # user name, or role name
    secret: str = field(repr=False)
    mfa_time: float | None  # when MFA was last proven for these credentials
    key_id: str = ""
    role_arn: str | None = None
    source_identity: str | None = None
    issued: float | None = None  # when a session was minted

    @property
    def is_user(self) -> bool:
        return self.kind != "role-session"


@dataclass(frozen=True)
class UserSession:
    account_id: str
    user_name: str
    user_arn: str
    secret: str = field(repr=False)
    token: str = field(repr=False)
    expiration: float
    mfa_time: float | None
    issued: float


@dataclass(frozen=True)
class RoleSession:
    """What the layer knows of a role session moto minted: MFA, expiry by the layer's clock, source identity."""

    mfa_time: float | None
    expiration: float
    issued: float
    source_identity: str | None = None
    chained: bool = False


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two strings (any characters a client may send)."""
    return hmac.compare_digest(a.encode(), b.encode())


class Sessions:
    """The sessions the layer minted or saw minted, and the look-up of a request's caller."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._users: dict[str, UserSession] = {}
        self._roles: dict[str, RoleSession] = {}  # assumed-role key id -> what moto does not track
        self._key_accounts: dict[str, str] = {}  # key id -> account (a hint: the key is re-read every time)

    def add_user_session(self, key_id: str, session: UserSession) -> None:
        with self._lock:
            self._users[key_id] = session

    def add_role_session(self, key_id: str, session: RoleSession) -> None:
        with self._lock:
            self._roles[key_id] = session

    def caller(self, key_id: str, token: str | None) -> Caller:
        """The caller of a request signed by ``key_id`` (with ``token`` for temporary credentials), or the
        refusal AWS gives: an unknown or inactive key, a wrong token, an expired session."""
        now = self.clock()
        session = self._users.get(key_id)
        if session is not None:
            if token is None or not same(token, session.token):
                raise Refusal("invalid-key")
            if now >= session.expiration:
                raise Refusal("expired")
            if backend.user(session.account_id, session.user_name) is None:
                raise Refusal("invalid-key")  # the user is gone; its key need not be
            return Caller(
                "user-session",
                session.account_id,
                session.user_arn,
                session.user_name,
                session.secret,
                session.mfa_time,
                key_id,
                issued=session.issued,
            )
        key = backend.find_key(key_id, self._key_accounts.get(key_id))
        if key is None or not key.active:
            raise Refusal("invalid-key")
        self._key_accounts[key_id] = key.account_id
        if key.user_name is not None:
            if token is not None:
                raise Refusal("invalid-key")
            arn = backend.user_arn(key.account_id, key.user_name)
            return Caller("user", key.account_id, arn, key.user_name, key.secret, None, key_id)
        role = backend.find_role_session(key.account_id, key_id)
        if role is None or token is None or not same(token, role.token):
            raise Refusal("invalid-key")
        minted = self._roles.get(key_id)
        # expiry by this layer's clock (which tests may move), moto's own wall-clock expiry otherwise
        expiration = minted.expiration if minted else role.expiration.replace(tzinfo=UTC).timestamp()
        if now >= expiration:
            raise Refusal("expired")
        return Caller(
            "role-session",
            key.account_id,
            role.arn,
            role.role_arn.rsplit("/", 1)[-1],
            key.secret,
            minted.mfa_time if minted else None,
            key_id,
            role.role_arn,
            minted.source_identity if minted else None,
            minted.issued if minted else None,
        )

    def context(self, caller: Caller, mfa_time: float | None) -> dict[str, ContextValue]:
        """The global condition keys of a request by ``caller`` (MFA as of ``mfa_time``)."""
        context: dict[str, ContextValue] = {
            "aws:PrincipalArn": caller.role_arn or caller.arn,
            "aws:PrincipalAccount": caller.account_id,
            "aws:PrincipalType": "AssumedRole" if caller.role_arn else "User",
            "aws:userid": caller.name,
            "aws:CurrentTime": datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(int(self.clock())),
            "aws:SecureTransport": "false",
        }
        if caller.is_user:
            context["aws:username"] = caller.name
        if caller.source_identity:
            context["aws:SourceIdentity"] = caller.source_identity
        if caller.kind != "user" or mfa_time is not None:
            # temporary credentials carry the MFA keys; a long-term key has none (BoolIfExists treats it as false)
            context["aws:MultiFactorAuthPresent"] = "true" if mfa_time is not None else "false"
            if mfa_time is not None:
                context["aws:MultiFactorAuthAge"] = str(max(0, int(self.clock() - mfa_time)))
        return context


def policies(caller: Caller) -> PolicySet:
    """The caller's identity policies, compiled: a role's, or a user's own and its groups'."""
    if caller.role_arn is not None:
        return backend.role_policy_set(caller.account_id, caller.role_arn)
    return backend.user_policy_set(caller.account_id, caller.name)


def _iso(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if epoch is not None else None


def user_identity(caller: Caller | None, key_id: str | None = None) -> dict[str, Any]:
    """CloudTrail's ``userIdentity`` of a caller (``Unknown`` when the request named no known caller)."""
    if caller is None:
        return {"type": "Unknown", **({"accessKeyId": key_id} if key_id else {})}
    identity: dict[str, Any] = {
        "type": "AssumedRole" if caller.role_arn else "IAMUser",
        "arn": caller.arn,
        "accountId": caller.account_id,
        "accessKeyId": caller.key_id,
    }
    if caller.is_user:
        identity["userName"] = caller.name
    if caller.kind != "user":
        context: dict[str, Any] = {
            "attributes": {
                "creationDate": _iso(caller.issued),
                "mfaAuthenticated": "true" if caller.mfa_time is not None else "false",
            }
        }
        if caller.role_arn:
            context["sessionIssuer"] = {
                "type": "Role",
                "arn": caller.role_arn,
                "accountId": caller.account_id,
                "userName": caller.name,
            }
        if caller.source_identity:
            context["sourceIdentity"] = caller.source_identity
        identity["sessionContext"] = context
    return identity
