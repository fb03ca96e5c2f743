"""Shared helpers for the onboard, rotate-key and MFA tests (no tests here).

The clock: the sandbox checks TOTP codes, accepting the previous, current and next window (as AWS does) and
refusing a replayed code. The onboard and rotate-key tests share a ``FakeClock`` with the sandbox's rules layer
(``sandbox.layer.clock``), and its ``sleep`` only moves it forward, so a flow needing codes from consecutive
windows (enable x2, session) runs without really waiting.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

    from bootstrap.sandbox import Sandbox

REPO = Path(__file__).resolve().parent.parent
# Makes the user names a test adds unique in its sandbox (one sandbox per test process, shared by its tests).
RUN_ID = uuid.uuid4().hex[:8]


@dataclass
class FakeClock:
    current: datetime
    slept: list[float] = field(default_factory=list)

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += timedelta(seconds=seconds)


def sandbox_clock(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """A FakeClock at real time that the sandbox's rules layer (TOTP windows, expiry) shares for one test."""
    fake = FakeClock(datetime.now(UTC))
    monkeypatch.setattr(sandbox.layer, "clock", lambda: fake.now().timestamp())
    return fake


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
