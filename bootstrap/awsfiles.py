"""The user's AWS files: where they are, merging rendered sections into them, validating what the SDKs will read.

Merge rules (``merge``), the heart of ``render``:
- Only sections the rendered text produces are touched ("managed"). Sections are matched by the name botocore
  gives them, not by their spelling: in the config file ``[profile  a]``, ``[profile a]`` and ``[profile "a"]``
  are all profile ``a`` and ``[default]`` is profile ``default``; ``[sso-session x]`` and ``[services x]`` are
  their own namespaces. In the credentials file a section's name is the profile name.
- In a managed section, each rendered key is updated in place (its line is replaced by the rendered line, so a
  nested ``s3 =`` block keeps its indented continuation lines and botocore still reads it as a dict); a key whose
  value is already right keeps the user's spelling, so a second merge changes no byte. New keys go after the
  section's last key. Keys the user added, the header as they spelled it, comments: untouched.
- Sections the rendered text does not produce yet are appended at the end, after one blank line.
- Every other byte is copied through as it was read: we splice text, never re-serialise a parsed file. The
  splitting into sections and keys is configparser's own state machine (``_parse``), which is also what botocore
  reads with and what configupdater copies. configupdater was the first choice and stays the tests' oracle, but
  on 2,500 profiles just parsing both files with it and writing the result, before any merging or validation,
  costs 1.6-2.2x a configparser read+write (bench/RESULTS.md), leaving too little of the merge's 3x budget; and
  assigning a multi-line value through it writes the continuation lines unindented, which botocore misreads.
  A file without a final newline keeps it missing unless sections are appended after the user's last line.
- ``prune`` removes sections the rendered text no longer produces, but only sections an earlier render *created*;
  and keys the rendered text no longer produces, but only keys an earlier render *added* (a template that drops
  ``mfa_serial`` from role profiles gets it dropped from the user's files too; a key the user wrote never goes).

How prune remembers what it made: a small JSON state file beside each AWS file, ``.<name>.aws-iam-bootstrap.json``
(0600, written atomically after the AWS file), listing the sections (by botocore name) a render appended and, per
section, the keys a render added; no values, so no secret. We chose this over a marker comment in the AWS file
because a marker travels with text: a user who copies a managed section to make their own profile would copy the
marker, and prune would then delete their profile. A state file names sections; a copy has a new name, so it is
never pruned. A section that already existed when a render first produced it (the user's own ``[default]``, say)
is adopted, not created: its rendered keys are kept up to date, but prune never deletes it, nor a key it had
before. A lost or unreadable state file makes prune remove less, never more; sections the user deleted drop out of
it at the next render. Pruning a section also removes the comment lines directly above its header (with no blank
line between): they introduce it (a render copies the template's comment above a section it appends), while
comments after its keys introduce what follows and stay.

Validation: the merged text is parsed exactly as ``botocore.configloader.raw_config_parse`` parses a file (same
``RawConfigParser``, same nested-value rule, and ``build_profile_map``'s naming of profiles), in memory so that no
copy of a secret touches the disk. A rejected result, an unparseable existing file (with the line), or a rendered
``source_profile`` naming no profile is an ``InputError`` and nothing is written.
"""

from __future__ import annotations

import configparser
import contextlib
import dataclasses
import difflib
import json
import os
import shlex
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bootstrap import redact, safewrite
from bootstrap.errors import InputError

Kind = Literal["config", "credentials"]

STATE_SUFFIX = ".aws-iam-bootstrap.json"
_STATE_VERSION = 1
_NAMESPACES = ("profile", "sso-session", "services")
_SHLEX_SPECIAL = frozenset("'\"\\")
_BAD_NAME_CHARS = frozenset("[]\"'#;=\\") | frozenset(chr(c) for c in range(33))
_BAD_VALUE_CHARS = ("\n", "\r", "\0")


@dataclass(frozen=True)
class AwsPaths:
    """Where the SDKs look for the two AWS files."""

    config: Path
    credentials: Path


