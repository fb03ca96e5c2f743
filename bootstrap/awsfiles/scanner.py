"""Cutting an AWS file into sections and keys exactly where botocore does, without losing a byte.

Sections are named as botocore names them, not by their spelling: in the config file ``[profile  a]``,
``[profile a]`` and ``[profile "a"]`` are all profile ``a`` and ``[default]`` is profile ``default``;
``[sso-session x]`` and ``[services x]`` are their own namespaces. In the credentials file a section's name is the
profile name.

The splitting is configparser's own state machine (``RawConfigParser._read``: what botocore reads with, and what
configupdater copies), with the same regular expressions, comment, continuation and blank-line rules and the same
strictness about duplicates; it records where each section and option starts and ends, so the merge can splice
text instead of re-serialising a parsed file. configupdater was the first choice and stays the tests' oracle, but
on 2,500 profiles just parsing both files with it and writing the result costs 1.6-2.2x a configparser read and
write (bench/RESULTS.md), before any merging.
"""

from __future__ import annotations

import configparser
import re
import shlex
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, NamedTuple

from bootstrap.errors import InputError

_NAMESPACES = ("profile", "sso-session", "services")

_SHLEX_SPECIAL = frozenset("'\"\\")

Kind = Literal["config", "credentials"]


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


def display_name(key: str) -> str:
    if key.startswith("profile "):
        return key[len("profile ") :]
    if key.startswith("section "):
        return key[len("section ") :]
    return key


def header_line(kind: Kind, profile: str) -> str:
    if kind == "config" and profile != "default":
        return f"[profile {profile}]\n"
    return f"[{profile}]\n"


@dataclass(frozen=True, slots=True)
class Option:
    key: str  # lower-cased, as botocore sees it
    text: str  # the raw lines, each ending in a newline except perhaps the file's last
    value: str | None


# One option of a scanned section: its key (lower-cased), its first and last line (counted from the section's header,
# line 0), and its value joined as configparser joins it.
ScannedOption = tuple[str, int, int, str]


class Section(NamedTuple):
    """A scanned section: a view of one entry of ``Scanned``'s columns, made when asked for."""

    key: str
    name: str  # the header as configparser reads it (`profile  a`)
    text: str  # its header line and every line up to the next header (or the end of the file)
    options: tuple[ScannedOption, ...]

    def lines(self) -> list[str]:
        return lines_of(self.text)

    def children(self) -> list[tuple[Option | None, str]]:
        """The section after its header, in order: (option, its lines) or (None, comment and blank lines)."""
        lines = self.lines()
        kids: list[tuple[Option | None, str]] = []
        at = 1
        for key, first, last, value in self.options:
            if first > at:
                kids.append((None, "".join(lines[at:first])))
            text = "".join(lines[first : last + 1])
            kids.append((Option(key, text, value), text))
            at = last + 1
        if len(lines) > at:
            kids.append((None, "".join(lines[at:])))
        return kids

    @property
    def header(self) -> str:
        match = _LINE.match(self.text)
        return match.group() if match else ""


@dataclass(frozen=True, slots=True)
class Scanned:
    """A cut file, kept as columns of plain tuples of strings and ints (section i is ``top[i + 1]``).

    Not a tuple of section objects: Python's cyclic garbage collector stops tracking a plain tuple of strings and
    ints after one look, but walks every object of a class on each full collection. With one object per section,
    those walks grew with every section a render read, and made it super-linear in the number of profiles.
    """

    top: tuple[str, ...]  # raw text of the part before the first section, then of each section, in order
    keys: tuple[str, ...]  # each section's ``section_key``
    names: tuple[str, ...]  # each section's header as configparser reads it
    options: tuple[tuple[ScannedOption, ...], ...]

    def section(self, index: int) -> Section:
        return Section(self.keys[index], self.names[index], self.top[index + 1], self.options[index])

    def sections(self) -> Iterator[Section]:
        return (self.section(index) for index in range(len(self.keys)))


_SECTCRE = configparser.RawConfigParser.SECTCRE

COMMENT_PREFIXES = ("#", ";")

# configparser's default section: its keys are every section's defaults, it may appear more than once, and it is
# not a section of its own (botocore never sees a profile named DEFAULT, but sees its keys in every profile).
DEFAULT_SECTION = configparser.DEFAULTSECT


