"""``onboard`` through the real command: typed at in a real terminal (pexpect), and without one.

These runs use the real clock (the sandbox's too): the terminal test types codes of three adjacent windows
computed at one instant (previous, current, next; all accepted), so it never waits for a window to pass.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pexpect
import pyotp
import pytest

from bootstrap.aws import iam
from tests.support.cli import BIN, Run, invoke, record
from tests.support.clock import sandbox_clock
from tests.support.onboarding import enabled_devices, file_key, iam_keys, team_dir

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.credentials import Credentials
    from bootstrap.sandbox import Sandbox, SandboxUser

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def team(tmp_path: Path, sandbox: Sandbox) -> Path:
    return team_dir(tmp_path, sandbox.const_inc())


def spawn(team: Path, *args: str) -> tuple[pexpect.spawn, io.StringIO]:
    screen = io.StringIO()
    child = pexpect.spawn(
        str(BIN / "aws-iam-bootstrap"),
        ["onboard", *args],
        env=dict(os.environ),
        cwd=str(team),
        encoding="utf-8",
        timeout=90,
        dimensions=(80, 200),
    )
    child.logfile_read = screen
    return child, screen


def type_key(child: pexpect.spawn, key: Credentials) -> None:
    """Answer the prompts for the one-time key, as the engineer types it."""
    child.expect("One-time access key id")
    child.sendline(key.access_key_id)
    child.expect("One-time secret access key")
    child.sendline(key.secret_access_key)  # hidden: a terminal never echoes it


def onboard_with_key(team: Path, key: Credentials, *args: str, **kwargs: Any) -> Run:
    """``onboard`` without a terminal: the key id as a flag, its secret on stdin."""
    return invoke(
        "onboard",
        *args,
        "--access-key-id",
        key.access_key_id,
        "--secret-access-key-stdin",
        input=key.secret_access_key + "\n",
        cwd=team,
        **kwargs,
    )


def progress(paths: AwsPaths) -> dict[str, Any]:
    """The onboarding's progress file."""
    return dict(json.loads((paths.credentials.parent / "aws-iam-bootstrap" / "onboard-example-dev.json").read_text()))


def device_serial(user: SandboxUser) -> str:
    return f"arn:aws:iam::{user.account_id}:mfa/{user.name}"


def test_onboarding_in_a_real_terminal(aws_env: AwsPaths, team: Path, fresh_user: SandboxUser, tmp_path: Path) -> None:
    key = fresh_user.one_time_key
    png = tmp_path / "qr.png"
    child, screen = spawn(team, "--show-seed", "--qr-png", str(png))
    try:
        type_key(child, key)
        child.expect(r"seed \(type it into your app if you cannot scan\): ([A-Z2-7]+)")
        seed = child.match.group(1)
        totp, now = pyotp.TOTP(seed), time.time()
        child.expect("First MFA code")
        child.sendline(totp.at(now - 30))
        child.expect("Second MFA code")
        child.sendline(totp.at(now - 30))  # the same code again: refused, and the reason shown
        child.expect("already used; AWS accepts each code once")
        child.expect("Second MFA code")
        child.sendline(totp.at(now))
        child.expect("MFA code for arn:aws:iam::")
        child.sendline(totp.at(now + 30))
        child.expect(pexpect.EOF)
    finally:
        child.close()
        record(screen.getvalue())
    shown = ANSI.sub("", screen.getvalue())
    assert child.exitstatus == 0, shown[-3000:]
    assert key.secret_access_key not in shown
    for heading in ("[1/7] Who am I", "[2/7] Virtual MFA device", "[4/7] Your own access key", "[6/7] Check"):
        assert heading in shown
    assert "▄▄▄▄▄" in shown  # the QR code, drawn in the terminal
    assert png.read_bytes().startswith(b"\x89PNG")
    assert "✓ example-dev_admin: arn:aws:sts::" in shown
    assert "✗ example-prod_admin: refused: not in the trust policy (AccessDenied)" in shown
    assert "aws-iam-bootstrap refresh" in shown
    own = file_key(aws_env)
    assert own is not None
    assert iam_keys(fresh_user) == [own.access_key_id]
    assert f"Onboarded {fresh_user.name}: key {own.access_key_id}" in shown


def test_ctrl_c_at_a_prompt_leaves_nothing_half_written(aws_env: AwsPaths, team: Path, fresh_user: SandboxUser) -> None:
    key = fresh_user.one_time_key
    child, screen = spawn(team)
    try:
        type_key(child, key)
        child.expect("First MFA code")
        child.send("\x03")
        child.expect(pexpect.EOF)
    finally:
        child.close()
        record(screen.getvalue())
    assert child.exitstatus == 130, screen.getvalue()[-2000:]
    assert "interrupted; nothing was half-written" in screen.getvalue()
    assert not aws_env.credentials.exists()  # nothing written before the session exists
    state = progress(aws_env)
    assert state["mfa_enabled"] is False
    assert iam_keys(fresh_user) == [key.access_key_id]

    # Ctrl-C at the very first prompt: nothing at all.
    child, screen = spawn(team)
    try:
        child.expect("One-time access key id")
        child.send("\x03")
        child.expect(pexpect.EOF)
    finally:
        child.close()
        record(screen.getvalue())
    assert child.exitstatus == 130


