"""Masking of secrets in everything the tool shows: output, diffs, errors.

Two nets, because either alone leaks or garbles:
- by key name: the value of ``aws_secret_access_key``, ``aws_session_token`` and ``aws_security_token`` in any
  ``key = value`` line is masked whatever it is, so a secret we never saw (a user's own profile) stays hidden;
- by value: every secret the tool has handled in this process (registered here when a ``Credentials`` is made
  or a secret is read) is masked wherever it appears. Values shorter than ``MIN_SECRET_LENGTH`` are not
  registered: masking "abc" everywhere would garble output and a real AWS secret is 40 characters or more.
"""

from __future__ import annotations

import re
import threading

MASK = "****"
MIN_SECRET_LENGTH = 8
SECRET_KEYS = frozenset({"aws_secret_access_key", "aws_session_token", "aws_security_token"})

_KEY_LINE = re.compile(
    r"(?im)^(?P<lead>[ \t]*[-+ ]?[ \t]*(?:"
    + "|".join(sorted(SECRET_KEYS))
    + r")[ \t]*[=:][ \t]*)(?P<value>\S.*?)[ \t]*$"
)

_lock = threading.Lock()
_known: set[str] = set()


def register(*values: str | None) -> None:
    """Remember secret values so that ``mask`` hides them wherever they appear."""
    with _lock:
        for value in values:
            if value and len(value) >= MIN_SECRET_LENGTH:
                _known.add(value)


def mask(text: str) -> str:
    """Return ``text`` with every known secret and every secret-keyed value replaced by ``MASK``."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    return _KEY_LINE.sub(lambda m: m.group("lead") + MASK, text)
