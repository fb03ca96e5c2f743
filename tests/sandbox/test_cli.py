"""`aws-iam-bootstrap sandbox` as a person runs it: a real process, its printed exports used, Ctrl-C to stop."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from bootstrap.credentials import Credentials
from tests.support.cli import BIN, TRANSCRIPT, cli
from tests.support.sandbox import exports, running_sandbox


def test_sandbox_prints_exports_that_work_and_stops_cleanly_on_ctrl_c() -> None:
    with running_sandbox() as (proc, lines):
        env = exports(lines)
        assert set(env) >= {"AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"}
        assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        assert env["AWS_DEFAULT_REGION"] == "eu-west-1"
        assert any(line.startswith("unset AWS_PROFILE") for line in lines)
        root = Path(env["AWS_CONFIG_FILE"]).parent.parent
        key_id = next(line.split(": ")[1] for line in lines if "one-time access key id" in line)
        secret_file = root / "alice.secret"
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        alice = Credentials(key_id, secret_file.read_text().strip())  # registered: the canary scan looks for it
        sts = boto3.Session(
            aws_access_key_id=alice.access_key_id,
            aws_secret_access_key=alice.secret_access_key,
            region_name="eu-west-1",
        ).client("sts", endpoint_url=env["AWS_ENDPOINT_URL"])
        assert sts.get_caller_identity()["Arn"] == "arn:aws:iam::210987654321:user/alice"
        assert "USERS_AWS_ACCOUNT_ID=210987654321" in (root / "CONST.inc").read_text()

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    assert not root.exists()  # the throw-away directory went with the sandbox


def test_sandbox_keeps_a_directory_it_was_given(tmp_path: Path) -> None:
    with running_sandbox("--dir", str(tmp_path / "box")) as (proc, lines):
        assert exports(lines)["AWS_CONFIG_FILE"] == str(tmp_path / "box" / "aws" / "config")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    assert stat.S_IMODE((tmp_path / "box").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "box" / "bob.mfa-seed").stat().st_mode) == 0o600
    assert (tmp_path / "box" / "env.sh").read_text().startswith("export AWS_ENDPOINT_URL=http://127.0.0.1:")
    # render run in the workspace finds CONST.inc and the example templates side by side
    assert {"CONST.inc", "aws-cli.config.tpl", "aws-cli.credentials.tpl"} <= {
        p.name for p in (tmp_path / "box").iterdir()
    }


def test_sandbox_will_not_overwrite_files_it_did_not_write(tmp_path: Path) -> None:
    team = tmp_path / "team"
    team.mkdir()
    (team / "CONST.inc").write_text("# the team's own\n")
    (team / "env.sh").write_text("export MINE=1\n")
    run = cli("sandbox", "--dir", str(team), timeout=60)
    assert run.returncode == 2, run.output
    assert "already holds CONST.inc, env.sh" in run.stderr
    assert (team / "CONST.inc").read_text() == "# the team's own\n"
    assert (team / "env.sh").read_text() == "export MINE=1\n"
    # A directory an earlier sandbox prepared is used again.
    box = tmp_path / "box"
    for _ in range(2):
        with running_sandbox("--dir", str(box)) as (proc, _lines):
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0


def test_sandbox_on_a_port_in_use_is_bad_input() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = cli("sandbox", "--port", str(port), timeout=60)
    assert run.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in run.stderr


def test_sandbox_without_moto_says_how_to_install_it() -> None:
    blocked = "import sys; sys.modules['moto'] = None; from bootstrap.cli import main; main()"
    proc = subprocess.run(
        [sys.executable, "-c", blocked, "sandbox"], capture_output=True, text=True, timeout=60, check=False
    )
    TRANSCRIPT.extend([proc.stdout, proc.stderr])
    assert proc.returncode == 2
    assert "pip install 'aws-iam-bootstrap[sandbox]'" in proc.stderr


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_sandbox_help_does_not_import_moto_or_boto3(flag: str) -> None:
    probe = (
        "import sys; from bootstrap.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('moto' in sys.modules, 'boto3' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, "sandbox", flag], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.stdout.strip().endswith("False False")


def test_ctrl_c_at_a_terminal_stops_the_sandbox() -> None:
    import pexpect

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    child = pexpect.spawn(str(BIN / "aws-iam-bootstrap"), ["sandbox"], env=env, encoding="utf-8", timeout=60)
    try:
        child.expect("Ctrl-C stops the sandbox")
        child.sendintr()
        child.expect("sandbox stopped")
        child.expect(pexpect.EOF)
    finally:
        TRANSCRIPT.append(str(child.before))
        child.close()
    assert child.exitstatus == 0
