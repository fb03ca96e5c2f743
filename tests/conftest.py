"""Shared fixtures: the sandbox (one per test process, so one per xdist worker) and an isolated AWS environment.

Tests that change AWS state use ``fresh_user`` (or ``sandbox.add_account``) so they never depend on each other.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.clock import SHARED_CLOCK_ENV, FileClock

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.sandbox import Sandbox, SandboxUser

_user_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """The seeded sandbox (moto behind the rules layer) on a free port of 127.0.0.1, journaling every call."""
    from bootstrap.sandbox import start_sandbox

    with start_sandbox(journal=tmp_path_factory.mktemp("journal") / "sandbox.jsonl") as running:
        yield running


@pytest.fixture
def journal(sandbox: Sandbox) -> Callable[[], list[dict[str, Any]]]:
    """The sandbox journal's records written since this test started (read back through the canary scan)."""
    assert sandbox.layer.journal is not None
    path = sandbox.layer.journal.path
    start = path.stat().st_size

    def records() -> list[dict[str, Any]]:
        from tests.support.cli import record

        with path.open("rb") as handle:
            handle.seek(start)
            text = handle.read().decode("utf-8")
        record(text)
        return [json.loads(line) for line in text.splitlines()]

    return records


@pytest.fixture
def aws_env(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AwsPaths:
    """A throw-away HOME and AWS files in tmp, pointed at the sandbox; no ambient AWS identity leaks in."""
    from bootstrap.awsfiles.locations import AwsPaths

    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    paths = AwsPaths(config=home / ".aws" / "config", credentials=home / ".aws" / "credentials")
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(paths.config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(paths.credentials))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no 1 s probe of an instance metadata service
    for name, value in sandbox.environ().items():
        monkeypatch.setenv(name, value)
    # One clock for the sandbox, the tool run in-process and the code commands it starts: TOTP windows pass
    # without waiting (tests/support/clock.py).
    clock = FileClock.start(tmp_path / "clock")
    monkeypatch.setattr(sandbox.layer, "clock", clock.timestamp)
    monkeypatch.setenv(SHARED_CLOCK_ENV, str(clock.path))
    return paths


@pytest.fixture
def fresh_user(sandbox: Sandbox, worker_id: str) -> SandboxUser:
    """A new engineer nobody else touches: ADMIN on DEV, READ on PROD, password to reset, one key, no MFA."""
    name = f"eng-{worker_id}-{os.getpid()}-{next(_user_numbers)}"
    return sandbox.add_user(name, {"DEV": ("ADMIN",), "PROD": ("READ",)})


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist's workers ignore SIGINT, and an ignored signal stays ignored across exec: every child a test
    # starts would then shrug off Ctrl-C. Restore Python's default so the Ctrl-C tests meet the tool as a person
    # at a terminal does.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
