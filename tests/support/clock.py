"""The fake clocks the tests share with the sandbox's rules layer.

The sandbox checks TOTP codes (the previous, current and next 30-second window, as AWS) and refuses a replayed
code. A test that needs codes of several windows shares one ``FakeClock`` with the sandbox (``sandbox_clock``) and
with the tool (in-process runs take it through the CLI's ``Environment``); its ``sleep`` only moves it forward, so
nothing really waits. ``publish`` makes the clock write its time to a file, for a code command the tool runs as a
separate process (a stand-in password manager must show the code of the shared time, not the wall clock's).

``FileClock`` is a fake clock kept in a file, for the daily tests: the sandbox, the tool run in-process, and the
code commands the tool starts as processes of their own all read it, and a device that has used every window the
sandbox accepts moves it to the next window instead of sleeping there. The ``aws_env`` fixture makes one per test
and names it in ``$TESTS_SHARED_CLOCK``.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

    from bootstrap.sandbox import Sandbox


@dataclass
class FakeClock:
    current: datetime
    slept: list[float] = field(default_factory=list)
    publish: Path | None = None

    def __post_init__(self) -> None:
        self._publish()

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)
        self._publish()

    def _publish(self) -> None:
        if self.publish is not None:
            self.publish.write_text(str(self.current.timestamp()), encoding="utf-8")


def sandbox_clock(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, *, publish: Path | None = None) -> FakeClock:
    """A FakeClock at real time that the sandbox's rules layer (TOTP windows, expiry) shares for one test."""
    fake = FakeClock(datetime.now(UTC), publish=publish)
    monkeypatch.setattr(sandbox.layer, "clock", lambda: fake.now().timestamp())
    return fake


SHARED_CLOCK_ENV = "TESTS_SHARED_CLOCK"


@dataclass(frozen=True)
class FileClock:
    """A clock whose time lives in ``path`` (seconds since the epoch), shared across processes."""

    path: Path

    @classmethod
    def start(cls, path: Path) -> FileClock:
        path.write_text(str(datetime.now(UTC).timestamp()), encoding="utf-8")
        return cls(path)

    def timestamp(self) -> float:
        return float(self.path.read_text(encoding="utf-8"))

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        with self.path.open("r+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            now = float(handle.read())
            handle.seek(0)
            handle.write(str(now + max(0.0, seconds)))
            handle.truncate()


def shared_clock() -> FileClock | None:
    """The test's shared clock, when ``aws_env`` made one."""
    path = os.environ.get(SHARED_CLOCK_ENV)
    return FileClock(Path(path)) if path else None
