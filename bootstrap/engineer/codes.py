"""MFA codes: the one way every command gets them, and the rules every source of codes is held to.

A ``CodeSource`` answers a ``CodeRequest`` with a 6-digit code: a person at a prompt (``PromptCodes``), a password
manager's CLI (``CommandCodes``), the one code given by ``--token-code`` (``FixedCode``), or the demo's built-in
authenticator (``Authenticator``). Every command (onboard, rotate-key, refresh, credential-process, verify, env,
exec) asks through ``with_codes``, so they all behave alike:

- a code must be 6 digits, and a code already given for the device in this run is refused before AWS sees it (AWS
  refuses a replayed code with a less helpful message);
- when AWS says a code is wrong, expired or replayed, a source that can ask again (a person, a command, the
  authenticator) is asked again, up to ``limits.CODE_ATTEMPTS`` times in all; one that cannot (``--token-code``)
  fails at once with AWS's refusal;
- a source that reads a live authenticator is told, through ``not_before``, when a code of a later window is
  needed (EnableMFADevice wants two consecutive codes; a code is single-use per device).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar

from bootstrap import limits
from bootstrap.aws.codes import BAD_CODE
from bootstrap.errors import AwsError, CheckFailed, InputError

if TYPE_CHECKING:
    from bootstrap.clock import Clock
    from bootstrap.prompts import Prompter


CODE_FLAG = limits.CODE_COMMAND_FLAG

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
        return f"MFA code for {self.serial}"


class CodeSource(Protocol):
    """Where codes come from. ``can_answer``: False when nobody can answer (no terminal): the core then fails before
    creating anything that needs a code. ``asks_again``: whether a refused code can be replaced by another."""

    @property
    def can_answer(self) -> bool: ...

    @property
    def asks_again(self) -> bool: ...

    def __call__(self, request: CodeRequest) -> str: ...


def window(at: datetime) -> int:
    """The TOTP time step ``at`` falls in."""
    return int(at.timestamp()) // limits.TOTP_STEP


def window_start(step: int) -> datetime:
    return datetime.fromtimestamp(step * limits.TOTP_STEP, UTC)


def wait_until(clock: Clock, instant: datetime | None) -> None:
    """Sleep (through the clock seam) until ``instant``; a live code source calls this before reading."""
    if instant is None:
        return
    remaining = (instant - clock.now()).total_seconds()
    if remaining > 0:
        clock.sleep(remaining)


def check_code_format(code: str) -> str | None:
    """Why ``code`` cannot be a code, or None."""
    if not limits.CODE_PATTERN.match(code):
        return "a code is the 6 digits your authenticator app shows"
    return None


@dataclass
class CodeLog:
    """The codes given in this run, per device: AWS accepts each code once per device, so we refuse a repeat
    ourselves, and know when the next code must come from a later window."""

    used: dict[str, set[str]] = field(default_factory=dict)
    last_window: dict[str, int] = field(default_factory=dict)

    def not_before(self, serial: str) -> datetime | None:
        last = self.last_window.get(serial)
        return None if last is None else window_start(last + 1)


def with_codes(
    source: CodeSource,
    purpose: Purpose,
    serial: str,
    call: Callable[[Sequence[str]], T],
    *,
    clock: Clock,
    log: CodeLog,
    count: int = 1,
    max_attempts: int = limits.CODE_ATTEMPTS,
) -> T:
    """Ask ``source`` for ``count`` codes and pass them to ``call`` (the AWS call), asking again when refused.

    Refused before AWS sees them: a code that is not 6 digits, a code already used for the device in this run,
    the same code twice in one request (EnableMFADevice needs two consecutive codes). Refused by AWS: a wrong or
    expired code. Every refusal counts towards ``max_attempts``; then ``CheckFailed`` says what was wrong last.
    """
    problem: str | None = None
    refusals = 0
    used = log.used.setdefault(serial, set())

    def refuse(why: str) -> None:
        nonlocal problem, refusals
        problem, refusals = why, refusals + 1
        if refusals >= max_attempts:
            raise CheckFailed(f"MFA code refused {refusals} times; last: {why}")

    while True:
        codes: list[str] = []
        while len(codes) < count:
            request = CodeRequest(purpose, serial, len(codes) + 1, count, refusals + 1, log.not_before(serial), problem)
            code = source(request).strip().replace(" ", "")
            log.last_window[serial] = window(clock.now())
            why = check_code_format(code)
            if why is None and (code in used or code in codes):
                why = (
                    f"code {code} was already used; AWS accepts each code once, so wait for your app to show"
                    " the next one (every 30 seconds)"
                )
            if why is not None:
                if not source.asks_again:
                    raise InputError(why)
                refuse(why)
                continue
            codes.append(code)
            problem = None
        try:
            result = call(codes)
        except AwsError as exc:
            if exc.code not in BAD_CODE or not source.asks_again:
                raise
            refuse(f"AWS refused the code{'s' if count > 1 else ''} ({exc.code}): wrong, expired or already used")
            continue
        used.update(codes)
        return result


class PromptCodes:
    """A person types the codes at a prompt (the CLI's default). ``answer_with`` names what gives a code without a
    terminal, for the message when there is none."""

    asks_again = True

    def __init__(self, prompter: Prompter, answer_with: str = f"--token-code or {CODE_FLAG}") -> None:
        self.prompter = prompter
        self.answer_with = answer_with

    @property
    def can_answer(self) -> bool:
        return self.prompter.interactive

    def __call__(self, request: CodeRequest) -> str:
        question = request.label
        if request.problem:
            question = f"{request.problem}.\n{question}"
        return self.prompter.text(question, self.answer_with)


class FixedCode:
    """The one code ``--token-code`` gave: it serves one device, once; a refusal is final."""

    can_answer = True
    asks_again = False

    def __init__(self, code: str, flag: str = "--token-code") -> None:
        why = check_code_format(code.strip())
        if why is not None:
            raise InputError(f"{flag}: {why}")
        self.code = code.strip()
        self.flag = flag
        self._serial: str | None = None

    def __call__(self, request: CodeRequest) -> str:
        if self._serial not in (None, request.serial):
            raise InputError(f"{self.flag} can serve one MFA device only; use {CODE_FLAG}")
        self._serial = request.serial
        return self.code


def split_command(command: str) -> list[str]:
    """``command`` as the argv it will run with (no shell); a clear error when it cannot be split."""
    import shlex

    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise InputError(f"{CODE_FLAG} cannot be split into words: {exc}") from None
    if not argv:
        raise InputError(f"{CODE_FLAG} is empty")
    return argv


def run_code_command(command: str, *, timeout: float) -> str:
    """The first line ``command`` prints, run without a shell (e.g. a password manager's otp command).

    Errors name the command's program only: its arguments may hold a seed (``oathtool --totp -b SEED``), and its
    stderr is not repeated either (a password manager may print anything there). stdin is closed, so a command
    that wants a terminal fails instead of waiting for one that is not there.
    """
    import subprocess

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


class CommandCodes:
    """Codes from a command (e.g. a password manager's CLI), run without a shell; its first output line.

    It reads a live authenticator, so before a code from a later window is needed it waits (through the clock
    seam) for that window to start.
    """

    can_answer = True
    asks_again = True

    def __init__(self, command: str, clock: Clock, *, timeout: float = limits.CODE_COMMAND_TIMEOUT) -> None:
        split_command(command)  # refuse a command that cannot run before anything is created in AWS
        self.command = command
        self.clock = clock
        self.timeout = timeout

    def __call__(self, request: CodeRequest) -> str:
        wait_until(self.clock, request.not_before)
        return run_code_command(self.command, timeout=self.timeout)


def totp(seed: str, at: datetime) -> str:
    """The code an authenticator app shows at ``at`` for ``seed``."""
    import pyotp

    return str(pyotp.TOTP(seed).at(at))


class Authenticator:
    """A built-in authenticator app (the demo's): learns the seeds of devices it sees created, answers requests.

    Pass ``observe`` the onboarding events (it picks up ``MfaDeviceCreated``), or ``add`` a seed yourself. Like a
    person it never gives a code from a window it already gave one from: it waits (through the clock seam) for the
    next window instead.
    """

    can_answer = True
    asks_again = True

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

    def code(self, serial: str) -> str:
        """A code for a session of ``serial``, as a person reading the app would type it."""
        return self(CodeRequest("session", serial))

    def __call__(self, request: CodeRequest) -> str:
        seed = self.seeds.get(request.serial)
        if seed is None:
            raise InputError(f"the built-in authenticator has no seed for {request.serial}")
        wait_until(self.clock, request.not_before)
        last = self._last_window.get(request.serial)
        if last is not None:
            wait_until(self.clock, window_start(last + 1))
        now = self.clock.now()
        self._last_window[request.serial] = window(now)
        return totp(seed, now)


class Counting:
    """A source that counts the codes it was asked for (``verify`` reports how many)."""

    def __init__(self, inner: CodeSource) -> None:
        self.inner = inner
        self.asked = 0

    @property
    def can_answer(self) -> bool:
        return self.inner.can_answer

    @property
    def asks_again(self) -> bool:
        return self.inner.asks_again

    def __call__(self, request: CodeRequest) -> str:
        self.asked += 1
        return self.inner(request)
