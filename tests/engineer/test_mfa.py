"""MFA codes: the otpauth URI and QR code of a device, and the rules every code source is held to."""

from __future__ import annotations

import stat
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest

from bootstrap.engineer import codes, mfa
from bootstrap.errors import AwsError, CheckFailed, InputError, NeedsAnswer
from bootstrap.prompts import NoPrompter
from tests.support.clock import FakeClock

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SERIAL = "arn:aws:iam::210987654321:mfa/alice"
T0 = datetime(2026, 11, 25, 12, 0, 5, tzinfo=UTC)


def test_otpauth_uri_is_what_an_authenticator_app_reads() -> None:
    uri = mfa.otpauth_uri(SEED, "alice", "210987654321")
    assert uri.startswith("otpauth://totp/Amazon%20Web%20Services:alice@210987654321?")
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.secret == SEED
    assert parsed.issuer == "Amazon Web Services"
    assert parsed.now() == pyotp.TOTP(SEED).now()


def test_qr_code_is_drawn_with_half_blocks_to_fit_a_terminal() -> None:
    text = mfa.qr_text(mfa.otpauth_uri(SEED, "alice", "210987654321"))
    lines = text.rstrip("\n").splitlines()
    assert len(lines) > 15
    assert set("".join(lines)) <= set("█▀▄ ")
    assert len(lines) < len(lines[0])  # two modules per character row: wider than tall


def test_qr_png_is_a_private_png(tmp_path: Path) -> None:
    path = tmp_path / "mfa.png"
    mfa.write_qr_png(mfa.otpauth_uri(SEED, "alice", "210987654321"), path)
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["mfa.png"]  # no temporary file left


def test_qr_png_where_it_cannot_be_written_names_the_flag(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "notes.txt"
    not_a_directory.write_text("a file, where a directory would have to be")
    with pytest.raises(InputError, match="--qr-png"):
        mfa.write_qr_png(mfa.otpauth_uri(SEED, "alice", "210987654321"), not_a_directory / "mfa.png")


class Scripted:
    """A code source answering from a list, recording every request."""

    can_answer = True
    asks_again = True

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.requests: list[codes.CodeRequest] = []

    def __call__(self, request: codes.CodeRequest) -> str:
        self.requests.append(request)
        return self.answers.pop(0)


def test_the_same_code_twice_is_refused_and_the_reason_given() -> None:
    source = Scripted("111111", "111111", "222222")
    seen: list[Sequence[str]] = []
    codes.with_codes(source, "enable", SERIAL, seen.append, clock=FakeClock(T0), log=codes.CodeLog(), count=2)
    assert seen == [["111111", "222222"]]
    assert source.requests[2].problem is not None
    assert "already used" in source.requests[2].problem
    assert source.requests[2].index == 2


def test_the_second_code_is_asked_for_the_next_window() -> None:
    source = Scripted("111111", "222222")
    clock = FakeClock(T0)
    codes.with_codes(source, "enable", SERIAL, lambda codes: None, clock=clock, log=codes.CodeLog(), count=2)
    assert source.requests[0].not_before is None
    assert source.requests[1].not_before == datetime(2026, 11, 25, 12, 0, 30, tzinfo=UTC)


def test_a_code_used_for_the_device_is_refused_for_the_session() -> None:
    log = codes.CodeLog()
    clock = FakeClock(T0)
    codes.with_codes(Scripted("111111", "222222"), "enable", SERIAL, lambda c: None, clock=clock, log=log, count=2)
    session = Scripted("222222", "333333")
    got: list[Sequence[str]] = []
    codes.with_codes(session, "session", SERIAL, got.append, clock=clock, log=log)
    assert got == [["333333"]]
    assert "already used" in (session.requests[1].problem or "")


def test_not_six_digits_is_refused_before_aws_sees_it() -> None:
    source = Scripted("12345", "123 456", "234567")
    got: list[Sequence[str]] = []
    codes.with_codes(source, "enable", SERIAL, got.append, clock=FakeClock(T0), log=codes.CodeLog(), count=2)
    assert got == [["123456", "234567"]]
    assert "6 digits" in (source.requests[1].problem or "")
    assert source.requests[2].problem is None  # a good answer clears the complaint


def test_a_code_aws_refuses_is_asked_again_up_to_the_limit() -> None:
    calls: list[Sequence[str]] = []

    def refuse(codes: Sequence[str]) -> None:
        calls.append(codes)
        raise AwsError("refused", code="AccessDenied", action="sts:GetSessionToken")

    source = Scripted("111111", "222222", "333333", "444444")
    with pytest.raises(CheckFailed, match="refused 3 times") as caught:
        codes.with_codes(source, "session", SERIAL, refuse, clock=FakeClock(T0), log=codes.CodeLog())
    assert len(calls) == 3
    assert "wrong, expired or already used" in caught.value.message
    assert "wrong, expired" in (source.requests[1].problem or "")


def test_other_aws_errors_are_not_taken_for_a_bad_code() -> None:
    def fail(codes: Sequence[str]) -> None:
        raise AwsError("no", code="Throttling", action="iam:EnableMFADevice")

    with pytest.raises(AwsError, match="no"):
        codes.with_codes(Scripted("111111"), "session", SERIAL, fail, clock=FakeClock(T0), log=codes.CodeLog())


def test_without_a_terminal_the_prompt_names_the_flag() -> None:
    with pytest.raises(NeedsAnswer, match="--token-code-command"):
        codes.PromptCodes(NoPrompter())(codes.CodeRequest("session", SERIAL))


def _command(tmp_path: Path, body: str) -> str:
    script = tmp_path / "code.py"
    script.write_text(body, encoding="utf-8")
    return f"{sys.executable} {script}"


def test_command_codes_wait_for_the_next_window_then_read_the_first_line(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    source = codes.CommandCodes(_command(tmp_path, "import sys; sys.stdin.read(); print('123456'); print('x')"), clock)
    request = codes.CodeRequest("enable", SERIAL, 2, 2, 1, datetime(2026, 11, 25, 12, 0, 30, tzinfo=UTC))
    assert source(request) == "123456"  # stdin is not the terminal: reading it ends at once
    assert clock.slept == [25.0]


def test_a_failing_command_is_reported_with_its_flag(tmp_path: Path) -> None:
    source = codes.CommandCodes(_command(tmp_path, "import sys; sys.exit(3)"), FakeClock(T0))
    with pytest.raises(InputError, match=r"--token-code-command.*exited with status 3"):
        source(codes.CodeRequest("session", SERIAL))


def test_the_built_in_authenticator_gives_codes_of_consecutive_windows() -> None:
    clock = FakeClock(T0)
    auth = codes.Authenticator(clock, {SERIAL: SEED})
    log = codes.CodeLog()
    got: list[Sequence[str]] = []
    codes.with_codes(auth, "enable", SERIAL, got.append, clock=clock, log=log, count=2)
    totp = pyotp.TOTP(SEED)
    assert got == [[totp.at(T0), totp.at(T0.timestamp() + 25)]]
    # As a sessions.CodeSource (serial only), it still never repeats a window.
    assert auth.code(SERIAL) == totp.at(T0.timestamp() + 55)
