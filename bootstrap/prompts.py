"""The keyboard seam: the core asks questions through a ``Prompter`` and never reads a terminal itself.

Every question names the flag that answers it instead, so without a terminal (or with ``--non-interactive``) the
tool says which flag to pass rather than hanging. The terminal implementations live in ``cli/prompts.py``.
"""

from __future__ import annotations

from typing import Protocol

from bootstrap.errors import NeedsAnswer


class Prompter(Protocol):
    @property
    def interactive(self) -> bool:
        """Whether a person can answer at all (False: every question fails with its flag)."""
        ...

    def secret(self, question: str, flag: str) -> str:
        """A hidden answer (a secret key). ``flag`` is the option that gives it without a prompt."""
        ...

    def text(self, question: str, flag: str, default: str | None = None) -> str: ...

    def confirm(self, question: str, flag: str, default: bool = False) -> bool: ...


class NoPrompter:
    """Nobody to ask (``--non-interactive``, or a library caller): every question fails with the flag that answers
    it."""

    interactive = False

    def secret(self, question: str, flag: str) -> str:
        raise NeedsAnswer(question, flag)

    def text(self, question: str, flag: str, default: str | None = None) -> str:
        raise NeedsAnswer(question, flag)

    def confirm(self, question: str, flag: str, default: bool = False) -> bool:
        raise NeedsAnswer(question, flag)