def aws_paths(environ: Mapping[str, str] | None = None) -> AwsPaths:
    """``AWS_CONFIG_FILE`` / ``AWS_SHARED_CREDENTIALS_FILE`` when set, else ``~/.aws/config`` and ``credentials``."""
    env = os.environ if environ is None else environ
    home = env.get("HOME") or str(Path.home())

    def pick(variable: str, default: str) -> Path:
        value = env.get(variable) or default
        # as botocore does (expanduser), but with this environment's HOME
        if value == "~" or value.startswith("~/"):
            return Path(home + value[1:])
        return Path(value).expanduser()

    return AwsPaths(
        config=pick("AWS_CONFIG_FILE", "~/.aws/config"),
        credentials=pick("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
    )


@dataclass(frozen=True)
class FileChange:
    """What a write did (or, with dry-run, would do) to one AWS file. Names are botocore's profile names."""

    path: Path
    kind: Kind
    before: str | None
    after: str
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        # a missing file that would be written empty is left missing
        return (self.before or "") != self.after

    def diff(self) -> str:
        """A unified diff of the change, every line masked (secret keys by name, known secrets by value)."""
        before = (self.before or "").splitlines(keepends=True)
        after = self.after.splitlines(keepends=True)
        lines = difflib.unified_diff(
            before,
            after,
            fromfile=f"{self.path} (before)" if self.before is not None else "/dev/null",
            tofile=str(self.path),
        )
        out: list[str] = []
        for line in lines:
            masked = redact.mask(line.rstrip("\r\n"))
            out.append(masked + "\n")
            if not line.endswith("\n"):
                out.append("\\ No newline at end of file\n")
        return "".join(out)


# --- names --------------------------------------------------------------------------------------------------------


def section_key(name: str, kind: Kind) -> str:
    """The identity botocore gives a section: ``profile NAME``, ``sso-session NAME``, ``services NAME``, or
    ``section NAME`` for anything botocore does not treat as one of those."""
    if kind == "credentials":
        return f"profile {name}"
    if name == "default":
        return "profile default"
    for namespace in _NAMESPACES:
        if name.startswith(namespace):
            # botocore: shlex.split the header, and exactly two words name something in that namespace
            if _SHLEX_SPECIAL.isdisjoint(name) and name.isascii():
                parts = name.split()
            else:
                try:
                    parts = shlex.split(name)
                except ValueError:
                    return f"section {name}"
            if len(parts) == 2:
                return f"{namespace} {parts[1]}"
            return f"section {name}"
    return f"section {name}"


def _display(key: str) -> str:
    if key.startswith("profile "):
        return key[len("profile ") :]
    if key.startswith("section "):
        return key[len("section ") :]
    return key


def _header(kind: Kind, profile: str) -> str:
    if kind == "config" and profile != "default":
        return f"[profile {profile}]\n"
    return f"[{profile}]\n"


# --- parsing --------------------------------------------------------------------------------------------------------


@dataclass
class _Opt:
    key: str  # lower-cased, as botocore sees it
    text: str  # the raw lines, each ending in a newline except perhaps the file's last
    value: str | None


@dataclass
class _Sec:
    key: str
    name: str  # the header as configparser reads it (`profile  a`)
    lines: list[str]  # the whole file's lines, shared
    start: int  # the header line
    end: int  # one past the section's last line
    options: list[tuple[str, int, int, list[str]]]  # key, first line, last line, value parts
    _children: list[tuple[_Opt | None, str]] | None = field(default=None, repr=False)

    @property
    def children(self) -> list[tuple[_Opt | None, str]]:
        """The section after its header, in order: (option, its lines) or (None, comment and blank lines)."""
        if self._children is None:
            kids: list[tuple[_Opt | None, str]] = []
            at = self.start + 1
            for key, first, last, parts in self.options:
                if first > at:
                    kids.append((None, "".join(self.lines[at:first])))
                text = "".join(self.lines[first : last + 1])
                kids.append((_Opt(key, text, "\n".join(parts).rstrip()), text))
                at = last + 1
            if self.end > at:
                kids.append((None, "".join(self.lines[at : self.end])))
            self._children = kids
        return self._children

    @property
    def header(self) -> str:
        return self.lines[self.start]

    @property
    def text(self) -> str:
        return "".join(self.lines[self.start : self.end])


@dataclass
class _Doc:
    top: list[str]  # raw text of the part before the first section, then of each section, in order
    sections: list[tuple[int, _Sec]]  # (index into top, section)


_SECTCRE = configparser.RawConfigParser.SECTCRE
_OPTCRE = configparser.RawConfigParser.OPTCRE
_COMMENT_PREFIXES = ("#", ";")


def _parse(text: str, kind: Kind, name: str) -> _Doc:
    """Split an AWS file into sections and options without losing a byte.

    This is ``configparser.RawConfigParser._read`` (what botocore uses, and what configupdater copies) with the
    same regular expressions, comment, continuation and blank-line rules, and the same strictness about duplicate
    sections and keys; it records where each section and option starts and ends instead of building values only.
    Why not configupdater's own parser: see the module docstring; the tests check this scanner against
    configupdater's round trip and botocore.
    """
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    sections: list[_Sec] = []
    seen_sections: set[str] = set()
    seen_keys: set[str] = set()
    current: _Sec | None = None
    option: tuple[str, int, int, list[str]] | None = None
    options: list[tuple[str, int, int, list[str]]] = []  # the current section's
    indent_level = 0
    error_line = 0
    for index, line in enumerate(lines):
        value = line.strip()
        if not value or value.startswith(_COMMENT_PREFIXES):
            if not value and option is not None:
                option[3].append("")  # a blank line inside a value, dropped at the end if nothing follows
            continue
        indent = len(line) - len(line.lstrip())
        if option is not None and indent > indent_level:
            option[3].append(value)
            option = (option[0], option[1], index, option[3])
            options[-1] = option
            continue
        indent_level = indent
        header = _SECTCRE.match(value)
        if header:
            section_name = header.group("header")
            if section_name in seen_sections:
                raise _parse_error(configparser.DuplicateSectionError(section_name, name, index + 1), name)
            seen_sections.add(section_name)
            if current is not None:
                current.end = index
            options = []
            current = _Sec(section_key(section_name, kind), section_name, lines, index, len(lines), options)
            sections.append(current)
            seen_keys = set()
            option = None
            continue
        if current is None:
            raise _parse_error(configparser.MissingSectionHeaderError(name, index + 1, line), name)
        match = _OPTCRE.match(value)
        key = match.group("option").rstrip().lower() if match else ""
        if not key:
            error_line = error_line or index + 1
            continue
        if key in seen_keys:
            raise _parse_error(configparser.DuplicateOptionError(current.name, key, name, index + 1), name)
        seen_keys.add(key)
        option = (key, index, index, [match.group("value").strip()] if match else [])
        options.append(option)
    if error_line:
        error = configparser.ParsingError(name)
        error.append(error_line, "")
        raise _parse_error(error, name)
    first = sections[0].start if sections else len(lines)
    top = ["".join(lines[:first])]
    indexed = [(i + 1, sec) for i, sec in enumerate(sections)]
    top.extend(sec.text for sec in sections)
    return _Doc(top, indexed)


def _parse_error(exc: configparser.Error, name: str) -> InputError:
    # The offending line is not echoed: in a credentials file it may be a secret.
    lineno: object = getattr(exc, "lineno", None)
    if isinstance(exc, configparser.MissingSectionHeaderError):
        problem = "a line before any [section] header"
    elif isinstance(exc, configparser.DuplicateSectionError):
        problem = f"section [{exc.section}] appears twice"
    elif isinstance(exc, configparser.DuplicateOptionError):
        problem = f"key {exc.option!r} appears twice in section [{exc.section}]"
    elif isinstance(exc, configparser.ParsingError):
        lineno = exc.errors[0][0] if exc.errors else None
        problem = "not a [section] header, a key = value line, a comment or an indented continuation"
    else:
        problem = type(exc).__name__
    where = f"line {lineno}: " if lineno is not None else ""
    return InputError(f"{name}: {where}{problem}; nothing was changed")


# --- the merge ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeResult:
    """``merge`` with its bookkeeping: what changed, and which sections (botocore keys) renders have created."""

    text: str
    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]
    created: frozenset[str]
    rendered: frozenset[str]
    owned: Mapping[str, frozenset[str]] = field(default_factory=dict)  # section -> keys renders added to it


