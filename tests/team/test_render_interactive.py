"""``render`` at a real terminal (pexpect): the secret is asked with a hidden prompt, missing values are asked for,
and existing files are reported precisely when they cannot be read."""

from __future__ import annotations

from pathlib import Path

import pexpect

from tests.support.cli import BIN, record
from tests.support.team import KEY_ID, ROOT, SECRET, SEED, SERIAL, workspace_from


def spawn(args: list[str], env: dict[str, str], cwd: Path) -> pexpect.spawn:
    return pexpect.spawn(str(BIN / "aws-iam-bootstrap"), args, env=env, cwd=str(cwd), encoding="utf-8", timeout=60)


def test_secret_is_asked_with_a_hidden_prompt(tmp_path: Path) -> None:
    ws = workspace_from(tmp_path, SEED)
    child = spawn(["render", "--access-key-id", KEY_ID], ws.env, ws.repo)
    child.expect("Your secret access key: ")
    child.sendline(SECRET)
    child.expect(pexpect.EOF)
    child.close()
    transcript = (child.before or "") + "\n"
    record(transcript)
    assert child.exitstatus == 0, transcript
    assert SECRET not in transcript  # not echoed
    assert f"aws_secret_access_key = {SECRET}" in ws.credentials.read_text()


def test_missing_serial_is_asked_and_the_user_name_follows_from_it(tmp_path: Path) -> None:
    ws = workspace_from(tmp_path, ROOT, const="CONST.inc.example")
    child = spawn(["render", "--access-key-id", KEY_ID], ws.env, ws.repo)
    child.expect("Your secret access key: ")
    child.sendline(SECRET)
    child.expect(r"Your MFA device serial .*: ")
    child.sendline(SERIAL)
    child.expect(pexpect.EOF)
    child.close()
    transcript = child.before or ""
    record(transcript)
    assert child.exitstatus == 0, transcript
    assert "IAM user name" not in transcript  # derived from the serial, not asked
    profiles = ws.profiles()
    assert profiles["example-dev-long-term"]["mfa_serial"] == SERIAL
    assert profiles["example-prod_read"]["role_session_name"] == "alice"


def test_existing_file_that_cannot_be_parsed_is_reported_with_its_path(tmp_path: Path) -> None:
    ws = workspace_from(tmp_path, SEED)
    ws.config.parent.mkdir(mode=0o700)
    ws.config.write_text("[profile mine]\nregion = eu-west-1\nthis line is not ini\n")
    before = ws.config.read_bytes()
    run = ws.render(secret=SECRET)
    assert run.returncode == 2
    assert str(ws.config) in run.stderr
    assert ws.config.read_bytes() == before
    assert not ws.credentials.exists()


def test_secret_stdin_flag_at_a_terminal_still_hides_the_secret(tmp_path: Path) -> None:
    ws = workspace_from(tmp_path, SEED)
    child = spawn(["render", "--access-key-id", KEY_ID, "--secret-access-key-stdin"], ws.env, ws.repo)
    child.expect("Your secret access key: ")
    child.sendline(SECRET)
    child.expect(pexpect.EOF)
    child.close()
    transcript = child.before or ""
    record(transcript)
    assert child.exitstatus == 0, transcript
    assert SECRET not in transcript
    assert f"aws_secret_access_key = {SECRET}" in ws.credentials.read_text()


def test_ctrl_c_at_the_prompt_writes_nothing(tmp_path: Path) -> None:
    ws = workspace_from(tmp_path, SEED)
    child = spawn(["render", "--access-key-id", KEY_ID], ws.env, ws.repo)
    child.expect("Your secret access key: ")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    transcript = child.before or ""
    record(transcript)
    assert child.exitstatus == 130, transcript
    assert "interrupted" in transcript
    assert not ws.config.exists()
    assert not ws.credentials.exists()


def test_a_value_typed_at_the_prompt_is_taken_back_by_the_next_render(tmp_path: Path) -> None:
    # The render that asked leaves no record of itself: the next one reads the serial back from the files, and says
    # so, rather than answering from a record that says only the key was taken back.
    ws = workspace_from(tmp_path, ROOT, const="CONST.inc.example")
    ws.credentials.parent.mkdir(mode=0o700)
    ws.credentials.write_text(
        f"[example-dev-long-term]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
    )
    child = spawn(["render"], ws.env, ws.repo)
    child.expect(r"Your MFA device serial .*: ")
    child.sendline(SERIAL)
    child.expect(pexpect.EOF)
    child.close()
    record(child.before or "")
    assert child.exitstatus == 0, child.before
    again = ws.render()
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("no changes") == 2
    assert "reused from your AWS files: AWS_USER, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_MFA_SERIAL" in (
        again.stdout
    )
