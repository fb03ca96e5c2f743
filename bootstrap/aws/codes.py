"""The AWS error vocabulary: error codes grouped by what they mean, and the plain-words reason for a code.

AWS errors are matched by code, never by message text (as benkehoe's aws-error-utils recommends). Every module
that needs to tell one refusal from another uses the sets here instead of spelling codes itself. No botocore
import: ``credential-process`` and the code sources use this on paths that must stay light.
"""

from __future__ import annotations

from typing import Final

# A key STS does not know (yet, or any more).
UNKNOWN_KEY: Final = frozenset({"InvalidClientTokenId", "SignatureDoesNotMatch", "AuthFailure"})
# A wrong, expired or replayed MFA code: EnableMFADevice says InvalidAuthenticationCode; GetSessionToken and
# AssumeRole say AccessDenied (they need no IAM permission, so an AccessDenied there is the code).
BAD_CODE: Final = frozenset({"InvalidAuthenticationCode", "AccessDenied"})
ACCESS_DENIED: Final = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
EXPIRED: Final = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
THROTTLING: Final = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"})
NOT_FOUND: Final = frozenset({"NoSuchEntity"})
ALREADY_EXISTS: Final = frozenset({"EntityAlreadyExists"})
CONNECTION: Final = "ConnectionError"
NO_CREDENTIALS: Final = "NoCredentials"
PROCESS_FAILED: Final = "CredentialProcessFailed"
PROCESS_NOT_FOUND: Final = "CredentialProcessNotFound"
PROCESS_TIMEOUT: Final = "CredentialProcessTimeout"


def reason_for(code: str, action: str, *, mfa: bool = True, role_known: bool | None = None) -> str:
    """A plain-words reason for an AWS error ``code`` raised by ``action``, from facts, never the message.

    ``mfa``: whether the caller carried MFA; ``role_known``: whether the team's CONST.inc names the role (None:
    unknown), which tells a trust refusal from a missing role (AWS answers AccessDenied for both).
    """
    if code in EXPIRED:
        return "expired session: run `aws-iam-bootstrap refresh`"
    if code == "InvalidClientTokenId":
        return "invalid or deactivated access key"
    if code == "SignatureDoesNotMatch":
        return "wrong secret key for this access key id"
    if code in THROTTLING:
        return "throttled by AWS, still after retries"
    if code == CONNECTION:
        return "could not reach AWS"
    if code in NOT_FOUND:
        return "role does not exist"
    if action == "sts:AssumeRole" and code == "AccessDenied":
        if not mfa:
            return "MFA required: the source has no MFA session"
        if role_known is False:
            return "role does not exist (not in CONST.inc)"
        if role_known is True:
            return "not in the trust policy"
        # AWS answers AccessDenied for a missing role too; without CONST.inc the two cannot be told apart.
        return "not in the trust policy (or the role does not exist)"
    if action == "sts:GetSessionToken" and code == "AccessDenied":
        return "MFA code refused (wrong, expired or already used)"
    if code == "ValidationError" and action == "sts:AssumeRole":
        return "the session length is more than the role allows (MaxSessionDuration)"
    if code in ACCESS_DENIED:
        return "access denied"
    if code == NO_CREDENTIALS:
        return "no credentials"
    if code == PROCESS_FAILED:
        return "its credential_process failed: run the line by hand to see why"
    if code == PROCESS_NOT_FOUND:
        return "its credential_process names a program that is not on PATH (or cannot be run)"
    if code == PROCESS_TIMEOUT:
        return "its credential_process did not answer in time"
    if code == "RegionDisabledException":
        return "STS is not enabled in this region"
    return f"refused by AWS ({code})" if code else "failed"
