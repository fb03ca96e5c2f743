"""An IAM policy evaluator: identity policies and role trust policies, compiled once, evaluated fast.

Supported:
- ``Effect``; ``Action``/``NotAction`` (case-insensitive, ``*``/``?`` wildcards); ``Resource``/``NotResource``
  (case-sensitive, wildcards, policy variables ``${key}`` from the request context and the escapes ``${*}``,
  ``${?}``, ``${$}``); an explicit Deny wins over any Allow, and nothing allowed is an implicit deny.
- Trust policies (``principal=``): ``Principal`` ``"*"``, ``{"AWS": ...}`` (an ARN, an account root, a bare
  account id, ``*``; an assumed-role session is named by its role's ARN) and ``{"Service": [...]}`` (service
  principals such as ``lambda.amazonaws.com``).
- ``Condition``: every operator of the IAM reference (``String*``, ``Numeric*``, ``Date*``, ``Bool``,
  ``BinaryEquals``, ``IpAddress``/``NotIpAddress``, ``Arn*``, ``Null``), each with ``IfExists``, and the set
  prefixes ``ForAnyValue:``/``ForAllValues:`` over multi-valued context keys. Condition keys are matched
  case-insensitively, as AWS does; policy variables work in condition values too.

Not supported, and treated conservatively (fail closed: an unsupported clause never lets an Allow apply, and always
lets a Deny apply): unknown operators, a single-valued operator on a multi-valued key, ``NotPrincipal``,
``Federated``/``CanonicalUser`` principals, policy variables with defaults. Which policies apply to a request
(resource-based policies other than role trust, permission boundaries, SCPs, session policies) is the caller's
business, not this module's.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from typing import Any

ContextValue = str | Sequence[str]
Context = Mapping[str, ContextValue]


class Decision(Enum):
    ALLOW = "allow"
    DENY = "deny"  # an explicit Deny applies
    NONE = "none"  # nothing applies: implicitly denied


@dataclass(frozen=True)
class Principal:
    """Who asks, for a trust policy: an IAM principal (``arn`` and ``account``) or a service (``service``)."""

    arn: str = ""
    account: str = ""
    service: str | None = None


# --- patterns --------------------------------------------------------------------------------------------------


def _glob(pattern: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


@lru_cache(maxsize=8192)
def _pattern(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(f"^{_glob(pattern)}$", (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's ``*``/``?`` matching of one pattern against one value."""
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return _pattern(pattern, ignore_case).match(value) is not None


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


def _resolve(pattern: str, context: Mapping[str, ContextValue]) -> str | None:
    """A pattern's regex body with its ``${key}`` variables resolved (escaped: a value is never a wildcard);
    None when a variable is missing or multi-valued (the pattern then matches nothing)."""
    out: list[str] = []
    last = 0
    for match in _VARIABLE.finditer(pattern):
        out.append(_glob(pattern[last : match.start()]))
        key = match.group(1)
        if key in _ESCAPES:
            out.append(re.escape(_ESCAPES[key]))
        else:
            value = context.get(key.lower())
            if not isinstance(value, str):
                return None
            out.append(re.escape(value))
        last = match.end()
    out.append(_glob(pattern[last:]))
    return "".join(out)


class _Matcher:
    """A list of patterns compiled once: exact names in a set, wildcards in one regex, variables per request."""

    def __init__(self, patterns: Iterable[str], *, ignore_case: bool) -> None:
        self.ignore_case = ignore_case
        self.any = False
        self.exact: set[str] = set()
        wild: list[str] = []
        self.variable: list[str] = []
        for pattern in patterns:
            if pattern == "*":
                self.any = True
            elif "${" in pattern:
                self.variable.append(pattern)
            elif "*" in pattern or "?" in pattern:
                wild.append(_glob(pattern))
            else:
                self.exact.add(pattern.lower() if ignore_case else pattern)
        flags = (re.IGNORECASE if ignore_case else 0) | re.DOTALL
        self.regex = re.compile(f"^(?:{'|'.join(wild)})$", flags) if wild else None

    def matches(self, value: str, context: Mapping[str, ContextValue]) -> bool:
        if self.any or (value.lower() if self.ignore_case else value) in self.exact:
            return True
        if self.regex is not None and self.regex.match(value):
            return True
        for pattern in self.variable:
            body = _resolve(pattern, context)
            if body is not None and _compiled(body, self.ignore_case).match(value):
                return True
        return False


