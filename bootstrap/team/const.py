"""CONST.inc -> validated variables, and the accounts and roles its naming convention describes.

CONST.inc is data, never executed: python-dotenv's parser reads each ``KEY=VALUE`` binding (comments, blank lines,
``export``, quotes) with its line number, and ``${KEY}`` is resolved here from earlier keys only. We do not use
``dotenv_values``: it resolves names from the process environment, turns unknown names into "" and only logs a
syntax error, so a typo would silently render an empty account id.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bootstrap import arns
from bootstrap.errors import InputError

# Names the tool supplies itself, and the flag that gives each. CONST.inc may not set them: it would silently
# override the engineer's own keys.
FLAGS: Final = {
    "AWS_USER": "--user",
    "AWS_ACCOUNT_NAME": "--account-name",
    "AWS_ACCESS_KEY_ID": "--access-key-id",
    "AWS_SECRET_ACCESS_KEY": "--secret-access-key-stdin",
    "AWS_MFA_SERIAL": "--mfa-serial",
}
SUPPLIED_NAMES: Final = tuple(FLAGS)
# Names the templates see that CONST.inc may not shadow: objects to loop over (accounts and roles), and the command
# that runs this tool (for a credential_process line that runs wherever the tool is installed).
RESERVED_NAMES: Final = ("accounts", "roles", "AWS_IAM_BOOTSTRAP")

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REFERENCE = re.compile(r"\$\{(?P<name>[^}:]*)(?::-(?P<default>[^}]*))?\}")
_ACCOUNT_ID_KEY = re.compile(r"(?P<env>[A-Z][A-Z0-9_]*?)_AWS_ACCOUNT_ID")
_ACCOUNT_NAME_KEY = re.compile(r"(?P<env>[A-Z][A-Z0-9_]*?)_AWS_ACCOUNT_NAME")
_ROLE_KEY = re.compile(r"(?P<env>[A-Z][A-Z0-9_]*?)_IAM_(?P<kind>[A-Z0-9][A-Z0-9_]*)_ROLE")
ACCOUNT_ID = arns.ACCOUNT_ID
# IAM's own limits for a role name; a profile name built from an account name must also be a valid INI section.
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
PROFILE_NAME = re.compile(r"[\w+=,.@-]{1,128}", re.ASCII)
# Standard, China, GovCloud and ISO partitions: us-east-1, cn-north-1, us-gov-west-1, us-isob-east-1.
REGION = re.compile(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}")
_CONTROL = re.compile(r"[\r\n\x00]")


@dataclass(frozen=True)
class Role:
    """A role ``<ENV>_IAM_<KIND>_ROLE`` in the account ``<ENV>_AWS_ACCOUNT_ID``."""

    env: str
    kind: str
    name: str
    account_id: str
    account_name: str = ""

    @property
    def arn(self) -> str:
        return arns.role(self.account_id, self.name)

    @property
    def profile_suffix(self) -> str:
        return self.kind.lower()

    @property
    def profile(self) -> str:
        """The role's profile name in the fixed layout: ``<ACCOUNT_NAME>_<kind>``."""
        return f"{self.account_name}_{self.profile_suffix}"


@dataclass(frozen=True)
class Account:
    """An account ``<ENV>_AWS_ACCOUNT_ID`` / ``<ENV>_AWS_ACCOUNT_NAME`` and the roles CONST.inc names in it."""

    env: str
    id: str
    name: str
    roles: tuple[Role, ...] = ()

    @property
    def is_prod(self) -> bool:
        return self.env in ("PROD", "PRD", "PRODUCTION") or self.env.startswith("PROD_") or self.env.endswith("_PROD")


@dataclass(frozen=True)
class Variables:
    """CONST.inc's resolved values (in file order), the accounts and roles they describe, and the region."""

    values: Mapping[str, str]
    accounts: tuple[Account, ...]
    region: str | None
    source: Path | None = None
    # The line each key was (last) set on, for error messages about a value rather than about the syntax.
    lines: Mapping[str, int] = field(default_factory=dict)

    @property
    def roles(self) -> tuple[Role, ...]:
        return tuple(role for account in self.accounts for role in account.roles)

    def where(self, key: str) -> str:
        """``file:line`` of a key, for error messages."""
        line = self.lines.get(key)
        if line is None:
            return f"--set {key}"
        return f"{self.source}:{line}" if self.source else f"line {line}"


