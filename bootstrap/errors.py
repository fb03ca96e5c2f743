"""One error family with documented exit codes, raised by the core and converted once, by the CLI.

These are plain exceptions, so the core can be used as a library without click. The CLI (``cli.main``) catches a
``BootstrapError`` in one place, prints ``Error: <message>`` (masked by ``redact.mask``, so no secret reaches the
terminal through an error) and exits with its code.
"""

from __future__ import annotations

from enum import IntEnum

from bootstrap import redact


class ExitCode(IntEnum):
    """The exit codes of every command (documented in the README)."""

    OK = 0
    CHECK_FAILED = 1  # the command ran, and what it checked does not all work (e.g. `verify`)
    BAD_INPUT = 2  # bad flags, CONST.inc, templates, values or AWS files: nothing was changed
    AWS_REFUSED = 3  # AWS (or the sandbox) refused or could not be reached
    STATE = 4  # the files or the account are in a state the command will not touch on its own
    NEEDS_ANSWER = 5  # an answer was needed and there is no terminal to ask: the message names the flag
    INTERRUPTED = 130  # Ctrl-C: nothing half-written


class BootstrapError(Exception):
    """Base of every error the tool reports to the user."""

    exit_code: ExitCode = ExitCode.CHECK_FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def format_message(self) -> str:
        """The message as it may be shown: every known secret masked."""
        return redact.mask(self.message)

    def __str__(self) -> str:
        return self.format_message()


class InputError(BootstrapError):
    """Bad input: a flag, CONST.inc, a template, a value, or an existing AWS file we cannot parse."""

    exit_code = ExitCode.BAD_INPUT


class CheckFailed(BootstrapError):
    """The command ran to the end and found something that does not work."""

    exit_code = ExitCode.CHECK_FAILED


class AwsError(BootstrapError):
    """AWS refused a call. ``code`` is the AWS error code (matched by code, never by message text)."""

    exit_code = ExitCode.AWS_REFUSED

    def __init__(self, message: str, *, code: str = "", action: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.action = action


class StateError(BootstrapError):
    """The files or the account are in a state the command will not change on its own (or a lock is held)."""

    exit_code = ExitCode.STATE


class NeedsAnswer(BootstrapError):
    """A prompt was needed but there is no terminal (or --non-interactive): say which flag answers it."""

    exit_code = ExitCode.NEEDS_ANSWER

    def __init__(self, question: str, flag: str) -> None:
        super().__init__(f"{question}: no terminal to ask on; pass {flag}")
        self.flag = flag


class Interrupted(BootstrapError):
    """Ctrl-C at a prompt or during a step: reported once, with nothing half-written."""

    exit_code = ExitCode.INTERRUPTED

    def __init__(self, message: str = "interrupted; nothing was half-written") -> None:
        super().__init__(message)