def test_ctrl_c_at_the_session_code_keeps_the_enabled_device(
    aws_env: AwsPaths, team: Path, fresh_user: SandboxUser
) -> None:
    key = fresh_user.one_time_key
    child, screen = spawn(team, "--show-seed")
    try:
        type_key(child, key)
        child.expect(r"seed \(type it into your app if you cannot scan\): ([A-Z2-7]+)")
        totp, now = pyotp.TOTP(child.match.group(1)), time.time()
        child.expect("First MFA code")
        child.sendline(totp.at(now - 30))
        child.expect("Second MFA code")
        child.sendline(totp.at(now))
        child.expect("MFA code for arn:aws:iam::")
        child.send("\x03")
        child.expect(pexpect.EOF)
    finally:
        child.close()
        record(screen.getvalue())
    assert child.exitstatus == 130
    assert enabled_devices(fresh_user) == {device_serial(fresh_user)}  # the next run uses it: no second device
    assert not aws_env.credentials.exists()
    state = progress(aws_env)
    assert state["mfa_enabled"] is True
    assert state["pending_seed"] is None


def test_without_a_terminal_it_names_the_flag_instead_of_hanging(aws_env: AwsPaths, team: Path) -> None:
    result = invoke("onboard", cwd=team)
    assert result.returncode == 5, result.output
    assert "--access-key-id" in result.stderr
    result = invoke("onboard", "--non-interactive", "--access-key-id", "AKIAEXAMPLEEXAMPLE01", cwd=team)
    assert result.returncode == 5, result.output
    assert "--secret-access-key-stdin" in result.stderr
    assert not aws_env.credentials.exists()


def test_without_a_code_command_it_stops_before_creating_a_device(
    aws_env: AwsPaths, team: Path, fresh_user: SandboxUser
) -> None:
    from bootstrap.sandbox import backend

    result = onboard_with_key(team, fresh_user.one_time_key)
    assert result.returncode == 5, result.output
    assert "pass --token-code-command" in result.stderr
    assert not [s for s in backend.iam(fresh_user.account_id).virtual_mfa_devices if fresh_user.name in s]


def test_dry_run_through_the_command(aws_env: AwsPaths, team: Path, fresh_user: SandboxUser) -> None:
    result = onboard_with_key(team, fresh_user.one_time_key, "--dry-run", "--non-interactive")
    assert result.returncode == 0, result.output
    assert "would create a virtual MFA device" in result.stdout
    assert "Dry run: nothing was changed." in result.stdout
    assert not aws_env.credentials.exists()
    assert enabled_devices(fresh_user) == set()


def test_non_interactive_with_a_code_command(
    sandbox: Sandbox,
    aws_env: AwsPaths,
    team: Path,
    fresh_user: SandboxUser,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The secret on stdin and codes from a command, as from a password manager: the tool runs the command once
    per code and waits for the next 30 s window in between. The wait is on the fake clock the tool, the sandbox and
    the stand-in password manager share (it reads the time the clock publishes), so no real time passes."""
    from bootstrap.sandbox import backend

    now_file = tmp_path / "now"
    clock = sandbox_clock(sandbox, monkeypatch, publish=now_file)
    seed_file = tmp_path / "seed"
    script = tmp_path / "otp.py"
    script.write_text(
        "import pathlib, sys, time, pyotp\n"
        f"seed, now = pathlib.Path({str(seed_file)!r}), pathlib.Path({str(now_file)!r})\n"
        "for _ in range(300):\n"
        "    if seed.exists():\n"
        "        print(pyotp.TOTP(seed.read_text().strip()).at(float(now.read_text()))); sys.exit(0)\n"
        "    time.sleep(0.1)\n"
        "sys.exit(1)\n",
        encoding="utf-8",
    )
    serial = device_serial(fresh_user)
    done = threading.Event()

    def authenticator_app() -> None:
        # What a person does with the QR code: put the device's seed into their password manager.
        while not done.is_set():
            seed = backend.mfa_seed(serial)
            if seed:
                seed_file.write_text(seed, encoding="utf-8")
                return
            time.sleep(0.05)

    app = threading.Thread(target=authenticator_app, daemon=True)
    app.start()
    try:
        result = invoke(
            "onboard",
            "--non-interactive",
            "--access-key-id",
            fresh_user.one_time_key.access_key_id,
            "--secret-access-key-stdin",
            "--token-code-command",
            f"{sys.executable} {script}",
            input=fresh_user.one_time_key.secret_access_key + "\n",
            cwd=team,
            clock=clock,
        )
    finally:
        done.set()
    assert result.returncode == 0, result.output
    own = file_key(aws_env)
    assert own is not None
    assert iam.works(own) is not None
    assert iam_keys(fresh_user) == [own.access_key_id]
    assert enabled_devices(fresh_user) == {serial}