def check_single_line(value: str, what: str) -> None:
    """Refuse a value holding a newline, carriage return or NUL: in an INI file it would start a new line, so a
    value could inject a section or a ``credential_process`` line."""
    if _CONTROL.search(value):
        raise InputError(f"{what}: the value contains a newline, carriage return or NUL, which would inject lines")


def load_const(path: Path, *, overrides: Mapping[str, str] | None = None) -> Variables:
    """Read and validate CONST.inc.

    ``overrides`` are ``--set NAME=VALUE`` values. As with make's command-line variables, an override replaces the
    file's own value where it is set, so later ``${NAME}`` references see it too.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file (pass --const-file)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    return parse_const(text, source=path, overrides=overrides)


def parse_const(text: str, *, source: Path | None = None, overrides: Mapping[str, str] | None = None) -> Variables:
    """``load_const`` on text (``source`` names it in errors)."""
    name = str(source) if source else "CONST.inc"
    overrides = dict(overrides or {})
    for key, value in overrides.items():
        if not _KEY.fullmatch(key):
            raise InputError(f"--set {key}=...: not a valid variable name")
        if key in SUPPLIED_NAMES:
            raise InputError(f"--set {key}=...: {key} is supplied by the tool; pass {FLAGS[key]}")
        if key in RESERVED_NAMES:
            raise InputError(f"--set {key}=...: {key!r} is reserved for the templates (the tool sets it)")
        check_single_line(value, f"--set {key}")

    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    for binding in bindings(text):
        where = f"{name}:{binding.line}"
        if binding.error:
            raise InputError(f"{where}: syntax error: {binding.original.strip()!r} is not KEY=VALUE")
        if binding.key is None:
            continue
        key, line = binding.key, binding.line
        if binding.value is None:
            raise InputError(f"{where}: syntax error: {key!r} has no '=' (expected KEY=VALUE)")
        if not _KEY.fullmatch(key):
            raise InputError(f"{where}: {key!r} is not a valid variable name (letters, digits and _)")
        if key in SUPPLIED_NAMES:
            raise InputError(
                f"{where}: {key} is supplied by the tool and may not be set in CONST.inc "
                "(it would silently override the engineer's own value); remove the line"
            )
        if key in RESERVED_NAMES:
            raise InputError(f"{where}: {key!r} is reserved for the templates (the tool sets it); rename it")
        values.pop(key, None)  # a key set twice takes its place at the later line, as make and bash read it
        lines.pop(key, None)
        if key in overrides:
            values[key] = overrides[key]  # its errors name --set, not this line
        else:
            value = _interpolate(binding.value, _is_single_quoted(binding.original), values, where)
            check_single_line(value, f"{where}: {key}")
            values[key] = value
            lines[key] = line
    for key, value in overrides.items():
        if key not in values:
            values[key] = value
    return _discover(values, lines, source)


@dataclass(frozen=True)
class Binding:
    """One line (or quoted multi-line value) of CONST.inc as python-dotenv reads it."""

    key: str | None  # None: a comment or blank line
    value: str | None  # None: no '='
    line: int
    original: str
    error: bool = False


# A line python-dotenv reads as KEY=VALUE with the value exactly as written: nothing quoted, escaped, exported,
# indented or commented, no spaces. Nearly every CONST.inc line is one. python-dotenv's reader goes character by
# character (about 10 us a line: a third of a render of 25,000 profiles), so a file of only such lines, blank lines
# and comments is split here; a file with any other line is read by python-dotenv whole. tests/team/test_const.py
# holds the two readings to the same result on generated files.
_PLAIN = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>[A-Za-z0-9_.,:/@+=${}-]*)")


def bindings(text: str, *, plain: bool = True) -> Iterator[Binding]:
    """CONST.inc's bindings in order (``plain=False``: always through python-dotenv)."""
    lines = text.split("\n")
    if plain and "\r" not in text and not text.startswith("\ufeff") and all(map(_plain, lines)):
        for number, line in enumerate(lines, start=1):
            match = _PLAIN.fullmatch(line)
            yield Binding(match["key"], match["value"], number, line) if match else Binding(None, None, number, line)
        return
    yield from _dotenv_bindings(text)


