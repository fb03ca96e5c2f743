"""Who may assume a role, decided from its trust policy alone, locally: AWS's policy simulator ignores trust
policies for ``sts:AssumeRole``, so a proof that only one principal gets in has to evaluate the trust itself.

- ``principals(trust)``: every principal the trust's Allow statements name (AWS ARNs, accounts, ``*``,
  services, federated providers), each with its statement's actions and conditions: the whole list of who could
  get in, since a trust lets in no one it does not name.
- ``allows(trust, principal)``: the trust evaluated for one AWS or service principal by ``evaluate.PolicySet``
  (the sandbox's own evaluator). ``upper=True`` leaves conditions and Deny statements out, so "no" means no in
  any context (a condition that does not hold today may hold tomorrow); ``upper=False`` evaluates them in
  ``context`` (for the principal that must get in: a pipeline's long-term key carries no MFA).
- ``web_identity_allows(trust, provider, claims)``: ``sts:AssumeRoleWithWebIdentity`` for a token of an OIDC
  provider (GitHub Actions'), its claims being the condition keys (``token.actions.githubusercontent.com:sub``).
  The evaluator does not take federated principals (it fails closed), so this one evaluates the statements that
  name the provider, with the evaluator's own condition operators.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from bootstrap.policy.evaluate import Context, Decision, PolicySet, Principal, condition_holds, wildcard_match

ASSUME: Final = "sts:AssumeRole"
WEB_IDENTITY: Final = "sts:AssumeRoleWithWebIdentity"
Kind = Literal["aws", "service", "federated", "anyone"]


@dataclass(frozen=True)
class Named:
    """One principal a trust's Allow statement names."""

    kind: Kind
    value: str  # an ARN, an account id, a service principal, a provider ARN, or "*"
    actions: tuple[str, ...]
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (operator, key, values)


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def statements(trust: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = trust.get("Statement", [])
    return [raw] if isinstance(raw, Mapping) else [s for s in raw if isinstance(s, Mapping)]


def _conditions(statement: Mapping[str, Any]) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    block = statement.get("Condition") or {}
    return tuple(
        (str(op), str(key), tuple(_list(values)))
        for op, keys in dict(block).items()
        for key, values in dict(keys).items()
    )


def principals(trust: Mapping[str, Any]) -> list[Named]:
    """Every principal the trust's Allow statements name (``NotPrincipal`` counts as anyone: it names everyone
    but a few)."""
    found: list[Named] = []
    for statement in statements(trust):
        if statement.get("Effect") != "Allow":
            continue
        actions = tuple(_list(statement.get("Action") or statement.get("NotAction")))
        if "NotAction" in statement:
            actions = ("*",)
        conditions = _conditions(statement)
        named = statement.get("Principal")
        if "NotPrincipal" in statement or named == "*":
            found.append(Named("anyone", "*", actions, conditions))
            continue
        if not isinstance(named, Mapping):
            continue
        for value in _list(named.get("AWS")):
            found.append(Named("anyone" if value == "*" else "aws", value, actions, conditions))
        for value in _list(named.get("Service")):
            found.append(Named("service", value, actions, conditions))
        for value in _list(named.get("Federated")):
            found.append(Named("federated", value, actions, conditions))
    return found


def _upper(trust: Mapping[str, Any]) -> dict[str, Any]:
    """The trust's Allow statements without their conditions: an over-approximation of who gets in."""
    kept: list[dict[str, Any]] = []
    for statement in statements(trust):
        if statement.get("Effect") != "Allow":
            continue
        upper = {k: v for k, v in statement.items() if k != "Condition"}
        named = statement.get("Principal")
        if isinstance(named, Mapping):
            # the evaluator refuses a whole statement that also names a federated provider (it fails closed):
            # those are judged by web_identity_allows, and the statement's other principals still count here
            upper["Principal"] = {k: v for k, v in named.items() if k in ("AWS", "Service")}
        if "NotPrincipal" in upper:
            upper.pop("NotPrincipal")
            upper["Principal"] = "*"
        kept.append(upper)
    return {"Version": "2012-10-17", "Statement": kept}


def allows(
    trust: Mapping[str, Any],
    principal: Principal,
    *,
    action: str = ASSUME,
    upper: bool = True,
    context: Context | None = None,
    role_arn: str = "*",
) -> bool:
    """Whether the trust lets ``principal`` call ``action`` on the role (see the module docstring for ``upper``)."""
    document = _upper(trust) if upper else trust
    return PolicySet([document]).evaluate(action, role_arn, context or {}, principal=principal) is Decision.ALLOW


def web_identity_allows(trust: Mapping[str, Any], provider: str, claims: Mapping[str, str]) -> bool:
    """Whether a web identity token of ``provider`` (an OIDC provider's ARN) with ``claims`` may assume the role:
    an Allow naming the provider whose conditions all hold, and no Deny that applies."""
    context = {key.lower(): value for key, value in claims.items()}
    allowed = False
    for statement in statements(trust):
        named = statement.get("Principal")
        federated = _list(named.get("Federated")) if isinstance(named, Mapping) else []
        if "NotPrincipal" in statement or named == "*":
            federated = [provider]
        if provider not in federated:
            continue
        actions = _list(statement.get("Action"))
        if not any(wildcard_match(pattern, WEB_IDENTITY, ignore_case=True) for pattern in actions):
            continue
        deny = statement.get("Effect") == "Deny"
        holds = True
        for operator, key, values in _conditions(statement):
            result = condition_holds(operator, key, list(values), context)
            if not (deny if result is None else result):  # unsupported: fail closed
                holds = False
                break
        if holds and deny:
            return False
        allowed = allowed or holds
    return allowed


def condition_values(named: Named, key: str) -> Iterator[tuple[str, str]]:
    """(operator, value) of each condition on ``key`` of a named principal's statement."""
    for operator, name, values in named.conditions:
        if name.lower() == key.lower():
            for value in values:
                yield operator, value
