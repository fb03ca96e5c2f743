"""One call a workload made, whatever recorded it, and the IAM authorisations it needed.

``RecordedCall.authorizations()`` is where a call becomes IAM: the sandbox journal says exactly what the sandbox
checked (action and resource, resolved against its state); every other source is mapped from the call's
parameters by ``bootstrap.policy.mapping`` (an operation it cannot map raises ``UnmappedOperation``: reported by
the caller, never guessed). CSM datagrams carry no parameters, so their calls give actions on ``*``
(``resources_known`` is False) and say so wherever they are used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bootstrap.policy.capture import services
from bootstrap.policy.mapping import Authorization, UnmappedOperation, actions_of, authorize_request

# Codes AWS answers an authorisation refusal with (EC2's comes as Client.UnauthorizedOperation in CloudTrail).
DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "Client.UnauthorizedOperation",
        "AuthorizationError",
        "UnauthorizedAccess",
        "AuthorizationErrorException",
    }
)

# Actions AWS never denies (documented: "No permissions are required to perform this operation").
NEEDS_NO_PERMISSION = frozenset({"sts:GetCallerIdentity"})

# CloudTrail names a few parameters unlike the SDK (S3's bucketName); the rest differ from botocore's member names
# by case only (functionName, queueUrl, logGroupName, roleName).
_CLOUDTRAIL_ALIASES: Mapping[tuple[str, str], str] = {("s3", "bucketName"): "Bucket"}

# CloudTrail's names for a few versioned APIs: Lambda's CreateFunction20150331, UpdateFunctionCode20150331v2.
_VERSIONED = re.compile(r"^(?P<name>[A-Za-z]+?)20\d{6}(?:v\d+)?$")


@dataclass(frozen=True)
class RecordedCall:
    """One recorded call. ``via``: sandbox, cloudtrail, sdk (the Python hook of ``policy record``), csm, learn."""

    time: str  # ISO 8601, UTC
    via: str
    service: str  # botocore's name: s3, lambda, logs
    operation: str  # the SDK operation: PutObject, CreateFunction
    region: str
    account: str  # the account the call acted in
    principal: str  # the caller's ARN (an assumed-role session's, for a role)
    role: str | None = None  # the role behind a role session
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    error_code: str | None = None
    denied: bool = False
    checked: tuple[Authorization, ...] | None = None  # what the sandbox authorised it against
    origin: str = ""  # FILE:LINE, for --explain

    @property
    def resources_known(self) -> bool:
        """False for CSM's calls: the datagrams carry the action but never the resource."""
        return self.via != "csm"

    def authorizations(self) -> tuple[Authorization, ...]:
        """The (action, resource) pairs AWS checks for this call; ``UnmappedOperation`` when they cannot be told."""
        if self.checked is not None:
            return self.checked
        if services.model(self.service) is None:
            raise UnmappedOperation(self.service, self.operation, "not a service botocore knows")
        if not self.resources_known:
            return tuple(Authorization(action, "*") for action in actions_of(self.service, self.operation))
        return authorize_request(self.service, self.operation, self.params, self.account, self.region)

    def made_by(self, principal: str) -> bool:
        """Was this call made by ``principal`` (a user's ARN, a role's ARN for any of its sessions, or a session)?"""
        return principal in (self.principal, self.role)

    def describe(self) -> str:
        """``s3:PutObject at 2026-01-01T00:00:00Z (journal.jsonl:12)`` for explanations."""
        where = f" ({self.origin})" if self.origin else ""
        return f"{self.service}:{self.operation} at {self.time}{where}"


def operation_name(service: str, event_name: str) -> str:
    """CloudTrail's event name as the SDK's operation (``CreateFunction20150331`` -> ``CreateFunction``)."""
    if event_name in services.operation_names(service):
        return event_name
    found = _VERSIONED.match(event_name)
    return found.group("name") if found else event_name


def sdk_parameters(service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """CloudTrail's ``requestParameters`` under botocore's member names (``functionName`` -> ``FunctionName``);
    names botocore does not know for the operation are dropped (``Host``)."""
    members = {name.lower(): name for name in services.input_members(service, operation)}
    if not members:
        return dict(params)
    out: dict[str, Any] = {}
    for name, value in params.items():
        member = _CLOUDTRAIL_ALIASES.get((service, name)) or members.get(name.lower())
        if member is not None:
            out[member] = value
    return out


def is_denied(error_code: str | None) -> bool:
    return error_code in DENIED_CODES
