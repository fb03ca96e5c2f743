"""The one definition of "this role works": assume it from the given credentials, ask the new credentials who
they are, and check the answer is in the account the role's ARN names. ``verify`` and onboarding's role check
both call ``check``, so they can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from bootstrap import arns, limits
from bootstrap.aws import codes, sts
from bootstrap.credentials import Credentials
from bootstrap.errors import AwsError


@dataclass(frozen=True)
class RoleVerdict:
    role_arn: str
    ok: bool
    account_id: str | None = None  # the account the assumed identity is in
    identity: str | None = None  # the ARN GetCallerIdentity returned
    error_code: str | None = None
    reason: str | None = None

    @property
    def detail(self) -> str:
        """The identity, or why not (with the AWS error code)."""
        if self.ok:
            return self.identity or ""
        return f"refused: {self.reason} ({self.error_code or 'error'})"


def check(
    base: Credentials,
    role_arn: str,
    *,
    mfa: bool = True,
    role_known: bool | None = None,
    session_name: str | None = None,
    external_id: str | None = None,
    region: str | None = None,
) -> RoleVerdict:
    """Does ``role_arn`` work from ``base``? ``mfa``: whether ``base`` carries MFA; ``role_known``: whether the
    team's CONST.inc names the role (both only sharpen the reason of a refusal)."""
    try:
        assumed = sts.assume_role(
            base,
            role_arn,
            session_name=session_name,
            duration=limits.CHECK_DURATION,
            external_id=external_id,
            region=region,
        )
        identity = sts.caller_identity(assumed, region=region)
    except AwsError as exc:
        reason = codes.reason_for(exc.code, exc.action, mfa=mfa, role_known=role_known)
        return RoleVerdict(role_arn, False, arns.account_of(role_arn), error_code=exc.code or None, reason=reason)
    expected = arns.account_of(role_arn)
    if identity.account != expected:
        return RoleVerdict(
            role_arn,
            False,
            identity.account,
            identity.arn,
            "WrongAccount",
            f"wrong account returned: {identity.account}, but role_arn names {expected}",
        )
    return RoleVerdict(role_arn, True, identity.account, identity.arn)
