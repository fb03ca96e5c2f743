"""YAML text for the rendered templates: block style, keys in the order given, every string that YAML could read
as anything else double-quoted and escaped.

Written here rather than with ruamel's emitter because the templates must be stable to the byte and fast at scale
(1,000 people over 50 accounts is a few hundred thousand lines, which ruamel's pure-Python emitter takes seconds
over), and because they hold only mappings, lists, strings, integers and booleans. The tests read every output
back with a YAML parser and compare.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# A string that YAML 1.1 and 1.2 both read back as that same string when written bare: no leading indicator or
# digit, no spaces, no '#', no flow indicators, no trailing ':'; and none of the words YAML reads as true, false
# or null.
_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./:@+=*-]*")
_SPECIAL = frozenset(
    {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "nan", "inf"},
)


def scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"cannot write {type(value).__name__} as a YAML scalar")
    if _PLAIN.fullmatch(value) and not value.endswith(":") and value.lower() not in _SPECIAL:
        return value
    return _quoted(value)


def _quoted(value: str) -> str:
    """A double-quoted YAML scalar: printable ASCII as is, everything else escaped (YAML's \\uXXXX and, beyond
    the BMP, \\UXXXXXXXX, which JSON lacks)."""
    out = ['"']
    for char in value:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def dump(data: Mapping[str, Any]) -> str:
    """``data`` as block-style YAML text ending in a newline."""
    lines: list[str] = []
    _mapping(data, 0, lines)
    return "\n".join(lines) + "\n"


def _mapping(data: Mapping[str, Any], indent: int, lines: list[str], first_prefix: str | None = None) -> None:
    pad = " " * indent
    for index, (key, value) in enumerate(data.items()):
        lead = first_prefix if (index == 0 and first_prefix is not None) else pad
        _entry(f"{lead}{scalar(key)}:", value, indent, lines)


def _entry(head: str, value: Any, indent: int, lines: list[str]) -> None:
    if isinstance(value, Mapping):
        if not value:
            lines.append(f"{head} {{}}")
        else:
            lines.append(head)
            _mapping(value, indent + 2, lines)
    elif isinstance(value, list | tuple):
        if not value:
            lines.append(f"{head} []")
        else:
            lines.append(head)
            _sequence(value, indent + 2, lines)
    else:
        lines.append(f"{head} {scalar(value)}")


def _sequence(items: Any, indent: int, lines: list[str]) -> None:
    pad = " " * indent
    for item in items:
        if isinstance(item, Mapping) and item:
            _mapping(item, indent + 2, lines, first_prefix=f"{pad}- ")
        elif isinstance(item, list | tuple) and item:
            lines.append(f"{pad}-")
            _sequence(item, indent + 2, lines)
        elif isinstance(item, Mapping):
            lines.append(f"{pad}- {{}}")
        elif isinstance(item, list | tuple):
            lines.append(f"{pad}- []")
        else:
            lines.append(f"{pad}- {scalar(item)}")


# --- fast reading ---------------------------------------------------------------------------------------------------

_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_INT = re.compile(r"[-+]?[0-9]+")


def load_fast(text: str, *, typed: bool) -> Any:
    """``text`` read by libyaml (through PyYAML's C loader), about ten times faster than ruamel's pure-Python
    parser: None when libyaml is not there or the text is not valid YAML (the caller then reads it with ruamel,
    whose errors name the line). ``typed``: scalars as YAML 1.2's core schema reads them (true/false, null,
    integers), not YAML 1.1's, where ``no`` and ``on`` are booleans; else PyYAML's safe schema (for templates
    this module wrote, which quote every ambiguous string)."""
    try:
        import yaml
    except ImportError:
        return None
    base = getattr(yaml, "CBaseLoader" if typed else "CSafeLoader", None)
    if base is None:
        return None

    class Strict(base):  # type: ignore[misc, valid-type]
        """PyYAML keeps the last of two equal keys; YAML says a key is given once (ruamel then says where)."""

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
            if len({str(key) for key in keys}) != len(keys):
                raise yaml.constructor.ConstructorError(None, None, "duplicate key", node.start_mark)
            return super().construct_mapping(node, deep=deep)

    try:
        data = yaml.load(text, Loader=Strict)  # noqa: S506 (a C safe/base loader: no object construction)
    except yaml.YAMLError:
        return None
    return _core(data) if typed else data


def _core(node: Any) -> Any:
    if isinstance(node, dict):
        return {_core(k): _core(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_core(item) for item in node]
    if not isinstance(node, str):
        return node
    if node in _NULL:
        return None
    if node in _TRUE:
        return True
    if node in _FALSE:
        return False
    if _INT.fullmatch(node):
        return int(node)
    return node
