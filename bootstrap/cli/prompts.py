"""The terminal behind the ``Prompter`` seam: the only module that reads what a person types.

Each question names the flag that answers it instead, so without a terminal the flag is named (``NeedsAnswer``)
rather than the tool hanging.
"""

from __future__ import annotations

import sys

import click

from bootstrap.errors import InputError, Interrupted, NeedsAnswer


class TerminalPrompter:
    """Asks on the terminal; refuses (naming the flag) when stdin is not one."""

    def __init__(self, interactive: bool | None = None) -> None:
        self.interactive = sys.stdin.isatty() if interactive is None else interactive

    def _ensure(self, question: str, flag: str) -> None:
        if not self.interactive:
            raise NeedsAnswer(question, flag)

    def secret(self, question: str, flag: str) -> str:
        self._ensure(question, flag)
        try:
            return str(click.prompt(question, hide_input=True, err=True)).strip()
        except click.Abort:
            raise Interrupted() from None

    def text(self, question: str, flag: str, default: str | None = None) -> str:
        self._ensure(question, flag)
        try:
            return str(click.prompt(question, default=default, err=True)).strip()
        except click.Abort:
            raise Interrupted() from None

    def confirm(self, question: str, flag: str, default: bool = False) -> bool:
        self._ensure(question, flag)
        try:
            return bool(click.confirm(question, default=default, err=True))
        except click.Abort:
            raise Interrupted() from None


class TtyPrompter(TerminalPrompter):
    """Asks on the controlling terminal (``/dev/tty``) because stdout and stderr belong to someone else.

    ``credential-process`` runs under an SDK that reads its stdout and captures its stderr: the question can
    only reach the person through the terminal itself. Without one, the flag that answers is named.
    """

    def __init__(self, device: str = "/dev/tty") -> None:
        super().__init__(interactive=True)
        self.device = device

    def text(self, question: str, flag: str, default: str | None = None) -> str:
        try:
            # Two handles: a text stream opened "r+" on a terminal cannot switch from writing to reading.
            with open(self.device, "w", encoding="utf-8") as out, open(self.device, encoding="utf-8") as into:  # noqa: PTH123
                out.write(f"{question}: ")
                out.flush()
                answer = into.readline()
        except OSError:
            raise NeedsAnswer(question, flag) from None
        except KeyboardInterrupt:
            raise Interrupted() from None
        if not answer:
            raise Interrupted()
        return answer.strip() or (default or "")

    def secret(self, question: str, flag: str) -> str:
        # One-time codes are the only thing asked here; echoing them lets the person check what they typed.
        return self.text(question, flag)


def secret_from_stdin(question: str, flag: str = "--secret-access-key-stdin") -> str:
    """The secret a ``...-stdin`` flag promised: one line of stdin, read hidden when stdin is a terminal (a person
    typing it there must not see it echoed into their scroll-back)."""
    if sys.stdin.isatty():
        secret = TerminalPrompter(interactive=True).secret(question, flag)
    else:
        secret = sys.stdin.readline().strip()
    if not secret:
        raise InputError(f"{flag}: nothing on stdin")
    return secret
