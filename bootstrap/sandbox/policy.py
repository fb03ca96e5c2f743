"""A small IAM policy evaluator: enough of the policy language for the documents this tool ships and meets.

Supported: ``Effect``; ``Action``/``NotAction`` and ``Resource``/``NotResource`` with ``*``/``?`` wildcards (actions
case-insensitive); the policy variable ``${aws:username}`` (and any ``${key}`` present in the request context) in
resources; ``Principal``/``AWS`` for trust policies (an ARN, an account root, a bare account id or ``*``);
condition operators ``Bool``, ``Numeric*``, ``String*``, ``Arn*``, ``Null``, each with ``IfExists``.
Not supported, and treated conservatively (an unsupported condition never lets an Allow apply, and always lets a
Deny apply): other operators, ``ForAnyValue:``/``ForAllValues:`` set operators, ``NotPrincipal``, multi-valued
context keys, resource-based policies other than role trust, permission boundaries, SCPs and session policies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import Enum
from functools import lru_cache
from typing import Any

Context = Mapping[str, str]


class Decision(Enum):
    ALLOW = "allow"
    DENY = "deny"  # an explicit Deny applies
    NONE = "none"  # nothing applies: implicitly denied


@lru_cache(maxsize=4096)
def _pattern(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _wild(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return _pattern(pattern, ignore_case).match(value) is not None


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def _substitute(pattern: str, context: Context) -> str | None:
    """Resolve ``${key}`` from the context; None when a variable is missing (the pattern then matches nothing)."""
    if "${" not in pattern:
        return pattern
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        key = match.group(1)
        if key in context:
            return context[key]
        missing = True
        return ""

    resolved = _VARIABLE.sub(value, pattern)
    return None if missing else resolved


def _any_action(patterns: list[str], action: str) -> bool:
    return any(_wild(p, action, ignore_case=True) for p in patterns)


def _any_resource(patterns: list[str], resource: str, context: Context) -> bool:
    for raw in patterns:
        pattern = _substitute(raw, context)
        if pattern is not None and _wild(pattern, resource):
            return True
    return False


def principal_matches(principals: Iterable[str], principal_arn: str, account_id: str) -> bool:
    """Does a trust policy's ``AWS`` principal list name this caller?

    An assumed-role session is named by its role's ARN; an account (root ARN or bare id) names every principal of
    that account (the account's own identity policies must then allow the call too, as in AWS)."""
    role_arn = _role_arn_of_session(principal_arn)
    for principal in principals:
        if principal == "*" or principal in (principal_arn, role_arn):
            return True
        if principal in (account_id, f"arn:aws:iam::{account_id}:root"):
            return True
    return False


def _role_arn_of_session(arn: str) -> str | None:
    # arn:aws:sts::ACCT:assumed-role/NAME/SESSION -> arn:aws:iam::ACCT:role/NAME
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        return f"arn:aws:iam::{parts[4]}:role/{parts[5].split('/')[1]}"
    return None


def _condition_holds(operator: str, key: str, expected: list[str], context: Context) -> bool | None:
    """True/False, or None when the operator is not supported."""
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if base == "Null":
        return (key not in context) == (expected[0].lower() == "true")
    actual = context.get(key)
    negated = "Not" in base
    if actual is None:
        # AWS: a missing key satisfies *IfExists and negated operators, and nothing else
        return True if if_exists else negated
    if base == "Bool":
        return actual.lower() in (e.lower() for e in expected)
    if base.startswith("Numeric"):
        try:
            value, limits = float(actual), [float(e) for e in expected]
        except ValueError:
            return False
        tests: dict[str, Callable[[float, float], bool]] = {
            "NumericEquals": lambda a, b: a == b,
            "NumericNotEquals": lambda a, b: a != b,
            "NumericLessThan": lambda a, b: a < b,
            "NumericLessThanEquals": lambda a, b: a <= b,
            "NumericGreaterThan": lambda a, b: a > b,
            "NumericGreaterThanEquals": lambda a, b: a >= b,
        }
        test = tests.get(base)
        if test is None:
            return None
        hits = [test(value, limit) for limit in limits]
        return all(hits) if negated else any(hits)
    string_tests: dict[str, Callable[[str, str], bool]] = {
        "StringEquals": lambda a, e: a == e,
        "StringNotEquals": lambda a, e: a == e,
        "StringEqualsIgnoreCase": lambda a, e: a.lower() == e.lower(),
        "StringNotEqualsIgnoreCase": lambda a, e: a.lower() == e.lower(),
        "StringLike": lambda a, e: _wild(e, a),
        "StringNotLike": lambda a, e: _wild(e, a),
        "ArnEquals": lambda a, e: _wild(e, a),
        "ArnLike": lambda a, e: _wild(e, a),
        "ArnNotEquals": lambda a, e: _wild(e, a),
        "ArnNotLike": lambda a, e: _wild(e, a),
    }
    string_test = string_tests.get(base)
    if string_test is None:
        return None
    matched = any(string_test(actual, e) for e in expected)
    return not matched if negated else matched


def _conditions(statement: Mapping[str, Any], context: Context, *, deny: bool) -> bool:
    for operator, block in (statement.get("Condition") or {}).items():
        for key, expected in dict(block).items():
            holds = _condition_holds(str(operator), str(key), _list(expected), context)
            if holds is None:  # unsupported: fail closed (Allow does not apply, Deny does)
                holds = deny
            if not holds:
                return False
    return True


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def evaluate(
    documents: Sequence[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Context,
    *,
    principal: tuple[str, str] | None = None,
) -> Decision:
    """Evaluate identity policies (or, with ``principal`` = (caller ARN, caller account), a trust policy)."""
    allowed = False
    for document in documents:
        for statement in _statements(document):
            deny = statement.get("Effect") == "Deny"
            if "NotAction" in statement:
                if _any_action(_list(statement["NotAction"]), action):
                    continue
            elif not _any_action(_list(statement.get("Action")), action):
                continue
            if principal is not None:
                if "Principal" not in statement:
                    continue
                named = statement["Principal"]
                principals = ["*"] if named == "*" else _list(dict(named).get("AWS"))
                if not principal_matches(principals, *principal):
                    continue
            elif "NotResource" in statement:
                if _any_resource(_list(statement["NotResource"]), resource, context):
                    continue
            elif not _any_resource(_list(statement.get("Resource")), resource, context):
                continue
            if not _conditions(statement, context, deny=deny):
                continue
            if deny:
                return Decision.DENY
            allowed = True
    return Decision.ALLOW if allowed else Decision.NONE