def merge(existing: str | None, rendered: str, kind: Kind, *, prune: bool = False, managed: Iterable[str] = ()) -> str:
    """Merge the ``rendered`` sections into the ``existing`` text of an AWS file (pure; see the module docstring).

    ``managed`` are the sections (``section_key`` names) earlier renders created: only those are removed by
    ``prune`` when the rendered text no longer produces them.
    """
    return merge_detailed(existing, rendered, kind, prune=prune, managed=managed).text


def merge_detailed(
    existing: str | None,
    rendered: str,
    kind: Kind,
    *,
    prune: bool = False,
    managed: Iterable[str] = (),
    owned: Mapping[str, Iterable[str]] | None = None,
    existing_name: str | None = None,
    rendered_name: str | None = None,
) -> MergeResult:
    """``merge``, also saying what changed; ``*_name`` label parse errors (e.g. the file's path).

    ``owned`` maps a section to the keys earlier renders added to it: with ``prune``, those the rendered text no
    longer produces are removed (keys the user wrote, or that were there before a render adopted the section,
    never are).
    """
    if existing is not None and _is_crlf(existing):
        # a file with Windows line ends keeps them, on the lines we write too
        result = merge_detailed(
            existing.replace("\r\n", "\n"),
            rendered.replace("\r\n", "\n"),
            kind,
            prune=prune,
            managed=managed,
            owned=owned,
            existing_name=existing_name,
            rendered_name=rendered_name,
        )
        return dataclasses.replace(result, text=result.text.replace("\n", "\r\n"))
    managed_keys = frozenset(managed)
    new = _parse(rendered, kind, rendered_name or f"the rendered {kind} text")
    wanted: dict[str, _Sec] = {}
    for _, sec in new.sections:
        if sec.key in wanted:
            raise InputError(
                f"{rendered_name or f'the rendered {kind} text'}: {_display(sec.key)} is produced twice "
                f"([{wanted[sec.key].name}] and [{sec.name}]); nothing was changed"
            )
        wanted[sec.key] = sec
    rendered_keys = frozenset(wanted)

    owned_before = {key: frozenset(keys) for key, keys in (owned or {}).items()}
    owned_after: dict[str, frozenset[str]] = {}
    if existing is None or not existing.strip():
        # A new (or empty) file is exactly the rendered text, comments and all.
        names = tuple(_display(k) for k in wanted)
        owned_after = {key: frozenset(opt.key for opt, _ in sec.children if opt) for key, sec in wanted.items()}
        return MergeResult(rendered, names, (), (), rendered_keys, rendered_keys, owned_after)

    old = _parse(existing, kind, existing_name or f"the existing {kind} file")
    index: dict[str, list[int]] = {}
    for position, (_, sec) in enumerate(old.sections):
        index.setdefault(sec.key, []).append(position)

    top = list(old.top)
    added: list[str] = []
    updated: list[str] = []
    removed: list[str] = []
    to_append: list[_Sec] = []
    last_top = len(top) - 1
    touched_last = False
    for key, want in wanted.items():
        positions = index.get(key)
        if not positions:
            to_append.append(want)
            added.append(_display(key))
            continue
        top_index, sec = old.sections[positions[-1]]  # botocore reads the last of duplicate spellings
        options = [opt for opt, _ in want.children if opt is not None]
        had = {opt.key for opt, _ in sec.children if opt is not None}
        mine = (owned_before.get(key, frozenset()) & had) | {opt.key for opt in options if opt.key not in had}
        stale = mine - {opt.key for opt in options} if prune else frozenset()
        owned_after[key] = frozenset(mine - stale)
        new_text = _update_section(sec, options, stale)
        if new_text is not None:
            top[top_index] = new_text
            updated.append(_display(key))
            touched_last = touched_last or top_index == last_top

    tail_pruned = False
    if prune:
        for key in sorted(owned_before.keys() - managed_keys - rendered_keys):
            # an adopted section the render no longer produces: it stays, less the keys renders added to it
            if key in index:
                top_index, sec = old.sections[index[key][-1]]
                had = {opt.key for opt, _ in sec.children if opt is not None}
                stale_text = _update_section(sec, [], owned_before[key] & had)
                if stale_text is not None:
                    top[top_index] = stale_text
                    updated.append(_display(key))
        for key in sorted(managed_keys - rendered_keys):
            for position in index.get(key, ()):
                top_index, sec = old.sections[position]
                top[top_index] = _without_section(sec)
                if top_index > 0:
                    top[top_index - 1] = _without_trailing_comments(top[top_index - 1])
                tail_pruned = tail_pruned or top_index == last_top
            if key in index:
                removed.append(_display(key))

    text = "".join(top)
    if to_append:
        text = _append_sections(text, [_new_section_text(want) for want in to_append])
    elif not existing.endswith("\n") and touched_last and text.endswith("\n"):
        # the user's file had no final newline and still ends with their section: keep it that way
        text = text[:-1]
    if tail_pruned and not to_append:
        ending = "\n" if existing.endswith("\n") else ""
        text = text.rstrip("\n") + ending if text.strip() else ""
    present = {k for k in index if not (prune and k in managed_keys and k not in rendered_keys)}
    created = frozenset((managed_keys & present) | {k for k in wanted if k not in index})
    for want in to_append:
        owned_after[want.key] = frozenset(opt.key for opt, _ in want.children if opt)
    if not prune:
        # remembered until a prune, for sections the render stopped producing
        for key, keys in owned_before.items():
            if key not in owned_after and key in present:
                owned_after[key] = keys
    return MergeResult(text, tuple(added), tuple(updated), tuple(removed), created, rendered_keys, owned_after)


