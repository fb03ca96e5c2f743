"""Editing a role's trust policy the way a console HOWTO has one do it by hand, without its two failure modes (a
principal lost in the retyping, a service forgotten so the deploy "appears to work" and nothing is ever
invoked): pure functions from one trust document to the next.

``add_services`` merges: a service already allowed changes nothing (idempotent); otherwise it joins the first
unconditioned Allow statement that names services for ``sts:AssumeRole`` (its ``"Service": "a"`` string becomes a
list, sorted, without duplicates, as the seed's "After"), or a statement of its own when there is none (a
conditioned statement is never widened: its condition was written for the services it names).
``remove_services`` takes them out of every Allow statement that lets them assume the role, a list of one becomes
a string again, and a statement left naming no one goes. Every other principal, statement, condition, ``Sid`` and
key order is kept as it was.

``RefusedEdit`` when the result lets no one assume the role (the role would be dead).
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from bootstrap.errors import InputError
from bootstrap.policy import assume
from bootstrap.policy.evaluate import wildcard_match

ASSUME: Final = "sts:AssumeRole"
PRINCIPAL_KEYS: Final = ("AWS", "Service", "Federated", "CanonicalUser")


class RefusedEdit(InputError):
    """An edit the tool will not make (nothing was changed)."""


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _statements(trust: dict[str, Any]) -> list[dict[str, Any]]:
    raw = trust.get("Statement")
    if isinstance(raw, dict):  # a lone statement: IAM accepts it; edited as a list of one, written back alike
        return [raw]
    if not isinstance(raw, list):
        raise RefusedEdit("the trust policy has no Statement")
    return [s for s in raw if isinstance(s, dict)]


def _assumes(statement: Mapping[str, Any]) -> bool:
    if "NotAction" in statement:
        return False  # not a statement to merge into: it names what is *not* allowed
    return any(wildcard_match(pattern, ASSUME, ignore_case=True) for pattern in _list(statement.get("Action")))


def allowed_services(trust: Mapping[str, Any]) -> set[str]:
    """The services the trust's Allow statements let call ``sts:AssumeRole`` (conditions or not)."""
    return {
        named.value
        for named in assume.principals(trust)
        if named.kind == "service" and any(wildcard_match(a, ASSUME, ignore_case=True) for a in named.actions)
    }


def add_services(trust: Mapping[str, Any], services: Iterable[str]) -> dict[str, Any]:
    """``trust`` with ``services`` allowed to assume the role (see the module docstring)."""
    result = copy.deepcopy(dict(trust))
    lone = isinstance(result.get("Statement"), dict)
    statements = _statements(result)
    missing = [s for s in dict.fromkeys(services) if s not in allowed_services(result)]
    if not missing:
        return result
    target = next(
        (
            s
            for s in statements
            if s.get("Effect") == "Allow"
            and _assumes(s)
            and not s.get("Condition")
            and isinstance(s.get("Principal"), dict)
            and "Service" in s["Principal"]
        ),
        None,
    )
    if target is None:
        statements.append(
            {
                "Effect": "Allow",
                "Principal": {"Service": missing[0] if len(missing) == 1 else sorted(missing)},
                "Action": ASSUME,
            }
        )
    else:
        merged = sorted(dict.fromkeys([*_list(target["Principal"]["Service"]), *missing]))
        target["Principal"]["Service"] = merged[0] if len(merged) == 1 else merged
    result["Statement"] = statements if not lone or len(statements) > 1 else statements[0]
    return result


def remove_services(trust: Mapping[str, Any], services: Iterable[str]) -> dict[str, Any]:
    """``trust`` with ``services`` no longer allowed; ``RefusedEdit`` when no one could assume the role after."""
    gone = set(services)
    result = copy.deepcopy(dict(trust))
    lone = isinstance(result.get("Statement"), dict)
    kept: list[dict[str, Any]] = []
    for statement in _statements(result):
        principal = statement.get("Principal")
        if (
            statement.get("Effect") != "Allow"
            or not _assumes(statement)  # e.g. sts:TagSession alone: it lets no one in, and is not this edit's
            or not isinstance(principal, dict)
            or "Service" not in principal
        ):
            kept.append(statement)
            continue
        left = [s for s in _list(principal["Service"]) if s not in gone]
        if left == _list(principal["Service"]):
            kept.append(statement)
            continue
        if left:
            principal["Service"] = left[0] if len(left) == 1 else left
        else:
            del principal["Service"]
        if any(key in principal for key in PRINCIPAL_KEYS):
            kept.append(statement)
    result["Statement"] = kept[0] if lone and len(kept) == 1 else kept
    if not any(_assumes_any(named) for named in assume.principals(result)):
        raise RefusedEdit(
            f"removing {', '.join(sorted(gone))} would leave the role assumable by no one; nothing was changed "
            "(delete the role instead, if that is the point)"
        )
    return result


def _assumes_any(named: assume.Named) -> bool:
    return any(action == "*" or action.lower().startswith("sts:assumerole") for action in named.actions)


def text(trust: Mapping[str, Any]) -> str:
    """The document as IAM's console shows it: JSON, two-space indent, key order kept."""
    return json.dumps(trust, indent=2) + "\n"


def diff(before: Mapping[str, Any], after: Mapping[str, Any], name: str) -> str:
    """A unified diff of the two documents ("" when equal)."""
    return "".join(
        difflib.unified_diff(
            text(before).splitlines(keepends=True),
            text(after).splitlines(keepends=True),
            fromfile=f"a/{name} trust",
            tofile=f"b/{name} trust",
        )
    )
