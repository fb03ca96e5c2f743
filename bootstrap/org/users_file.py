"""The users file, ``users.yaml`` beside CONST.inc (the analogue of the ``cfn/infra/users.js`` an infra repository
kept): who may assume which role kind in which environment, and who is in the PowerG group.

    users:
      alice:              # a human in the users account
        DEV: [ADMIN]      # <ENV>: [<KIND>, ...], CONST.inc's names (<ENV>_IAM_<KIND>_ROLE)
        PROD: [READ]
      bob:
        DEV: [ADMIN, OPS, READ]
        power: true       # in infra-PowerG-*: full IAM without assuming a role
    pipelines:            # optional: org/pipelines.py
      deploy-web: {account: DEV, role_policy: policies/deploy-web.json}
    service_roles:        # optional: org/service_roles.py
      myproj-dev-ZappaLambdaExecutionRole: {account: DEV, services: [lambda], policy: policies/zappa.json}
    settings:             # optional
      trust_policy_quota: 2048

Read and edited with ruamel.yaml's round trip, so the tool's edits keep the file's comments, order and layout.
Each top-level key is a section read by its own parser (``SECTIONS``: users and settings here, pipelines and
service roles in their own modules); a key no parser claims is an error, as is every other mistake, named by file
and line. This module checks the file's own shape; whether an environment or a kind exists is CONST.inc's to say
(``org.load``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from bootstrap import arns
from bootstrap.errors import InputError

ENV_KEY: Final = re.compile(r"[A-Z][A-Z0-9_]*")
# IAM's own trust-policy length quota: 2,048 characters unless raised (Service Quotas), 4,096 at most.
QUOTA_DEFAULT: Final = 2048
QUOTA_MAX: Final = 4096
SESSION_DEFAULT: Final = 43_200  # a working day: the trust's MFA age limit is the same 12 hours
PERSON_FLAGS: Final = ("power",)


@dataclass(frozen=True)
class Where:
    """A place in the file, for error messages: ``users.yaml:7``."""

    source: str
    line: int  # 1-based

    def __str__(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass(frozen=True)
class UserEntry:
    """One human as the file states them; ``where`` names each grant's line (``env`` -> place) for CONST.inc's
    checks that come later."""

    name: str
    grants: Mapping[str, tuple[str, ...]]
    power: bool
    at: Where
    where: Mapping[str, Where] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """``settings:``. ``granted_by_group``: (env, kind) roles whose trust names the users account and whose
    people are members of a per-role group instead (the pattern for teams too large for one trust policy)."""

    trust_policy_quota: int = QUOTA_DEFAULT
    max_session_duration: int = SESSION_DEFAULT
    granted_by_group: tuple[tuple[str, str], ...] = ()
    where: Mapping[str, Where] = field(default_factory=dict)


@dataclass(frozen=True)
class UsersFile:
    source: str
    users: tuple[UserEntry, ...] = ()
    settings: Settings = field(default_factory=Settings)
    # Sections other parsers read (pipelines, service roles): name -> what their parser returned.
    sections: Mapping[str, object] = field(default_factory=dict)
    text: str | None = field(default=None, repr=False, compare=False)  # when read without line numbers

    def user(self, name: str) -> UserEntry | None:
        return next((u for u in self.users if u.name == name), None)


# --- reading -----------------------------------------------------------------------------------------------------


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line the person wrote
    return yaml


def line_of(node: Any, key: object | None = None, *, item: int | None = None) -> int:
    """The 1-based line of ``node`` (a key's line, or a sequence item's) as ruamel recorded it."""
    try:
        if key is not None:
            return int(node.lc.key(key)[0]) + 1
        if item is not None:
            return int(node.lc.item(item)[0]) + 1
        return int(node.lc.line) + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return 0


def load_document(path: Path) -> Any:
    """The file's round-trip document (``InputError`` naming file and line for a YAML mistake)."""
    return parse_document(_read(path), str(path))


