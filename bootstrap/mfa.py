"""Virtual MFA: the otpauth URI and QR code of a new device, TOTP windows, and collecting codes.

A code source is any callable that answers a ``CodeRequest`` with a 6-digit code: a person at a prompt
(``PromptCodes``), a password manager's CLI (``CommandCodes``), or the demo's built-in ``Authenticator``.
The rules every source is held to live in ``with_codes``: codes are 6 digits, a code AWS already accepted in
this run is refused before AWS sees it (AWS refuses a replayed code with a less helpful message), and a step
asks again, up to ``MAX_ATTEMPTS`` times, when AWS says the code is wrong or expired.
"""

from __future__ import annotations

import io
import re
import shlex
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar
from urllib.parse import quote, urlencode

from bootstrap.errors import AwsError, CheckFailed, InputError, StateError

if TYPE_CHECKING:
    from bootstrap.clock import Clock
    from bootstrap.prompts import Prompter

STEP_SECONDS = 30
MAX_ATTEMPTS = 3
ISSUER = "Amazon Web Services"
CODE_FLAG = "--token-code-command"

# AWS reports a wrong, expired or replayed code with these error codes: EnableMFADevice says
# InvalidAuthenticationCode, GetSessionToken/AssumeRole say AccessDenied (they need no IAM permission, so an
# AccessDenied there is the code).
BAD_CODE_ERRORS = frozenset({"InvalidAuthenticationCode", "AccessDenied"})

_CODE = re.compile(r"^\d{6}$")

Purpose = Literal["enable", "session"]
T = TypeVar("T")


@dataclass(frozen=True)
class CodeRequest:
    """What a code source is asked for.

    ``not_before``: when set, a code from a window starting at or after this instant is needed (the current
    window's code was already given); a source that reads a live authenticator should wait until then
    (``wait_until``), a person is told to wait for the code to change.
    ``problem``: why the previous answer was refused, to show before asking again.
    """

    purpose: Purpose
    serial: str
    index: int = 1  # 1 or 2 for the two codes of EnableMFADevice
    count: int = 1
    attempt: int = 1
    not_before: datetime | None = None
    problem: str | None = None

    @property
    def label(self) -> str:
        if self.purpose == "enable" and self.index == 1:
            return "First MFA code from your authenticator app"
        if self.purpose == "enable":
            return "Second MFA code (the next one your app shows, once the first changes)"
        return "MFA code from your authenticator app"


CodeSource = Callable[[CodeRequest], str]


def otpauth_uri(seed: str, user: str, account: str, *, issuer: str = ISSUER) -> str:
    """The URI an authenticator app reads from a QR code (Google's Key Uri Format, as AWS shows it)."""
    label = quote(f"{issuer}:{user}@{account}", safe=":@")
    params = urlencode({"secret": seed, "issuer": issuer}, quote_via=quote)
    return f"otpauth://totp/{label}?{params}"


def qr_text(uri: str) -> str:
    """The QR code of ``uri`` drawn with Unicode half blocks: two modules per character, fits a terminal."""
    import segno

    buf = io.StringIO()
    segno.make(uri, error="m").terminal(out=buf, compact=True)
    return buf.getvalue()


def write_qr_png(uri: str, path: Path) -> None:
    """Write the QR code as a PNG, mode 0600 (it holds the device's seed), replacing ``path`` atomically."""
    import segno

    from bootstrap.safewrite import write_private

    buf = io.BytesIO()
    segno.make(uri, error="m").save(buf, kind="png", scale=8, border=4)
    try:
        write_private(path, buf.getvalue(), backup=False)  # no backup: an old QR code is an old seed
    except StateError as exc:
        raise InputError(f"--qr-png {path}: {exc.message}") from None


def window(at: datetime) -> int:
    """The TOTP time step ``at`` falls in."""
    return int(at.timestamp()) // STEP_SECONDS


def window_start(step: int) -> datetime:
    return datetime.fromtimestamp(step * STEP_SECONDS, UTC)


def wait_until(clock: Clock, instant: datetime | None) -> None:
    """Sleep (through the clock seam) until ``instant``; a live code source calls this before reading."""
    if instant is None:
        return
    remaining = (instant - clock.now()).total_seconds()
    if remaining > 0:
        clock.sleep(remaining)


def totp(seed: str, at: datetime) -> str:
    """The code an authenticator app shows at ``at`` for ``seed``."""
    import pyotp

    return str(pyotp.TOTP(seed).at(at))


def check_code_format(code: str) -> str | None:
    """Why ``code`` cannot be a code, or None."""
    if not _CODE.match(code):
        return "a code is the 6 digits your authenticator app shows"
    return None


@dataclass
class CodeLog:
    """The codes given in this run: AWS accepts each code once per device, so we refuse a repeat ourselves."""

    used: set[str] = field(default_factory=set)
    last_window: int | None = None

    def not_before(self) -> datetime | None:
        return None if self.last_window is None else window_start(self.last_window + 1)