def _is_crlf(text: str) -> bool:
    return "\r\n" in text and text.count("\r\n") == text.count("\n")


def _same_value(old: str | None, new: str | None) -> bool:
    if old == new:
        return True
    if old is None or new is None or not (old.startswith("\n") and new.startswith("\n")):
        return False
    try:
        return _parse_nested(old) == _parse_nested(new)
    except ValueError:
        return False


def _update_section(sec: _Sec, options: list[_Opt], delete: Iterable[str]) -> str | None:
    """The section's new text with ``options`` set (in place, or after its last key) and ``delete`` removed;
    None when nothing changes."""
    children = list(sec.children)
    positions: dict[str, int] = {}
    for i, (opt, _) in enumerate(children):
        if opt is not None:
            positions[opt.key] = i
    changed = False
    appended: list[str] = []
    for opt in options:
        where = positions.get(opt.key)
        current = None if where is None else children[where][0]
        if where is None or current is None:
            appended.append(_line(opt.text))
            continue
        if not _same_value(current.value, opt.value):
            text = _line(opt.text)
            if not children[where][1].endswith("\n"):
                text = text[:-1]  # it was the file's last line, without a newline
            children[where] = (opt, text)
            changed = True
    removed_positions = {positions[key] for key in delete if key in positions}
    if removed_positions:
        changed = True
    if not changed and not appended:
        return None
    if appended:
        option_indexes = [i for i, (opt, _) in enumerate(children) if opt is not None and i not in removed_positions]
        at = option_indexes[-1] + 1 if option_indexes else 0
        if at > 0 and not children[at - 1][1].endswith("\n"):
            children[at - 1] = (children[at - 1][0], children[at - 1][1] + "\n")
        children.insert(at, (None, "".join(appended)))
        removed_positions = {p + 1 if p >= at else p for p in removed_positions}
    return _line(sec.header) + "".join(text for i, (_, text) in enumerate(children) if i not in removed_positions)