def _plain(line: str) -> bool:
    return not line or line.startswith("#") or _PLAIN.fullmatch(line) is not None


def _dotenv_bindings(text: str) -> list[Binding]:
    from dotenv.parser import parse_stream

    found: list[Binding] = []
    for binding in parse_stream(io.StringIO(text)):
        original = binding.original.string
        # The binding's recorded line is where the parser started, before any blank lines it skipped.
        leading = original[: len(original) - len(original.lstrip())]
        line = binding.original.line + leading.count("\n") + leading.count("\r") - leading.count("\r\n")
        found.append(Binding(binding.key, binding.value, line, original, binding.error))
    return found


def _is_single_quoted(original: str) -> bool:
    # As in bash, a single-quoted value is literal: '${X}' stays ${X}.
    _, _, rhs = original.partition("=")
    return rhs.lstrip().startswith("'")


def _interpolate(value: str, literal: bool, earlier: Mapping[str, str], where: str) -> str:
    if literal:
        return value

    def resolve(match: re.Match[str]) -> str:
        ref = match.group("name")
        if ref in earlier:
            return earlier[ref]
        if match.group("default") is not None:
            return match.group("default")
        raise InputError(
            f"{where}: ${{{ref}}} refers to a name not set on an earlier line "
            "(CONST.inc may only refer to keys defined above; the environment is not read)"
        )

    return _REFERENCE.sub(resolve, value)


def _discover(values: dict[str, str], lines: dict[str, int], source: Path | None) -> Variables:
    probe = Variables(values=values, accounts=(), region=None, source=source, lines=lines)

    ids: dict[str, str] = {}
    names: dict[str, str] = {}
    roles: dict[str, list[tuple[str, str]]] = {}
    for key, value in values.items():
        if m := _ACCOUNT_ID_KEY.fullmatch(key):
            if not ACCOUNT_ID.fullmatch(value):
                raise InputError(
                    f"{probe.where(key)}: {key}={value!r} is not an AWS account id (exactly 12 digits, "
                    "leading zeros included)"
                )
            ids[m.group("env")] = value
        elif m := _ACCOUNT_NAME_KEY.fullmatch(key):
            if not PROFILE_NAME.fullmatch(value):
                raise InputError(
                    f"{probe.where(key)}: {key}={value!r} is not usable as a profile name "
                    "(letters, digits and _+=,.@- only)"
                )
            names[m.group("env")] = value
        elif m := _ROLE_KEY.fullmatch(key):
            if not ROLE_NAME.fullmatch(value):
                raise InputError(
                    f"{probe.where(key)}: {key}={value!r} is not an IAM role name (1-64 of letters, digits and _+=,.@-)"
                )
            roles.setdefault(m.group("env"), []).append((m.group("kind"), value))

    for env in names:
        if env not in ids:
            key = f"{env}_AWS_ACCOUNT_NAME"
            raise InputError(f"{probe.where(key)}: {key} has no matching {env}_AWS_ACCOUNT_ID")
    for env, env_roles in roles.items():
        if env not in ids:
            key = f"{env}_IAM_{env_roles[0][0]}_ROLE"
            raise InputError(f"{probe.where(key)}: {key} names a role in an account with no {env}_AWS_ACCOUNT_ID")

    accounts = []
    for env, account_id in ids.items():
        if env not in names:
            key = f"{env}_AWS_ACCOUNT_ID"
            raise InputError(f"{probe.where(key)}: {key} has no matching {env}_AWS_ACCOUNT_NAME")
        name = names[env]
        account_roles = tuple(
            Role(env=env, kind=kind, name=role_name, account_id=account_id, account_name=name)
            for kind, role_name in roles.get(env, [])
        )
        accounts.append(Account(env=env, id=account_id, name=name, roles=account_roles))

    region = values.get("GLOBAL_AWS_REGION")
    if region is not None and not REGION.fullmatch(region):
        raise InputError(
            f"{probe.where('GLOBAL_AWS_REGION')}: GLOBAL_AWS_REGION={region!r} is not an AWS region (like eu-west-1)"
        )
    return Variables(values=values, accounts=tuple(accounts), region=region, source=source, lines=lines)
