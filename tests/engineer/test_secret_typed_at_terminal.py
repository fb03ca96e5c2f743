"""A secret typed at a terminal for ``--secret-access-key-stdin`` is never echoed, by ``onboard`` or ``render``:
both read it through ``prompts.secret_from_stdin``, hidden when stdin is a terminal (scroll-back, ``script``/tmux
logs and screen shares never see it).
"""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pexpect
import pytest

from tests.support.canaries import CANARY_ACCESS_KEY_ID, CANARY_SECRET
from tests.support.cli import BIN, record
from tests.support.onboarding import team_dir

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.sandbox import Sandbox

pytestmark = pytest.mark.slow


def _typed_at_a_terminal(cwd: Path, *args: str, prompt: str | None = None) -> str:
    screen = io.StringIO()
    child = pexpect.spawn(
        str(BIN / "aws-iam-bootstrap"),
        list(args),
        env=dict(os.environ),
        cwd=str(cwd),
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )
    child.logfile_read = screen
    try:
        # The person types the secret at the terminal once the tool is ready for it (its prompt, or, without one,
        # once it has had time to start and turn the echo off if it meant to).
        if prompt is not None:
            child.expect(prompt)
        else:
            time.sleep(2)
        child.sendline(CANARY_SECRET)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    return screen.getvalue()


def test_onboard_secret_access_key_stdin_typed_at_a_terminal_is_not_echoed(
    aws_env: AwsPaths, sandbox: Sandbox, tmp_path: Path
) -> None:
    team = team_dir(tmp_path, sandbox.const_inc())
    screen = _typed_at_a_terminal(
        team, "onboard", "--access-key-id", CANARY_ACCESS_KEY_ID, "--secret-access-key-stdin", "--non-interactive"
    )
    leaked = CANARY_SECRET in screen
    record(screen.replace(CANARY_SECRET, "<secret>"))  # the assertion below reports it; do not fail twice
    assert not leaked, f"the one-time secret was echoed on the terminal:\n{screen.replace(CANARY_SECRET, '<SECRET>')}"


def test_render_secret_access_key_stdin_typed_at_a_terminal_is_hidden(
    aws_env: AwsPaths, sandbox: Sandbox, tmp_path: Path
) -> None:
    """render, the same flag, the same promise."""
    team = team_dir(tmp_path, sandbox.const_inc())
    screen = _typed_at_a_terminal(
        team,
        "render",
        "--access-key-id",
        CANARY_ACCESS_KEY_ID,
        "--secret-access-key-stdin",
        prompt="Your secret access key",
    )
    record(screen)
    assert CANARY_SECRET not in screen