def _line(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def _without_section(sec: _Sec) -> str:
    """What is left of a pruned section: the comments and blank lines after its last key, which belong to
    whatever follows (a user's "# work profiles" heading), less the blank line that separated it."""
    children = sec.children
    last_option = max((i for i, (opt, _) in enumerate(children) if opt is not None), default=-1)
    tail = "".join(text for _, text in children[last_option + 1 :])
    if tail.startswith("\n"):
        tail = tail[1:]
    elif tail.startswith("\r\n"):
        tail = tail[2:]
    return tail


def _without_trailing_comments(text: str) -> str:
    """``text`` less the comment lines at its end: a comment block directly above a created section's header
    introduces that section (``_new_section_text`` put it there), so it goes when the section is pruned."""
    lines = text.splitlines(keepends=True)
    while lines and lines[-1].startswith(("#", ";")):
        lines.pop()
    return "".join(lines)


def _new_section_text(sec: _Sec) -> str:
    """A rendered section as appended: its header and keys, with the comment lines that introduce it."""
    children = sec.children
    last_option = max((i for i, (opt, _) in enumerate(children) if opt is not None), default=-1)
    body = "".join(text for _, text in children[: last_option + 1])
    return _leading_comments(sec) + _line(_line(sec.header) + body)


def _leading_comments(sec: _Sec) -> str:
    """The comment block directly above the section's header (no blank line between)."""
    first = sec.start
    while first > 0 and sec.lines[first - 1].lstrip().startswith(_COMMENT_PREFIXES):
        first -= 1
    return "".join(_line(line) for line in sec.lines[first : sec.start])


def _append_sections(text: str, sections: list[str]) -> str:
    if text and not text.endswith("\n"):
        text += "\n"
    if text.strip() and not text.endswith("\n\n"):
        text += "\n"
    return text + "\n".join(sections)


# --- validation: as botocore reads the files ------------------------------------------------------------------------


def _parse_nested(value: str) -> dict[str, str]:
    # botocore.configloader._parse_nested (private there), kept identical: one level of `key = value` lines.
    parsed: dict[str, str] = {}
    for raw in value.splitlines():
        line = raw.strip()
        if not line:
            continue
        key, nested = line.split("=", 1)
        parsed[key.strip()] = nested.strip()
    return parsed


def botocore_parse(text: str, name: str) -> dict[str, dict[str, Any]]:
    """``botocore.configloader.raw_config_parse`` of ``text`` (in memory); ``InputError`` naming ``name`` and
    the line when botocore would refuse the file."""
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=name)
    except configparser.Error as exc:
        raise _parse_error(exc, name) from None
    parsed: dict[str, dict[str, Any]] = {}
    for section in parser.sections():
        values: dict[str, Any] = {}
        for option, value in parser.items(section, raw=True):
            if value.startswith("\n"):
                try:
                    values[option] = _parse_nested(value)
                except ValueError:
                    raise InputError(
                        f"{name}: section [{section}], key {option}: a nested line without '=' "
                        "(botocore cannot read it); nothing was changed"
                    ) from None
            else:
                values[option] = value
        parsed[section] = values
    return parsed


