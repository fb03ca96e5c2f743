"""The authorisation of one call: the IAM action(s) and resource(s) AWS checks it against (``bootstrap.policy.mapping``
over moto's state), each evaluated against the caller's identity policies, and AWS's refusal when one fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bootstrap.policy.evaluate import ContextValue, Decision, PolicySet
from bootstrap.policy.mapping import Authorization, UnmappedOperation, authorize_request
from bootstrap.sandbox import backend
from bootstrap.sandbox.calls import Call
from bootstrap.sandbox.identity import Caller
from bootstrap.sandbox.refusals import Refusal


@dataclass(frozen=True)
class Checked:
    """One authorisation and its decision (for the journal and for the refusal)."""

    action: str
    resource: str
    decision: Decision

    def record(self) -> dict[str, str]:
        return {"action": self.action, "resource": self.resource, "decision": self.decision.value}


def authorizations(call: Call, params: Mapping[str, Any], caller: Caller, region: str) -> tuple[Authorization, ...]:
    """What AWS authorises ``call`` against, in the caller's account; a sandbox refusal when it cannot be told."""

    def lookup(kind: str, name: str) -> str | None:
        return backend.lookup(caller.account_id, region, kind, name)

    try:
        return authorize_request(call.service, call.operation, params, caller.account_id, region, lookup=lookup)
    except UnmappedOperation as exc:
        raise Refusal(
            "sandbox",
            f"The aws-iam-bootstrap sandbox cannot tell what IAM authorises {call.service}:{call.operation} "
            f"against ({exc.reason}), and refuses it rather than guess.",
        ) from None


def check(wanted: tuple[Authorization, ...], policies: PolicySet, context: Mapping[str, ContextValue]) -> list[Checked]:
    """Every authorisation evaluated (explicit Deny first, then Allow, else the implicit deny)."""
    return [
        Checked(a.action, a.resource, policies.evaluate(a.action, a.resource, {**context, **dict(a.context)}))
        for a in wanted
    ]


def refusal(caller: Caller, checked: Checked, family: str) -> Refusal:
    """AWS's words for a refused authorisation, as ``family`` (the service's error protocol) spells them."""
    action, resource = checked.action, checked.resource
    if family == "sns":
        action = "SNS:" + action.split(":", 1)[1]  # SNS names its own actions in upper case
    if checked.decision is Decision.DENY:
        reason = "with an explicit deny in an identity-based policy"
    else:
        reason = f"because no identity-based policy allows the {action} action"
    if family == "ec2" and resource == "*":
        message = f"You are not authorized to perform this operation. User: {caller.arn} is not authorized to "
        message += f"perform: {action} {reason}"
    elif family == "ec2":
        message = f"You are not authorized to perform this operation. User: {caller.arn} is not authorized to "
        message += f"perform: {action} on resource: {resource} {reason}"
    elif family == "s3":
        message = f'User: {caller.arn} is not authorized to perform: {action} on resource: "{resource}" {reason}'
    else:
        message = f"User: {caller.arn} is not authorized to perform: {action} on resource: {resource} {reason}"
    return Refusal("denied", message)


def first_refused(checked: list[Checked]) -> Checked | None:
    return next((c for c in checked if c.decision is not Decision.ALLOW), None)
