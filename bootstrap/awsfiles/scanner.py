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
from dataclasses import dataclass, field
from typing import Literal

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


@dataclass
class Option:
    key: str  # lower-cased, as botocore sees it
    text: str  # the raw lines, each ending in a newline except perhaps the file's last
    value: str | None


@dataclass
class Section:
    key: str
    name: str  # the header as configparser reads it (`profile  a`)
    lines: list[str]  # the whole file's lines, shared
    start: int  # the header line
    end: int  # one past the section's last line
    options: list[tuple[str, int, int, list[str]]]  # key, first line, last line, value parts
    _children: list[tuple[Option | None, str]] | None = field(default=None, repr=False)

    @property
    def children(self) -> list[tuple[Option | None, str]]:
        """The section after its header, in order: (option, its lines) or (None, comment and blank lines)."""
        if self._children is None:
            kids: list[tuple[Option | None, str]] = []
            at = self.start + 1
            for key, first, last, parts in self.options:
                if first > at:
                    kids.append((None, "".join(self.lines[at:first])))
                text = "".join(self.lines[first : last + 1])
                kids.append((Option(key, text, "\n".join(parts).rstrip()), text))
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
class Scanned:
    top: list[str]  # raw text of the part before the first section, then of each section, in order
    sections: list[tuple[int, Section]]  # (index into top, section)


_SECTCRE = configparser.RawConfigParser.SECTCRE

_OPTCRE = configparser.RawConfigParser.OPTCRE

COMMENT_PREFIXES = ("#", ";")


# Where a line ends when botocore reads a file: Python's universal newlines (``\r\n``, a lone ``\r``, ``\n``), and
# nowhere else. str.splitlines() also cuts at U+2028, U+0085, \v, \f...: inside a value those are not line ends.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def lines_of(text: str) -> list[str]:
    """``text`` cut into lines exactly where botocore's reading of the file cuts them, each with its own end."""
    return _LINE.findall(text)


def ends_line(text: str) -> bool:
    """Whether ``text`` ends with a line end (any of the three botocore reads)."""
    return text.endswith(("\n", "\r"))


def universal(text: str) -> str:
    """``text`` with its line ends as botocore sees them once it has opened the file (all ``\n``)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def scan(text: str, kind: Kind, name: str) -> Scanned:
    """Split an AWS file into sections and options without losing a byte.

    This is ``configparser.RawConfigParser._read`` (what botocore uses, and what configupdater copies) with the
    same regular expressions, comment, continuation and blank-line rules, and the same strictness about duplicate
    sections and keys; it records where each section and option starts and ends instead of building values only.
    Why not configupdater's own parser: see the module docstring; the tests check this scanner against
    configupdater's round trip and botocore.
    """
    lines = lines_of(text)
    sections: list[Section] = []
    seen_sections: set[str] = set()
    seen_keys: set[str] = set()
    current: Section | None = None
    option: tuple[str, int, int, list[str]] | None = None
    options: list[tuple[str, int, int, list[str]]] = []  # the current section's
    indent_level = 0
    error_line = 0
    for index, line in enumerate(lines):
        value = line.strip()
        if not value or value.startswith(COMMENT_PREFIXES):
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
                raise parse_error(configparser.DuplicateSectionError(section_name, name, index + 1), name)
            seen_sections.add(section_name)
            if current is not None:
                current.end = index
            options = []
            current = Section(section_key(section_name, kind), section_name, lines, index, len(lines), options)
            sections.append(current)
            seen_keys = set()
            option = None
            continue
        if current is None:
            raise parse_error(configparser.MissingSectionHeaderError(name, index + 1, line), name)
        match = _OPTCRE.match(value)
        key = match.group("option").rstrip().lower() if match else ""
        if not key:
            error_line = error_line or index + 1
            continue
        if key in seen_keys:
            raise parse_error(configparser.DuplicateOptionError(current.name, key, name, index + 1), name)
        seen_keys.add(key)
        option = (key, index, index, [match.group("value").strip()] if match else [])
        options.append(option)
    if error_line:
        error = configparser.ParsingError(name)
        error.append(error_line, "")
        raise parse_error(error, name)
    first = sections[0].start if sections else len(lines)
    top = ["".join(lines[:first])]
    indexed = [(i + 1, sec) for i, sec in enumerate(sections)]
    top.extend(sec.text for sec in sections)
    return Scanned(top, indexed)


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