def parse_document(text: str, source: str) -> Any:
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        document = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = exc.problem or exc.context or "not valid YAML"
        if "duplicate key" in str(problem) or type(exc).__name__ == "DuplicateKeyError":
            problem = f"a key is given twice ({str(exc.problem or '').strip() or 'duplicate key'})"
        raise InputError(f"{source}:{line}: {problem}") from None
    except YAMLError as exc:
        raise InputError(f"{source}: not valid YAML: {exc}") from None
    return document


def load(path: Path) -> UsersFile:
    """Read and check ``users.yaml`` (its own shape; environments and kinds are checked against CONST.inc later)."""
    return parse(_read(path), str(path))


def _read(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file (pass --users-file, or copy users.yaml.example)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    return text


def parse(text: str, source: str = "users.yaml", *, fast: bool = True) -> UsersFile:
    """Read and check users file text. A large file is read by libyaml first (ten times faster); anything it
    finds wrong, or cannot read, is read again by ruamel, whose errors name the line. ``fast=False``: ruamel
    only (a later check, against CONST.inc, needs the lines)."""
    from bootstrap.org import yamltext

    if fast and "!" not in text:  # a tag: only ruamel says what it makes of one
        fast = yamltext.load_fast(text, typed=True)
        if isinstance(fast, dict) or (fast is None and not text.strip()):
            try:
                return replace(read(fast, source), text=text)
            except InputError:
                pass
    return read(parse_document(text, source), source)


Section = Callable[[Any, Where], object]


def read(document: Any, source: str) -> UsersFile:
    from ruamel.yaml.comments import CommentedMap

    _register()
    if document is None:
        document = CommentedMap()
    if not isinstance(document, Mapping):
        raise InputError(f"{source}:{line_of(document)}: expected sections such as 'users:' at the top level")
    users: tuple[UserEntry, ...] = ()
    settings = Settings()
    others: dict[str, object] = {}
    for key, value in document.items():
        at = Where(source, line_of(document, key))
        if key == "users":
            users = _users(value, at)
        elif key == "settings":
            settings = _settings(value, at)
        elif isinstance(key, str) and key in SECTIONS:
            others[key] = SECTIONS[key](value, at)
        else:
            known = ", ".join(["users", "settings", *SECTIONS])
            raise InputError(f"{at}: unknown section {key!r} (known: {known})")
    return UsersFile(source, users, settings, others)


# Sections besides users and settings, by top-level key (registered at the end of this module).
SECTIONS: dict[str, Section] = {}


def as_mapping(value: Any, at: Where, what: str) -> Mapping[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(f"{at}: {what} must be a mapping (name: ...), not {type(value).__name__}")
    return value


def entry_fields(spec: Any, at: Where, what: str, known: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Where]]:
    """An entry's fields and the line of each (``what`` names the entry in errors), refusing a key not in ``known``."""
    fields = as_mapping(spec, at, what)
    values: dict[str, Any] = {}
    lines: dict[str, Where] = {}
    for key, raw in fields.items():
        line = Where(at.source, line_of(fields, key))
        if key not in known:
            raise InputError(f"{line}: {what}: unknown key {key!r} (known: {', '.join(known)})")
        values[str(key)], lines[str(key)] = raw, line
    return values, lines


def _users(value: Any, at: Where) -> tuple[UserEntry, ...]:
    people = as_mapping(value, at, "'users'")
    entries: list[UserEntry] = []
    seen: dict[str, str] = {}
    for name, spec in people.items():
        where = Where(at.source, line_of(people, name))
        if not isinstance(name, str):
            raise InputError(f"{where}: user name {name!r} must be text (quote it)")
        if not arns.IAM_NAME.fullmatch(name):
            raise InputError(
                f"{where}: {name!r} is not a name IAM accepts for a user (1-64 of letters, digits and +=,.@_-)"
            )
        folded = name.lower()
        if folded in seen:
            raise InputError(
                f"{where}: {name!r} and {seen[folded]!r} are the same user to IAM (names are case-insensitive)"
            )
        seen[folded] = name
        entries.append(_person(name, spec, where))
    return tuple(entries)


def _person(name: str, spec: Any, at: Where) -> UserEntry:
    fields = as_mapping(spec, at, f"user {name}")
    grants: dict[str, tuple[str, ...]] = {}
    where: dict[str, Where] = {}
    power = False
    for key, value in fields.items():
        line = Where(at.source, line_of(fields, key))
        if key == "power":
            if not isinstance(value, bool):
                raise InputError(f"{line}: {name}: power must be true or false, not {value!r}")
            power = value
        elif isinstance(key, str) and ENV_KEY.fullmatch(key):
            grants[key] = _kinds(value, line, f"{name}: {key}")
            where[key] = line
        else:
            raise InputError(
                f"{line}: {name}: unknown key {key!r} (an environment of CONST.inc in capitals, such as DEV, or "
                f"one of: {', '.join(PERSON_FLAGS)})"
            )
    return UserEntry(name, {env: kinds for env, kinds in grants.items() if kinds}, power, at, where)


def _kinds(value: Any, at: Where, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise InputError(f"{at}: {what}: expected a list of role kinds such as [ADMIN, READ]")
    kinds: list[str] = []
    for item in items:
        if not isinstance(item, str) or not ENV_KEY.fullmatch(item):
            raise InputError(f"{at}: {what}: {item!r} is not a role kind (CONST.inc's <ENV>_IAM_<KIND>_ROLE)")
        if item in kinds:
            raise InputError(f"{at}: {what}: {item} is listed twice")
        kinds.append(item)
    return tuple(kinds)


def _settings(value: Any, at: Where) -> Settings:
    fields = as_mapping(value, at, "'settings'")
    quota, session = QUOTA_DEFAULT, SESSION_DEFAULT
    by_group: tuple[tuple[str, str], ...] = ()
    where: dict[str, Where] = {}
    for key, raw in fields.items():
        line = Where(at.source, line_of(fields, key))
        where[str(key)] = line
        if key == "trust_policy_quota":
            quota = _number(raw, line, key, QUOTA_DEFAULT, QUOTA_MAX)
        elif key == "max_session_duration":
            session = _number(raw, line, key, 3600, 43_200)
        elif key == "granted_by_group":
            by_group = _roles(raw, line)
        else:
            raise InputError(
                f"{line}: unknown setting {key!r} (known: trust_policy_quota, max_session_duration, granted_by_group)"
            )
    return Settings(quota, session, by_group, where)


def _number(raw: Any, at: Where, key: str, low: int, high: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise InputError(f"{at}: {key} must be a whole number from {low} to {high}, not {raw!r}")
    return raw


def _roles(raw: Any, at: Where) -> tuple[tuple[str, str], ...]:
    items = raw if isinstance(raw, list) else [raw]
    found: list[tuple[str, str]] = []
    for item in items:
        env, _, kind = str(item).partition(":")
        if not (ENV_KEY.fullmatch(env) and ENV_KEY.fullmatch(kind)):
            raise InputError(f"{at}: granted_by_group: {item!r} is not ENV:KIND (such as DEV:READ)")
        if (env, kind) not in found:
            found.append((env, kind))
    return tuple(found)


# --- editing -----------------------------------------------------------------------------------------------------


class Editor:
    """Edits of the users file that keep everything else of it as the person wrote it (comments, order, quotes).

    Each edit changes the round-trip document; ``text()`` is the file after them, ``check()`` reads it back
    through the same checks as ``load``.
    """

    def __init__(self, text: str, source: str = "users.yaml") -> None:
        from ruamel.yaml.comments import CommentedMap

        self.source = source
        self._original = text
        parsed = parse_document(text, source) if text.strip() else None
        self.document: Any = CommentedMap() if parsed is None else parsed
        read(self.document, source)  # refuse to edit a file that is already wrong

    @classmethod
    def open(cls, path: Path) -> Editor:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        return cls(text, str(path))

    def _people(self) -> Any:
        from ruamel.yaml.comments import CommentedMap

        if self.document.get("users") is None:
            self.document["users"] = CommentedMap()
        return self.document["users"]

    def add_user(self, name: str, grants: Mapping[str, tuple[str, ...]], *, power: bool = False) -> None:
        from ruamel.yaml.comments import CommentedMap

        people = self._people()
        spec = CommentedMap()
        for env, kinds in grants.items():
            if kinds:
                spec[env] = _flow(kinds)
        if power:
            spec["power"] = True
        people[name] = spec

    def set_grants(self, name: str, env: str, kinds: tuple[str, ...]) -> None:
        """``name``'s kinds in ``env`` (none: the environment's line goes)."""
        from ruamel.yaml.comments import CommentedMap

        people = self._people()
        spec = people.get(name)
        if spec is None:
            spec = people[name] = CommentedMap()
        if not kinds:
            spec.pop(env, None)
        elif env in spec and isinstance(spec[env], list):
            current = spec[env]
            for kind in [k for k in current if k not in kinds]:
                current.remove(kind)
            for kind in kinds:
                if kind not in current:
                    current.append(kind)
        elif env in spec:
            spec[env] = _flow(kinds)
        else:
            # environments before the flags (power), the way a person lays it out
            position = next((i for i, key in enumerate(spec) if key in PERSON_FLAGS), len(spec))
            spec.insert(position, env, _flow(kinds))

    def set_power(self, name: str, power: bool) -> None:
        spec = self._people()[name]
        if power:
            spec["power"] = True
        else:
            spec.pop("power", None)

    def remove_user(self, name: str) -> None:
        people = self._people()
        people.pop(name, None)

    def set_entry(self, section: str, name: str, fields: Mapping[str, Any]) -> None:
        """``section: name: fields`` (pipelines, service roles): replaced when there, else appended; a list value is
        written in flow style (``[a, b]``), as a person writes short lists."""
        from ruamel.yaml.comments import CommentedMap

        if self.document.get(section) is None:
            self.document[section] = CommentedMap()
        spec = CommentedMap()
        for key, value in fields.items():
            spec[key] = _flow(tuple(value)) if isinstance(value, list | tuple) else value
        self.document[section][name] = spec

    def set_list(self, section: str, name: str, key: str, values: tuple[str, ...]) -> None:
        """``section: name: key: [values]``, edited in place so the entry's comments and order stay."""
        current = self.document[section][name].get(key)
        if isinstance(current, list):
            for item in [v for v in current if v not in values]:
                current.remove(item)
            for item in values:
                if item not in current:
                    current.append(item)
        else:
            self.document[section][name][key] = _flow(values)

    def remove_entry(self, section: str, name: str) -> None:
        if self.document.get(section) is not None:
            self.document[section].pop(name, None)

    def text(self) -> str:
        stream = io.StringIO()
        yaml = _yaml()
        indent = _indent(self._original)
        yaml.indent(mapping=indent, sequence=indent + 2, offset=indent)
        yaml.dump(self.document, stream)
        return stream.getvalue()

    def check(self) -> UsersFile:
        return parse(self.text(), self.source)


def _flow(kinds: tuple[str, ...]) -> Any:
    from ruamel.yaml.comments import CommentedSeq

    seq = CommentedSeq(list(kinds))
    seq.fa.set_flow_style()
    return seq


def _indent(text: str) -> int:
    """The file's mapping indent (the first indented key's), so an edit does not re-indent the whole file."""
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if stripped and not stripped.startswith("#") and len(stripped) < len(line):
            return len(line) - len(stripped)
    return 2


def _register() -> None:
    """The sections other modules read: pipelines and service roles (imported when the first file is read, since
    they use this module's helpers)."""
    from bootstrap.org import pipelines, service_roles

    SECTIONS.setdefault(pipelines.SECTION, pipelines.read_section)
    SECTIONS.setdefault(service_roles.SECTION, service_roles.read_section)
