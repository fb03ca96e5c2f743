"""IAM policy documents as files and text: read one (a clear error for what is not a policy), its statements with
``Action``/``Resource`` as lists, and the one stable way the tool prints them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bootstrap.errors import InputError

VERSION = "2012-10-17"
# IAM's quota on a managed policy: 6,144 characters, whitespace not counted.
MANAGED_POLICY_MAX = 6144
_WHITESPACE = re.compile(r"\s+")


def load(path: Path) -> dict[str, Any]:
    """A policy document from a JSON file; ``InputError`` naming the file for anything else."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{path}: not JSON ({exc})") from None
    if not isinstance(document, dict) or "Statement" not in document:
        raise InputError(f'{path}: not an IAM policy document (no "Statement")')
    statements(document)  # every statement an object
    return document


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The statements of a document (a single statement object counts as a list of one)."""
    raw = document.get("Statement", [])
    found = [raw] if isinstance(raw, dict) else list(raw) if isinstance(raw, list) else None
    if found is None or not all(isinstance(s, dict) for s in found):
        raise InputError("not an IAM policy document: Statement must be an object or a list of objects")
    return found


def as_list(value: Any) -> list[str]:
    """``Action``/``Resource`` as a list of strings (IAM accepts a string or a list)."""
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def label(statement: Mapping[str, Any], index: int) -> str:
    """How findings name a statement: its Sid, else its position (1-based)."""
    sid = statement.get("Sid")
    return str(sid) if sid else f"statement {index + 1}"


def dumps(document: Mapping[str, Any]) -> str:
    """The document as the tool prints and writes it: indented, keys in IAM's usual order, newline-terminated."""
    return json.dumps(document, indent=2) + "\n"


def size(document: Mapping[str, Any]) -> int:
    """Characters as IAM counts them against its quotas (whitespace left out)."""
    return len(_WHITESPACE.sub("", json.dumps(document)))