# Where a line ends when botocore reads a file: Python's universal newlines (``\r\n``, a lone ``\r``, ``\n``), and
# nowhere else. str.splitlines() also cuts at U+2028, U+0085, \v, \f...: inside a value those are not line ends.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def lines_of(text: str) -> list[str]:
    """``text`` cut into lines exactly where botocore's reading of the file cuts them, each with its own end."""
    return _LINE.findall(text)


def ends_line(text: str) -> bool:
    """Whether ``text`` ends with a line end (any of the three botocore reads)."""
    return text.endswith(("\n", "\r"))


# The last few texts scanned, by content: a render reads each file before the lock (to take back a key) and again
# under it (to merge), and checks the rendered text before merging it; the same text is cut only once.
_RECENT: dict[tuple[str, Kind], Scanned] = {}
_RECENT_MAX = 6
_RECENT_LOCK = threading.Lock()  # verify reads files from many threads


def scan(text: str, kind: Kind, name: str, *, remembered: bool = True) -> Scanned:
    """Split an AWS file into sections and options without losing a byte (``_scan``; remembered by content, so the
    result is shared and never changed by its users). ``name`` labels an error."""
    with _RECENT_LOCK:
        doc = _RECENT.get((text, kind)) if remembered else None
    if doc is None:
        doc = _scan(text, kind, name)
        remember(text, kind, doc)
    return doc


def remember(text: str, kind: Kind, doc: Scanned) -> None:
    """Record ``doc`` as the scan of ``text``: for a caller that built it from the scans of the text's parts (the
    merge), where that gives exactly what scanning the text would."""
    with _RECENT_LOCK:
        if len(_RECENT) >= _RECENT_MAX:
            del _RECENT[next(iter(_RECENT))]
        _RECENT[(text, kind)] = doc


def sections_of(text: str, kind: Kind, name: str) -> Iterator[Section]:
    """``scan``'s sections one by one, as they are cut: for a reader that may stop at the first few (a refused
    file raises when the cutting reaches the reason)."""
    return _cut(lines_of(text), kind, name)


def _scan(text: str, kind: Kind, name: str) -> Scanned:
    keys: list[str] = []
    names: list[str] = []
    texts: list[str] = []
    options: list[tuple[ScannedOption, ...]] = []
    for sec in _cut(lines_of(text), kind, name):
        keys.append(sec.key)
        names.append(sec.name)
        texts.append(sec.text)
        options.append(sec.options)
    # The sections run from the first header to the end of the file, one after the other: the rest is the prelude.
    prelude = text[: len(text) - sum(len(section) for section in texts)]
    return Scanned((prelude, *texts), tuple(keys), tuple(names), tuple(options))


