"""The step machinery ``onboard`` and ``rotate-key`` share: the events they report, a run's plumbing (events, the
clock, the MFA codes given), and the key-slot rules both obey (IAM allows two keys; an extra one goes only when
the engineer agrees).

The core never prompts, prints or exits: it reports every step through ``on_event`` (``StepStarted``, ``StepDone``,
``Note``, ``MfaDeviceCreated``, ``RoleChecked``, ``Links``), which the CLI prints and the demo narrates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bootstrap import limits
from bootstrap.aws import codes, iam
from bootstrap.awsfiles import layout
from bootstrap.clock import Clock
from bootstrap.credentials import Credentials
from bootstrap.engineer.codes import CodeLog, CodeSource
from bootstrap.engineer.session import DEFAULT_MIN_TTL, mfa_session
from bootstrap.errors import AwsError, StateError

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.prompts import Prompter


@dataclass(frozen=True)
class StepStarted:
    step: int
    title: str


@dataclass(frozen=True)
class StepDone:
    step: int
    result: str


@dataclass(frozen=True)
class Note:
    """Something worth saying within a step; ``level`` "warn" for what the engineer should act on."""

    step: int
    text: str
    level: Literal["info", "warn", "dry-run"] = "info"


@dataclass(frozen=True)
class MfaDeviceCreated:
    """A new virtual MFA device: show ``qr`` (terminal text) and, when ``show_seed``, the ``seed``."""

    step: int
    serial: str
    uri: str = field(repr=False)  # otpauth://...?secret=SEED: the seed, like the QR code drawn from it
    qr: str = field(repr=False)
    seed: str = field(repr=False)
    show_seed: bool = False
    png: Path | None = None
    resumed: bool = False  # the device an interrupted run created: the same QR code as then


@dataclass(frozen=True)
class RoleChecked:
    step: int
    profile: str
    role_arn: str
    ok: bool
    detail: str  # the assumed identity, or why it was refused (the AWS error code)


@dataclass(frozen=True)
class Links:
    step: int
    signin_url: str | None
    roles: tuple[tuple[str, str], ...]  # (display name, switch-role URL)
    tomorrow: str


Event = StepStarted | StepDone | Note | MfaDeviceCreated | RoleChecked | Links


EventSink = Callable[[Event], None]


@contextmanager
def step_errors(step: int, title: str) -> Iterator[None]:
    """Name the step in an AWS refusal, and say what a missing permission means for the engineer."""
    try:
        yield
    except AwsError as exc:
        hint = ""
        if exc.code in codes.ACCESS_DENIED:
            hint = (
                f"; your user lacks the permission {exc.action or 'for this step'}: ask an administrator"
                " (the team's infra-ManageOwnUserG-* and infra-AssumeRoleG-* groups grant what onboarding needs)"
            )
        raise AwsError(f"step {step} ({title}): {exc.message}{hint}", code=exc.code, action=exc.action) from None


class Run:
    """The shared plumbing of one run: events, code log, clock."""

    def __init__(self, on_event: EventSink, clock: Clock, code_source: CodeSource, steps: Mapping[int, str]):
        self.emit = on_event
        self.clock = clock
        self.code_source = code_source
        self.codes = CodeLog()
        self.steps = steps

    @contextmanager
    def step(self, number: int) -> Iterator[None]:
        title = self.steps[number]
        self.emit(StepStarted(number, title))
        with step_errors(number, title):
            yield

    def done(self, number: int, result: str) -> None:
        self.emit(StepDone(number, result))

    def note(self, number: int, text: str, level: Literal["info", "warn", "dry-run"] = "info") -> None:
        self.emit(Note(number, text, level))

    def new_session(self, paths: AwsPaths, profile: str, key: Credentials, serial: str, duration: int) -> Credentials:
        """An MFA session of ``key`` (asking a code), written into ``[profile]`` at once: never only in memory."""
        session = mfa_session(self.code_source, key, serial, clock=self.clock, log=self.codes, duration=duration)
        layout.write_session(paths, profile, session)
        return session


def valid_session(settings: Mapping[str, Any], user_arn: str, clock: Clock) -> Credentials | None:
    """The MFA session in a profile when it has a while left and belongs to ``user_arn``."""
    session = layout.read_session(settings)
    if session is None:
        return None
    left = layout.remaining(session, clock)
    if left is None or left < DEFAULT_MIN_TTL:
        return None
    identity = iam.works(session)
    if identity is None or identity.arn != user_arn:
        return None
    return session


def warn_old(run: Run, step: int, key_list: Sequence[iam.KeyInfo], key_id: str | None) -> None:
    now = run.clock.now()
    for key in key_list:
        if key.key_id == key_id and key.is_old(now):
            run.note(
                step,
                f"key {key.key_id} is {key.age_days(now)} days old (more than {limits.OLD_KEY_DAYS}):"
                " run `aws-iam-bootstrap rotate-key`",
                "warn",
            )


def confirm_extra(prompter: Prompter, extra: iam.KeyInfo, delete_extra_key: str | None, clock: Clock, why: str) -> bool:
    if delete_extra_key == extra.key_id:
        return True
    age = extra.age_days(clock.now())
    return prompter.confirm(
        f"You already have two access keys. Key {extra.key_id} ({extra.status.lower()}, {age} days old) is not in"
        f" your AWS files. Delete it {why}?",
        f"--delete-extra-key {extra.key_id}",
    )


def free_slot(
    run: Run,
    step: int,
    session: Credentials,
    user: str,
    key_list: list[iam.KeyInfo],
    keep: set[str],
    prompter: Prompter,
    delete_extra_key: str | None,
    why: str,
) -> list[iam.KeyInfo]:
    """Make room for one more key (IAM allows two), deleting an extra key only when the engineer agrees."""
    extras = [k for k in key_list if k.key_id not in keep]
    while len(key_list) >= limits.MAX_KEYS and extras:
        extra = extras.pop(0)
        if not confirm_extra(prompter, extra, delete_extra_key, run.clock, why):
            raise StateError(
                f"you have two access keys and {extra.key_id} is not in your AWS files; no key was deleted."
                f" Delete it (--delete-extra-key {extra.key_id}) if nothing uses it, then run this again"
            )
        iam.delete_key(session, user, extra.key_id)
        run.note(step, f"deleted extra key {extra.key_id}")
        key_list = [k for k in key_list if k.key_id != extra.key_id]
    if len(key_list) >= limits.MAX_KEYS:
        raise StateError(f"you have {len(key_list)} access keys (IAM allows {limits.MAX_KEYS}); no key was deleted")
    return key_list


def create_and_write(
    run: Run,
    step: int,
    paths: AwsPaths,
    profile: str,
    session: Credentials,
    user: str,
    before_create: Callable[[], None],
) -> iam.NewKey:
    """CreateAccessKey and write it into ``[profile]`` at once; when the write fails, delete the key again."""
    before_create()
    new = iam.create_key(session, user)
    try:
        layout.write_key(paths, profile, new.credentials)
    except BaseException:
        # The secret dies with this process: a key nobody can use must not stay behind. If this cleanup fails
        # too, the progress file names the key as this run's, and the next run removes it.
        with suppress(Exception):
            iam.delete_key(session, user, new.key_id)
        raise
    run.note(step, f"created key {new.key_id} and wrote it into [{profile}]")
    return new
