"""Errors are converted once, by the CLI: a known error is one masked line and its exit code; an unforeseen one is
one line too, and with --debug its masked traceback goes to a 0600 log whose path is printed."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bootstrap.awsfiles.locations import AwsPaths, debug_log
from bootstrap.team import render
from tests.support.canaries import CANARY_SECRET
from tests.support.cli import invoke


@pytest.fixture
def broken_render(aws_env: AwsPaths, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A render that fails in a way nobody foresaw, with a secret in its message."""
    from bootstrap import redact

    redact.register(CANARY_SECRET)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"the unforeseen, holding {CANARY_SECRET}")

    monkeypatch.setattr(render, "render", boom)
    team = tmp_path / "team"
    team.mkdir()
    for name in ("CONST.inc", "aws-cli.config.tpl", "aws-cli.credentials.tpl"):
        (team / name).write_text("")
    return team


def test_an_unforeseen_error_is_one_line_naming_debug(broken_render: Path) -> None:
    run = invoke("render", cwd=broken_render)
    assert run.returncode == 1
    assert "Error: unexpected RuntimeError: the unforeseen, holding ****" in run.stderr
    assert "--debug" in run.stderr
    assert "Traceback" not in run.output


def test_with_debug_the_masked_traceback_goes_to_a_private_log(aws_env: AwsPaths, broken_render: Path) -> None:
    run = invoke("--debug", "render", cwd=broken_render)
    log = debug_log(aws_env)
    assert run.returncode == 1
    assert f"the traceback (secrets masked) is in {log}" in run.stderr
    text = log.read_text()
    assert "Traceback" in text
    assert "RuntimeError: the unforeseen, holding ****" in text
    assert CANARY_SECRET not in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_a_known_error_is_its_message_and_exit_code(aws_env: AwsPaths, tmp_path: Path) -> None:
    run = invoke("render", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.startswith("Error: CONST.inc not found")