@lru_cache(maxsize=8192)
def _compiled(body: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(f"^{body}$", (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


# --- conditions ------------------------------------------------------------------------------------------------


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> float | None:
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text)  # epoch seconds, as AWS accepts
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def _ordered(convert: Callable[[str], float | None], test: Callable[[float, float], bool]) -> _Test:
    def compare(actual: str, expected: str) -> bool:
        a, e = convert(actual), convert(expected)
        return a is not None and e is not None and test(a, e)

    return compare


def _binary(actual: str, expected: str) -> bool:
    try:
        return base64.b64decode(actual, validate=True) == base64.b64decode(expected, validate=True)
    except (binascii.Error, ValueError):
        return False


def _ip(actual: str, expected: str) -> bool:
    try:
        return ipaddress.ip_address(actual) in ipaddress.ip_network(expected, strict=False)
    except ValueError:
        return False


_Test = Callable[[str, str], bool]
_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "Equals": lambda a, b: a == b,
    "NotEquals": lambda a, b: a == b,  # negated afterwards
    "LessThan": lambda a, b: a < b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanEquals": lambda a, b: a >= b,
}
# operator (without IfExists and set prefix) -> (test of one context value against one expected value, negated)
_OPERATORS: dict[str, tuple[_Test, bool]] = {
    "StringEquals": (lambda a, e: a == e, False),
    "StringNotEquals": (lambda a, e: a == e, True),
    "StringEqualsIgnoreCase": (lambda a, e: a.lower() == e.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda a, e: a.lower() == e.lower(), True),
    "StringLike": (lambda a, e: wildcard_match(e, a), False),
    "StringNotLike": (lambda a, e: wildcard_match(e, a), True),
    "ArnEquals": (lambda a, e: wildcard_match(e, a), False),
    "ArnLike": (lambda a, e: wildcard_match(e, a), False),
    "ArnNotEquals": (lambda a, e: wildcard_match(e, a), True),
    "ArnNotLike": (lambda a, e: wildcard_match(e, a), True),
    "Bool": (lambda a, e: a.lower() == e.lower(), False),
    "BinaryEquals": (_binary, False),
    "IpAddress": (_ip, False),
    "NotIpAddress": (_ip, True),
    **{f"Numeric{name}": (_ordered(_number, test), name == "NotEquals") for name, test in _COMPARISONS.items()},
    **{f"Date{name}": (_ordered(_date, test), name == "NotEquals") for name, test in _COMPARISONS.items()},
}


def _substitute_values(expected: list[str], context: Mapping[str, ContextValue]) -> list[str] | None:
    out = []
    for value in expected:
        if "${" not in value:
            out.append(value)
            continue
        resolved = _VARIABLE.sub(lambda m: _variable_text(m.group(1), context), value)
        if "\0" in resolved:
            return None
        out.append(resolved)
    return out


def _variable_text(key: str, context: Mapping[str, ContextValue]) -> str:
    if key in _ESCAPES:
        return _ESCAPES[key]
    value = context.get(key.lower())
    return value if isinstance(value, str) else "\0"  # a marker: unresolved


def condition_holds(operator: str, key: str, expected: list[str], context: Mapping[str, ContextValue]) -> bool | None:
    """Does one condition hold in a (lower-cased key) context? None when the clause is not supported."""
    set_op, _, base = operator.rpartition(":")
    if set_op not in ("", "ForAnyValue", "ForAllValues"):
        return None
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    actual = context.get(key.lower())
    if base == "Null":
        return None if set_op or if_exists else (actual is None) == (expected[0].lower() == "true")
    found = _OPERATORS.get(base)
    values = _substitute_values(expected, context)
    if found is None or values is None:
        return None
    test, negated = found

    def one(value: str) -> bool:
        hit = any(test(value, e) for e in values)
        return not hit if negated else hit

    if set_op:
        items = [] if actual is None else [actual] if isinstance(actual, str) else list(actual)
        if set_op == "ForAllValues":
            return all(one(v) for v in items)
        return any(one(v) for v in items)
    if actual is None:
        # AWS: a missing key satisfies *IfExists and the negated operators, and nothing else
        return True if if_exists else negated
    if not isinstance(actual, str):
        return None  # a single-valued operator on a multi-valued key: results AWS calls unpredictable
    return one(actual)


# --- policies --------------------------------------------------------------------------------------------------


def _principals(named: Any) -> tuple[frozenset[str], frozenset[str]]:
    """(AWS principals, service principals) of a ``Principal`` element."""
    if named == "*":
        return frozenset({"*"}), frozenset()
    if not isinstance(named, dict):
        return frozenset(), frozenset()
    return frozenset(_list(named.get("AWS"))), frozenset(_list(named.get("Service")))


def role_arn_of_session(arn: str) -> str | None:
    """arn:aws:sts::ACCT:assumed-role/NAME/SESSION -> arn:aws:iam::ACCT:role/NAME (None for other ARNs)."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{parts[5].split('/')[1]}"
    return None


def principal_matches(aws: Iterable[str], services: Iterable[str], principal: Principal) -> bool:
    """Does a trust policy's ``Principal`` name this caller?

    An assumed-role session is named by its role's ARN; an account (root ARN or bare id) names every principal of
    that account (the account's own identity policies must then allow the call too, as in AWS)."""
    if principal.service is not None:
        return principal.service in set(services)
    role_arn = role_arn_of_session(principal.arn)
    for name in aws:
        if name == "*" or name in (principal.arn, role_arn):
            return True
        if principal.account and name in (principal.account, f"arn:aws:iam::{principal.account}:root"):
            return True
    return False


@dataclass(frozen=True)
class _Statement:
    deny: bool
    actions: _Matcher
    not_action: bool
    resources: _Matcher | None  # None: the statement names principals instead (a trust policy)
    not_resource: bool
    principals: tuple[frozenset[str], frozenset[str]] | None
    unsupported_principal: bool
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...]

    def applies(self, action: str, resource: str, context: Mapping[str, ContextValue], who: Principal | None) -> bool:
        if self.actions.matches(action, context) == self.not_action:
            return False
        if who is not None:
            if self.unsupported_principal:
                return self.deny  # fail closed
            if self.principals is None or not principal_matches(*self.principals, who):
                return False
        elif self.resources is None or self.resources.matches(resource, context) == self.not_resource:
            return False  # an identity statement without Resource names nothing
        for operator, key, expected in self.conditions:
            holds = condition_holds(operator, key, list(expected), context)
            if not (self.deny if holds is None else holds):
                return False
        return True


def _compile_statement(statement: Mapping[str, Any]) -> _Statement:
    not_action = "NotAction" in statement
    not_resource = "NotResource" in statement
    resources = _list(statement["NotResource"] if not_resource else statement.get("Resource"))
    conditions = tuple(
        (str(operator), str(key), tuple(_list(expected)))
        for operator, block in dict(statement.get("Condition") or {}).items()
        for key, expected in dict(block).items()
    )
    named = statement.get("Principal")
    principals = _principals(named) if named is not None else None
    unsupported = "NotPrincipal" in statement or (isinstance(named, dict) and bool(set(named) - {"AWS", "Service"}))
    return _Statement(
        deny=statement.get("Effect") == "Deny",
        actions=_Matcher(_list(statement["NotAction"] if not_action else statement.get("Action")), ignore_case=True),
        not_action=not_action,
        resources=_Matcher(resources, ignore_case=False) if ("Resource" in statement or not_resource) else None,
        not_resource=not_resource,
        principals=principals,
        unsupported_principal=unsupported,
        conditions=conditions,
    )


class PolicySet:
    """Policy documents compiled once; ``evaluate`` then costs a few set and regex look-ups per statement."""

    def __init__(self, documents: Iterable[Mapping[str, Any]]) -> None:
        statements: list[_Statement] = []
        for document in documents:
            raw = document.get("Statement", [])
            for statement in [raw] if isinstance(raw, dict) else list(raw):
                statements.append(_compile_statement(statement))
        self._statements = tuple(statements)
        # Deny statements first: the first applicable one decides.
        self._denies = tuple(s for s in statements if s.deny)
        self._allows = tuple(s for s in statements if not s.deny)

    def __add__(self, other: PolicySet) -> PolicySet:
        merged = PolicySet(())
        merged._statements = self._statements + other._statements
        merged._denies = self._denies + other._denies
        merged._allows = self._allows + other._allows
        return merged

    def evaluate(
        self, action: str, resource: str, context: Context | None = None, *, principal: Principal | None = None
    ) -> Decision:
        return self.evaluate_many([(action, resource)], context, principal=principal)[0]

    def evaluate_many(
        self, requests: Iterable[tuple[str, str]], context: Context | None = None, *, principal: Principal | None = None
    ) -> list[Decision]:
        """``evaluate`` for many (action, resource) pairs in one context (a sweep over every action)."""
        lowered = {key.lower(): value for key, value in (context or {}).items()}
        return [self._decide(action, resource, lowered, principal) for action, resource in requests]

    def _decide(
        self, action: str, resource: str, lowered: Mapping[str, ContextValue], principal: Principal | None
    ) -> Decision:
        for statement in self._denies:
            if statement.applies(action, resource, lowered, principal):
                return Decision.DENY
        for statement in self._allows:
            if statement.applies(action, resource, lowered, principal):
                return Decision.ALLOW
        return Decision.NONE


def evaluate(
    documents: Sequence[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Context,
    *,
    principal: Principal | None = None,
) -> Decision:
    """Evaluate identity policies (or, with ``principal``, a trust policy) for one action on one resource."""
    return PolicySet(documents).evaluate(action, resource, context, principal=principal)
