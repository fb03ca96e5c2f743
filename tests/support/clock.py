"""The fake clock the tests share with the sandbox's rules layer.

The sandbox checks TOTP codes (the previous, current and next 30-second window, as AWS) and refuses a replayed
code. A test that needs codes of several windows shares one ``FakeClock`` with the sandbox (``sandbox_clock``) and
with the tool (in-process runs take it through the CLI's ``Environment``); its ``sleep`` only moves it forward, so
nothing really waits. ``publish`` makes the clock write its time to a file, for a code command the tool runs as a
separate process (a stand-in password manager must show the code of the shared time, not the wall clock's).
"""

from __future__ import annotations

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
