"""Helpers for the onboard and rotate-key tests: crash points, collected events, a team repository, scripted
answers, what IAM and the files hold, and an engineer as onboarding leaves them (for rotate-key).

The onboard and rotate-key tests share a ``support.clock.FakeClock`` with the sandbox's rules layer, so a flow
needing codes from consecutive windows (enable x2, session) runs without really waiting.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bootstrap.aws import sts
from bootstrap.awsfiles import layout, store
from bootstrap.awsfiles.profiles import load_profiles
from bootstrap.credentials import Credentials
from bootstrap.engineer import codes
from bootstrap.errors import NeedsAnswer

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.sandbox import SandboxUser
    from tests.support.clock import FakeClock


REPO = Path(__file__).resolve().parents[2]
# Makes the user names a test adds unique in its sandbox (one sandbox per test process, shared by its tests).
RUN_ID = uuid.uuid4().hex[:8]


class Crash(Exception):
    """Stands for the process dying (a lost connection, a kill) at one point of the run."""


def crash_observer(point: int | None) -> Callable[[object], None]:
    """An event observer that raises ``Crash`` at the ``point``-th event (never when ``point`` is None)."""
    seen = 0

    def observe(event: object) -> None:
        nonlocal seen
        seen += 1
        if seen == point:
            raise Crash(f"crash at event {point}: {event}")

    return observe


def team_dir(tmp_path: Path, const_inc: str) -> Path:
    """A team repository: the sandbox's CONST.inc and the example templates."""
    team = tmp_path / "team"
    team.mkdir()
    (team / "CONST.inc").write_text(const_inc, encoding="utf-8")
    for name in ("aws-cli.config.tpl", "aws-cli.credentials.tpl"):
        shutil.copy(REPO / name, team / name)
    return team


class Events:
    """Collects the core's events (and feeds an authenticator the seeds of devices it sees created)."""

    def __init__(self, *observers: Any) -> None:
        self.events: list[Any] = []
        self.observers = observers

    def __call__(self, event: Any) -> None:
        self.events.append(event)
        for observer in self.observers:
            observer(event)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def texts(self) -> str:
        return "\n".join(str(getattr(e, "text", getattr(e, "result", ""))) for e in self.events)


NAME = "example-dev"
LONG_TERM = f"{NAME}-long-term"


class Answers:
    """A Prompter with scripted answers; ``confirm`` answers are per question start."""

    def __init__(self, *, confirm: bool | None = None) -> None:
        self.confirm_answer = confirm
        self.asked: list[str] = []

    def secret(self, question: str, flag: str) -> str:
        raise NeedsAnswer(question, flag)

    def text(self, question: str, flag: str, default: str | None = None) -> str:
        raise NeedsAnswer(question, flag)

    def confirm(self, question: str, flag: str, default: bool = False) -> bool:
        self.asked.append(question)
        if self.confirm_answer is None:
            raise NeedsAnswer(question, flag)
        return self.confirm_answer


def iam_keys(user: SandboxUser) -> list[str]:
    from bootstrap.sandbox import backend

    return sorted(k.access_key_id for k in backend.iam(user.account_id).list_access_keys(user.name))


def enabled_devices(user: SandboxUser) -> set[str]:
    from bootstrap.sandbox import backend

    return backend.user_mfa_serials(user.account_id, user.name)


def file_key(paths: AwsPaths) -> Credentials | None:

    return layout.read_static(load_profiles(paths).get(f"{NAME}-long-term", {}))


def set_up(paths: AwsPaths, user: SandboxUser, clock: FakeClock, *, session: bool = True) -> codes.Authenticator:
    """An engineer after onboarding: key in [NAME-long-term] (mfa_serial in config), MFA session in [NAME]."""
    from bootstrap.sandbox import backend

    serial, seed = backend.enable_virtual_mfa(user.account_id, user.name, user.name)
    auth = codes.Authenticator(clock, {serial: seed})
    key = user.one_time_key
    store.set_profile(
        paths,
        "credentials",
        LONG_TERM,
        {"aws_access_key_id": key.access_key_id, "aws_secret_access_key": key.secret_access_key},
    )
    store.set_profile(paths, "config", LONG_TERM, {"mfa_serial": serial, "region": "eu-west-1"})
    if session:
        layout.write_session(paths, NAME, sts.get_session(key, serial, auth.code(serial)))
    return auth


class Source:
    """A function as a code source: someone who can always answer, and answer again."""

    can_answer = True
    asks_again = True

    def __init__(self, answer: Callable[[codes.CodeRequest], str]) -> None:
        self.answer = answer

    def __call__(self, request: codes.CodeRequest) -> str:
        return self.answer(request)