def profile_map(parsed: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``botocore.configloader.build_profile_map(parsed)["profiles"]``, without its deep copy and with
    ``section_key``'s fast path for plain names (a third of a 2,500-profile merge went there)."""
    profiles: dict[str, dict[str, Any]] = {}
    for section, values in parsed.items():
        key = section_key(section, "config")
        if key.startswith("profile "):
            profiles[key[len("profile ") :]] = values
    return profiles


def profiles_view(
    config_text: str | None, credentials_text: str | None, *, names: tuple[str, str] = ("config", "credentials")
) -> dict[str, dict[str, Any]]:
    """Profile name -> settings, merged from both texts the way botocore's session does."""
    profiles: dict[str, dict[str, Any]] = {}
    if config_text is not None:
        profiles = profile_map(botocore_parse(config_text, names[0]))
    if credentials_text is not None:
        for profile, values in botocore_parse(credentials_text, names[1]).items():
            profiles.setdefault(profile, {}).update(values)
    return profiles


def validate(
    config_text: str | None,
    credentials_text: str | None,
    *,
    config_name: str = "config",
    credentials_name: str = "credentials",
    check_source_profiles: Iterable[str] = (),
) -> dict[str, dict[str, Any]]:
    """Refuse (``InputError``) texts botocore would reject, and a ``source_profile`` of one of the profiles
    ``check_source_profiles`` that names no profile. Returns botocore's profile view."""
    profiles = profiles_view(config_text, credentials_text, names=(config_name, credentials_name))
    for profile in check_source_profiles:
        source = profiles.get(profile, {}).get("source_profile")
        if isinstance(source, str) and source not in profiles:
            raise InputError(
                f"{config_name}: profile {profile} has source_profile = {source}, but there is no profile "
                f"{source} in {config_name} or {credentials_name}; nothing was changed"
            )
    return profiles


# --- the files ------------------------------------------------------------------------------------------------------


def state_path(path: Path) -> Path:
    """The file that remembers which sections of ``path`` renders created (see the module docstring); beside
    ``path`` as named, like the backups, even when it is a symlink into a dotfiles repository."""
    named = path.absolute()  # not resolve(): the link, not its target
    return named.with_name(f".{named.name}{STATE_SUFFIX}")


@dataclass(frozen=True)
class _State:
    created: frozenset[str] = frozenset()
    owned: Mapping[str, frozenset[str]] = field(default_factory=dict)


def _read_state(path: Path) -> _State:
    try:
        text = safewrite.read_text(state_path(path))
    except InputError:
        return _State()
    if not text:
        return _State()
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        data = json.loads(text)
        if data.get("version") == _STATE_VERSION:
            owned = {str(k): frozenset(str(o) for o in v) for k, v in dict(data.get("owned", {})).items()}
            return _State(frozenset(str(key) for key in data.get("created", [])), owned)
    return _State()  # unreadable state: prune removes nothing, the safe direction


def _write_state(path: Path, state: _State) -> None:
    data = {
        "version": _STATE_VERSION,
        "about": "what aws-iam-bootstrap render created in this AWS file (sections) and added to sections "
        "(keys): --prune removes only these",
        "created": sorted(state.created),
        "owned": {key: sorted(keys) for key, keys in sorted(state.owned.items())},
    }
    safewrite.write_private(state_path(path), json.dumps(data, indent=1) + "\n", backup=False)


@contextlib.contextmanager
def _locked_both(paths: AwsPaths, *, dry_run: bool) -> Iterator[None]:
    if dry_run:
        # writes are atomic replaces, so reading needs no lock; and a dry run must not create even a lock file
        yield
        return
    # Always the same order, so two runs locking both files cannot deadlock.
    first, second = sorted((paths.config, paths.credentials), key=lambda p: str(safewrite.lock_path(p)))
    with safewrite.locked(first), safewrite.locked(second):
        yield


def _check_distinct(paths: AwsPaths) -> None:
    if safewrite.target_of(paths.config) == safewrite.target_of(paths.credentials):
        raise InputError(
            f"the config and credentials files are the same file ({paths.config}); set AWS_CONFIG_FILE and "
            "AWS_SHARED_CREDENTIALS_FILE to two different files"
        )


def apply_rendered(
    paths: AwsPaths, config_text: str, credentials_text: str, *, prune: bool = False, dry_run: bool = False
) -> tuple[FileChange, FileChange]:
    """Merge rendered config and credentials texts into the user's files: under lock, validated together with
    botocore's loader, written atomically with a backup (only files whose content changes)."""
    _check_distinct(paths)
    files: tuple[tuple[Path, Kind, str], ...] = (
        (paths.config, "config", config_text),
        (paths.credentials, "credentials", credentials_text),
    )
    with _locked_both(paths, dry_run=dry_run):
        befores: list[str | None] = []
        states: list[_State] = []
        results: list[MergeResult] = []
        for path, kind, rendered in files:
            before = safewrite.read_text(path)
            state = _read_state(path)
            results.append(
                merge_detailed(
                    before,
                    rendered,
                    kind,
                    prune=prune,
                    managed=state.created,
                    owned=state.owned,
                    existing_name=str(path),
                    rendered_name=f"the rendered {kind} text",
                )
            )
            befores.append(before)
            states.append(state)
        checked = [key[len("profile ") :] for key in results[0].rendered if key.startswith("profile ")]
        _validate_merged(paths, befores[0], results[0].text, befores[1], results[1].text, checked)
        changes = [
            FileChange(path, kind, before, result.text, result.added, result.updated, result.removed)
            for (path, kind, _), before, result in zip(files, befores, results, strict=True)
        ]
        if not dry_run:
            _write_all(changes)
            for change, result, state in zip(changes, results, states, strict=True):
                after = _State(result.created, dict(result.owned))
                if after != state:
                    _write_state(change.path, after)
    return changes[0], changes[1]


def _write_all(changes: list[FileChange]) -> None:
    """Write every changed file; if one fails, put back the ones already written, so that config and
    credentials never disagree (a role profile whose source profile is missing)."""
    written: list[FileChange] = []
    try:
        for change in changes:
            if change.changed:
                safewrite.write_private(change.path, change.after)
                written.append(change)
    except BaseException:
        for change in reversed(written):
            with contextlib.suppress(Exception):
                if change.before is None:
                    safewrite.target_of(change.path).unlink()
                else:
                    safewrite.write_private(change.path, change.before, backup=False)
        raise


def _validate_merged(
    paths: AwsPaths,
    config_before: str | None,
    config_after: str,
    credentials_before: str | None,
    credentials_after: str,
    checked: Iterable[str],
) -> None:
    try:
        validate(
            config_after,
            credentials_after,
            config_name=str(paths.config),
            credentials_name=str(paths.credentials),
            check_source_profiles=checked,
        )
    except InputError:
        # Say whose fault it is: an existing file botocore already could not read is reported as such.
        if config_before is not None:
            botocore_parse(config_before, str(paths.config))
        if credentials_before is not None:
            botocore_parse(credentials_before, str(paths.credentials))
        raise


def _check_profile_name(profile: str) -> None:
    if not profile or any(ch in _BAD_NAME_CHARS for ch in profile):
        raise InputError(f"profile name {profile!r} cannot be written: use letters, digits and - _ . @ + , / only")


def set_profile(
    paths: AwsPaths,
    kind: Kind,
    profile: str,
    values: Mapping[str, str | None],
    *,
    dry_run: bool = False,
) -> FileChange:
    """Set (or, for None, delete) keys of one profile, creating its section if missing; every other byte kept.
    Under lock, validated, atomic, with a backup."""
    _check_profile_name(profile)
    for key, value in values.items():
        if not key or any(ch in _BAD_NAME_CHARS for ch in key) or key != key.strip():
            raise InputError(f"key {key!r} cannot be written to an AWS file")
        if value is not None:
            if key.lower() in redact.SECRET_KEYS:
                redact.register(value)
            if any(ch in value for ch in _BAD_VALUE_CHARS) or value != value.strip():
                raise InputError(
                    f"the value of {key} for profile {profile} contains a line break, NUL or surrounding spaces; "
                    "nothing was changed"
                )
    path = paths.config if kind == "config" else paths.credentials
    with contextlib.nullcontext() if dry_run else safewrite.locked(path):
        before = safewrite.read_text(path)
        after, added, updated = _set_in_text(before, kind, profile, values, str(path))
        if kind == "config":
            validate(after, None, config_name=str(path))
        else:
            validate(None, after, credentials_name=str(path))
        change = FileChange(path, kind, before, after, added, updated, ())
        if change.changed and not dry_run:
            safewrite.write_private(path, after)
    return change


def _set_in_text(
    before: str | None, kind: Kind, profile: str, values: Mapping[str, str | None], name: str
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    text = before or ""
    if _is_crlf(text):
        after, added, updated = _set_in_text(text.replace("\r\n", "\n"), kind, profile, values, name)
        return after.replace("\n", "\r\n"), added, updated
    options = [_Opt(key.lower(), f"{key} = {value}\n", value) for key, value in values.items() if value is not None]
    delete = [key.lower() for key, value in values.items() if value is None]
    doc = _parse(text, kind, name)
    key = f"profile {profile}"  # section_key of the header we would write, in either file
    matches = [(i, sec) for i, sec in doc.sections if sec.key == key]
    if not matches:
        if not options:
            return text, (), ()
        section = _header(kind, profile) + "".join(opt.text for opt in options)
        return _append_sections(text, [section]), (profile,), ()
    top_index, sec = matches[-1]
    new_text = _update_section(sec, options, delete)
    if new_text is None:
        return text, (), ()
    top = list(doc.top)
    if top_index == len(top) - 1 and not text.endswith("\n") and new_text.endswith("\n"):
        new_text = new_text[:-1]
    top[top_index] = new_text
    return "".join(top), (), (profile,)


def load_profiles(paths: AwsPaths) -> dict[str, dict[str, Any]]:
    """Profile name -> settings as the SDKs see them (config and credentials merged by botocore's rules)."""
    return profiles_view(
        safewrite.read_text(paths.config),
        safewrite.read_text(paths.credentials),
        names=(str(paths.config), str(paths.credentials)),
    )