def _cut(lines: list[str], kind: Kind, name: str) -> Iterator[Section]:
    """Split an AWS file into sections and options without losing a byte.

    This is ``configparser.RawConfigParser._read`` (what botocore uses, and what configupdater copies) with the
    same regular expressions, comment, continuation and blank-line rules, and the same strictness about duplicate
    sections and keys; it records where each section and option starts and ends, and each value as configparser
    joins it. Why not configupdater's own parser: see the module docstring; the tests check this scanner against
    configparser, configupdater's round trip and botocore.
    """
    seen_sections: set[str] = set()
    default_keys: set[str] = set()
    seen_keys: set[str] = set()
    # The section being read: its key and name, its header line, its options so far.
    section: tuple[str, str] | None = None
    start = 0
    options: list[ScannedOption] = []
    # The option being read: its key, first and last line, its value's first line, and any more lines (a
    # continuation, or a blank line inside the value); "open" says whether there is one.
    key = head = ""
    first = last = 0
    more: list[str] | None = None
    open_ = False
    indent_level = 0
    error_line = 0
    header_match = _SECTCRE.match
    for index, line in enumerate(lines):
        value = line.strip()
        if not value or value[0] in "#;":
            if not value and open_:
                # a blank line inside a value, dropped at the end if nothing follows
                more = more if more is not None else []
                more.append("")
            continue
        indent = len(line) - len(line.lstrip()) if line[0].isspace() else 0
        if open_:
            if indent > indent_level:
                more = more if more is not None else []
                more.append(value)
                last = index
                continue
            options.append((key, first - start, last - start, head if more is None else _joined(head, more)))
            open_ = False
        indent_level = indent
        header = header_match(value) if value[0] == "[" else None
        if header:
            section_name = header.group("header")
            if section_name == DEFAULT_SECTION:
                seen_keys = default_keys  # keys repeat across [DEFAULT] sections only as configparser allows
            else:
                if section_name in seen_sections:
                    raise parse_error(configparser.DuplicateSectionError(section_name, name, index + 1), name)
                seen_sections.add(section_name)
                seen_keys = set()
            if section is not None:
                yield Section(section[0], section[1], "".join(lines[start:index]), tuple(options))
            section = (section_key(section_name, kind), section_name)
            start = index
            options = []
            continue
        if section is None:
            raise parse_error(configparser.MissingSectionHeaderError(name, index + 1, line), name)
        # configparser's OPTCRE, `(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$`, splits at the first = or :
        # (its lazy option part stops there); finding that by hand costs a third of matching the pattern.
        equals, colon = value.find("="), value.find(":")
        at = equals if colon < 0 or 0 <= equals < colon else colon
        if at < 0:
            error_line = error_line or index + 1
            continue
        key, head = value[:at].rstrip().lower(), value[at + 1 :]
        if not key:
            error_line = error_line or index + 1
            continue
        if key in seen_keys:
            raise parse_error(configparser.DuplicateOptionError(section[1], key, name, index + 1), name)
        seen_keys.add(key)
        first = last = index
        head = head.strip()
        more = None
        open_ = True
    if open_:
        options.append((key, first - start, last - start, head if more is None else _joined(head, more)))
    if error_line:
        error = configparser.ParsingError(name)
        error.append(error_line, "")
        raise parse_error(error, name)
    if section is not None:
        yield Section(section[0], section[1], "".join(lines[start:]), tuple(options))


def spliced(old: Scanned, top: list[str], changed: set[int], text: str, kind: Kind, name: str) -> Scanned | None:
    """The scan of ``text``, made from ``old``'s parts by a merge, from ``old`` and scans of only the parts that
    changed; None where that might differ from scanning the whole text (the caller then scans it).

    ``top`` is ``old.top`` with the parts at the positions ``changed`` replaced; ``text`` is ``top`` joined, except
    that its last part may end differently and have sections appended. A section header at the start of a line
    with nothing before it resets everything configparser carries from line to line (the option a more indented
    line would continue), so the merged file cuts into the same parts, each reading as it does alone, wherever
    each part follows its old neighbour or starts with such a header. The sections of all parts together must not
    repeat a name ([DEFAULT] may repeat in a file, and is left to the full scan).
    """
    count = len(old.keys)
    if count == 0:
        return None
    prefix = sum(len(part) for part in top[:-1])
    if "".join(top[:-1]) != text[:prefix]:
        return None
    parts = [*top[1:-1], text[prefix:]]
    keys: list[str] = []
    names: list[str] = []
    texts: list[str] = [top[0]]
    options: list[tuple[ScannedOption, ...]] = []
    neighbour_kept = True  # whether the part before this one is the one before it in the existing file
    for position, part in enumerate(parts):
        kept = position + 1 not in changed and not (position == count - 1 and part != old.top[-1])
        if not neighbour_kept and not part.startswith("["):
            return None
        if kept:
            keys.append(old.keys[position])
            names.append(old.names[position])
            texts.append(part)
            options.append(old.options[position])
        else:
            try:
                alone = scan(part, kind, name, remembered=False)
            except InputError:
                return None
            if alone.top[0]:
                return None
            keys.extend(alone.keys)
            names.extend(alone.names)
            texts.extend(alone.top[1:])
            options.extend(alone.options)
        neighbour_kept = kept
    if DEFAULT_SECTION in names or len(set(names)) != len(names):
        return None
    return Scanned(tuple(texts), tuple(keys), tuple(names), tuple(options))


def _joined(head: str, more: list[str]) -> str:
    """A value of more than one line, as configparser joins it."""
    return "\n".join([head, *more]).rstrip()


def parse_error(exc: configparser.Error, name: str) -> InputError:
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
