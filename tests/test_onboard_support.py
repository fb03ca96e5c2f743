"""Shared helpers for the onboard, rotate-key and MFA tests (no tests here).

The clock: the sandbox checks TOTP codes against real time, accepting the previous, current and next window (as
AWS does) and refusing a replayed code. ``FakeClock`` starts one window in the past and ``sleep`` only moves it
forward, so a flow needing three codes from three consecutive windows (enable x2, session) runs without waiting
30 s twice: t-30, t and t+30 are all accepted at real time t.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


def window_safe_clock(*, margin: float = 8.0) -> FakeClock:
    """A FakeClock one window behind real time, started early enough in a real window that the codes it hands
    out stay inside the sandbox's accepted range for the test (waits at most ``margin`` seconds, once)."""
    into = time.time() % 30
    if into > 30 - margin - 10:
        time.sleep(30 - into + 0.2)
    return FakeClock(datetime.now(UTC) - timedelta(seconds=30))


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
