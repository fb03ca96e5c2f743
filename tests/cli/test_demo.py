"""`demo` as a newcomer meets it: one command, the whole first day on the sandbox, the refusals included."""

from __future__ import annotations

import configparser
import os
import sys
from pathlib import Path

import pexpect

from tests.support.cli import cli, record, scan_for_secrets


def _secrets_in(credentials: Path) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(credentials)
    return [
        parser[section][key]
        for section in parser.sections()
        for key in ("aws_secret_access_key", "aws_session_token")
        if key in parser[section]
    ]


def test_demo_plays_the_first_day_and_shows_the_refused_profile(tmp_path: Path) -> None:
    keep = tmp_path / "alice"
    run = cli("demo", "--keep", str(keep), env={**os.environ, "HOME": str(tmp_path / "home")})

    assert run.returncode == 0, run.output
    out = run.stdout
    for heading in (
        "The sandbox",
        "The platform team adds alice",
        "First day: alice onboards",
        "Next morning",
        "At a glance",
        "The platform team grants alice OPS on DEV",
        "alice sees the new role work",
        "Using a profile",
    ):
        assert heading in out
    # The platform side ran for real: the plan in people's terms, the IAM calls, the handover in a 0600 file.
    assert "alice is new: ADMIN on DEV, READ on PROD" in out
    assert "✓ DEV: update the trust of infra-AdminR-1R5T9WQ3Z8XA: alice, bob" in out
    handover = keep / "handover" / "alice.txt"
    assert f"in {handover} (mode 0600)" in out
    assert handover.stat().st_mode & 0o777 == 0o600
    note = handover.read_text()  # her password and key: in the file, never on the screen
    for field in ("temporary console password", "one-time secret access key"):
        secret = next(line for line in note.splitlines() if line.startswith(field)).rsplit(": ", 1)[1]
        assert secret not in run.output
    assert "alice gains OPS on DEV" in out
    assert "✗ example-dev_ops: refused: not in the trust policy" in out  # before the grant...
    assert "example-dev_ops: works" in out  # ...and after it, in the summary
    for step in ("Who am I", "Virtual MFA device", "MFA session", "Your own access key", "Check the roles"):
        assert step in out
    assert "built-in authenticator" in out  # says where the codes come from
    assert "█" in out  # the QR code, drawn in the terminal
    assert "✓ example-dev_admin: arn:aws:sts::345678901234:assumed-role/infra-AdminR-" in out
    assert "✗ example-prod_admin: refused: not in the trust policy" in out
    assert "switchrole?roleName=infra-ReadR-7H2M4PL6C0VB&account=456789012345" in out  # console links
    assert "What happened" in out
    assert "What to run next" in out
    assert "assumed-role/infra-AdminR-1R5T9WQ3Z8XA/alice" in out  # botocore used the written profile

    # The throw-away files are real AWS files, and nothing secret in them reached the screen.
    secrets = _secrets_in(keep / "aws" / "credentials")
    assert len(secrets) >= 3  # own key's secret, session secret and token
    assert scan_for_secrets([run.output], secrets) == []
    assert (keep / "aws" / "credentials").stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / "home" / ".aws").exists()  # the real HOME was never touched


def test_demo_interactive_lets_the_person_type_each_code(tmp_path: Path) -> None:
    child = pexpect.spawn(
        str(Path(sys.executable).parent / "aws-iam-bootstrap"),
        ["demo", "--interactive", "--keep", str(tmp_path / "alice")],
        env={**os.environ, "HOME": str(tmp_path / "home"), "COLUMNS": "200"},
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 200),
    )
    typed = 0
    while True:
        index = child.expect([r"Your authenticator shows (\d{6}); type it: ", pexpect.EOF])
        if index == 1:
            break
        code = child.match.group(1)
        child.sendline(code)
        typed += 1
    transcript = child.before or ""
    child.close()
    record(transcript)
    assert child.exitstatus == 0, transcript
    assert typed == 4  # two to enable the device, one for the session, one next morning (the grant needs none)
    assert "What happened" in transcript
