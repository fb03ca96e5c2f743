"""Re-rendering takes the engineer's own values back from their files, and never a temporary session key."""

from __future__ import annotations

from pathlib import Path

from tests.support import canaries
from tests.support.team import KEY_ID, ROOT, SECRET, SEED, SERIAL, workspace_from


def test_an_aws_mfa_style_long_term_profile_is_reused(tmp_path: Path) -> None:
    ws = workspace_from(tmp_path, ROOT, const="CONST.inc.example")
    ws.credentials.parent.mkdir(mode=0o700)
    ws.credentials.write_text(
        "[example-dev-long-term]\n"
        f"aws_access_key_id = {KEY_ID}\n"
        f"aws_secret_access_key = {SECRET}\n"
        f"aws_mfa_device = {SERIAL}\n"
    )
    before = ws.credentials.read_bytes()
    run = ws.render()
    assert run.returncode == 0, run.stderr
    assert (
        "reused from your AWS files: AWS_USER, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_MFA_SERIAL" in run.stdout
    )
    profiles = ws.profiles()
    assert profiles["example-dev-long-term"]["mfa_serial"] == SERIAL
    assert profiles["example-dev_admin"]["role_session_name"] == "alice"
    assert ws.credentials.read_bytes() == before  # the key was already right: not a byte changes


def test_a_session_key_is_never_taken_for_the_long_term_key(tmp_path: Path) -> None:
    ws = workspace_from(tmp_path, SEED)
    ws.credentials.parent.mkdir(mode=0o700)
    ws.credentials.write_text(
        "[myawsaccount]\n"
        "aws_access_key_id = ASIACANARY0000000009\n"
        f"aws_secret_access_key = {canaries.CANARY_SECRET_2}\n"
        f"aws_session_token = {canaries.CANARY_SESSION_TOKEN}\n"
    )
    run = ws.render()
    assert run.returncode == 5
    assert "AWS_SECRET_ACCESS_KEY (--secret-access-key-stdin)" in run.stderr
    assert not ws.config.exists()


def test_new_flags_win_over_what_the_files_hold(tmp_path: Path) -> None:
    ws = workspace_from(tmp_path, SEED)
    assert ws.render(secret=SECRET).returncode == 0
    run = ws.render("--access-key-id", "AKIACANARY0000000002", "--secret-access-key-stdin", secret=None)
    assert run.returncode == 2  # nothing on stdin: refused rather than mixing the new id with the old secret
    assert "nothing on stdin" in run.stderr
    rotated = ws.render(secret=canaries.CANARY_SECRET_2)
    assert rotated.returncode == 0, rotated.stderr
    assert f"aws_secret_access_key = {canaries.CANARY_SECRET_2}" in ws.credentials.read_text()


def test_a_template_that_transforms_a_taken_back_name_gets_the_value_not_the_marker(tmp_path: Path) -> None:
    # A name only printed as it is comes from the marked rendering with the value put in; one a filter reads (here
    # `upper`) needs the template rendered again with the value. Both must read as if the value had been given.
    ws = workspace_from(tmp_path, ROOT, const="CONST.inc.example")
    template = ws.repo / "aws-cli.config.tpl"
    template.write_text(
        template.read_text().replace("role_session_name = ${AWS_USER}", "role_session_name = ${AWS_USER | upper}")
    )
    ws.credentials.parent.mkdir(mode=0o700)
    ws.credentials.write_text(
        f"[example-dev-long-term]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
        f"aws_mfa_device = {SERIAL}\n"
    )
    run = ws.render()
    assert run.returncode == 0, run.stderr
    assert "@@" not in ws.config.read_text() + ws.credentials.read_text()
    profiles = ws.profiles()
    assert profiles["example-dev_admin"]["role_session_name"] == "ALICE"
    assert profiles["example-dev_admin"]["source_profile"] == "example-dev"
    assert profiles["example-dev-long-term"]["mfa_serial"] == SERIAL
    assert ws.render().stdout.count("no changes") == 2  # and the second render agrees with the first