def with_codes(
    source: CodeSource,
    purpose: Purpose,
    serial: str,
    call: Callable[[Sequence[str]], T],
    *,
    clock: Clock,
    log: CodeLog,
    count: int = 1,
    max_attempts: int = MAX_ATTEMPTS,
) -> T:
    """Ask ``source`` for ``count`` codes and pass them to ``call`` (the AWS call), asking again when refused.

    Refused before AWS sees them: a code that is not 6 digits, a code already used in this run, the same code
    twice in one request (EnableMFADevice needs two consecutive codes). Refused by AWS: a wrong or expired code.
    Every refusal counts towards ``max_attempts``; then ``CheckFailed`` says what was wrong last.
    """
    problem: str | None = None
    refusals = 0

    def refuse(why: str) -> None:
        nonlocal problem, refusals
        problem, refusals = why, refusals + 1
        if refusals >= max_attempts:
            raise CheckFailed(f"MFA code refused {refusals} times; last: {why}")

    while True:
        codes: list[str] = []
        while len(codes) < count:
            request = CodeRequest(purpose, serial, len(codes) + 1, count, refusals + 1, log.not_before(), problem)
            code = source(request).strip().replace(" ", "")
            log.last_window = window(clock.now())
            why = check_code_format(code)
            if why is None and (code in log.used or code in codes):
                why = (
                    f"code {code} was already used; AWS accepts each code once, so wait for your app to show"
                    " the next one (every 30 seconds)"
                )
            if why is not None:
                refuse(why)
                continue
            codes.append(code)
            problem = None
        try:
            result = call(codes)
        except AwsError as exc:
            if exc.code not in BAD_CODE_ERRORS:
                raise
            refuse(f"AWS refused the code{'s' if count > 1 else ''} ({exc.code}): wrong, expired or already used")
            continue
        log.used.update(codes)
        return result


class PromptCodes:
    """A person types the codes at a prompt (the CLI's default)."""

    def __init__(self, prompter: Prompter) -> None:
        self.prompter = prompter

    @property
    def can_answer(self) -> bool:
        """False when nobody is at a terminal to ask (the core then fails before creating anything)."""
        return bool(getattr(self.prompter, "interactive", True))

    def __call__(self, request: CodeRequest) -> str:
        question = request.label
        if request.problem:
            question = f"{request.problem}.\n{question}"
        return self.prompter.text(question, CODE_FLAG)


def run_code_command(command: str, *, timeout: float) -> str:
    """The first line ``command`` prints, run without a shell (e.g. a password manager's otp command).

    Errors name the command's program only: its arguments may hold a seed (``oathtool --totp -b SEED``), and its
    stderr is not repeated either (a password manager may print anything there). stdin is closed, so a command
    that wants a terminal fails instead of waiting for one that is not there.
    """
    argv = split_command(command)
    try:
        proc = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise InputError(f"{CODE_FLAG}: {argv[0]!r} not found") from None
    except OSError as exc:
        raise InputError(f"{CODE_FLAG}: cannot run {argv[0]!r}: {exc.strerror}") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"{CODE_FLAG} {argv[0]!r} did not finish within {timeout:.0f} seconds") from None
    if proc.returncode != 0:
        raise InputError(f"{CODE_FLAG} {argv[0]!r} exited with status {proc.returncode}")
    lines = proc.stdout.strip().splitlines()
    return lines[0].strip() if lines else ""


def split_command(command: str) -> list[str]:
    """``command`` as the argv it will run with (no shell); a clear error when it cannot be split."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise InputError(f"{CODE_FLAG} cannot be split into words: {exc}") from None
    if not argv:
        raise InputError(f"{CODE_FLAG} is empty")
    return argv


class CommandCodes:
    """Codes from a command (e.g. a password manager's CLI), run without a shell; its first output line.

    It reads a live authenticator, so before a code from a later window is needed it waits (through the clock
    seam) for that window to start.
    """

    def __init__(self, command: str, clock: Clock, *, timeout: float = 60.0) -> None:
        split_command(command)  # refuse a command that cannot run before anything is created in AWS
        self.command = command
        self.clock = clock
        self.timeout = timeout

    def __call__(self, request: CodeRequest) -> str:
        wait_until(self.clock, request.not_before)
        return run_code_command(self.command, timeout=self.timeout)


class Authenticator:
    """A built-in authenticator app (the demo's): learns the seeds of devices it sees created, answers requests.

    Pass ``observe`` the onboarding events (it picks up ``MfaDeviceCreated``), or ``add`` a seed yourself. It is
    also a ``sessions.CodeSource`` (called with just the serial). Like a person it never gives a code from a
    window it already gave one from: it waits (through the clock seam) for the next window instead.
    """

    def __init__(self, clock: Clock, seeds: dict[str, str] | None = None) -> None:
        self.clock = clock
        self.seeds: dict[str, str] = dict(seeds or {})
        self._last_window: dict[str, int] = {}

    def add(self, serial: str, seed: str) -> None:
        self.seeds[serial] = seed

    def observe(self, event: object) -> None:
        serial = getattr(event, "serial", None)
        seed = getattr(event, "seed", None)
        if isinstance(serial, str) and isinstance(seed, str):
            self.add(serial, seed)

    def __call__(self, request: CodeRequest | str) -> str:
        serial = request if isinstance(request, str) else request.serial
        seed = self.seeds.get(serial)
        if seed is None:
            raise InputError(f"the built-in authenticator has no seed for {serial}")
        if isinstance(request, CodeRequest):
            wait_until(self.clock, request.not_before)
        last = self._last_window.get(serial)
        if last is not None:
            wait_until(self.clock, window_start(last + 1))
        now = self.clock.now()
        self._last_window[serial] = window(now)
        return totp(seed, now)
