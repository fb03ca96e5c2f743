"""`refresh`: one MFA code in the morning, then every role profile in every account works all day."""

from __future__ import annotations

import configparser
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest

from bootstrap.awsfiles.profiles import load_credentials_file, load_profiles
from tests.support import engineer as daily_setup
from tests.support.cli import BIN, aws_cli, invoke, record

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.sandbox import Sandbox, SandboxUser

pytestmark = pytest.mark.slow


def test_one_code_then_twelve_role_profiles_in_three_accounts_work(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = daily_setup.engineer(sandbox, fresh_user, tmp_path)
    roles = daily_setup.twelve_profiles(sandbox, fresh_user)
    daily_setup.write_files(aws_env, eng, roles)
    long_term_before = aws_env.credentials.read_text()

    run = invoke("refresh", "--profile", eng.name, "--token-code", eng.device.code())

    assert run.returncode == 0, run.output
    assert f"Session [{eng.name}] renewed" in run.stdout
    # The session sits in [NAME] as aws-mfa writes it; the long-term section is untouched, the file private.
    text = aws_env.credentials.read_text()
    assert text.startswith(long_term_before)
    assert stat.S_IMODE(aws_env.credentials.stat().st_mode) == 0o600
    session = load_profiles(aws_env)[eng.name]
    for key in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token"):
        assert session[key]
    assert session["aws_session_token"] == session["aws_security_token"]
    assert session["assumed_role"] == "False"
    expires = datetime.strptime(session["expiration"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert timedelta(hours=11) < expires - datetime.now(UTC) <= timedelta(hours=12, minutes=1)

    # botocore itself resolves every role through the session: no further code, the right account and role.
    for profile, arn in roles:
        identity = boto3.Session(profile_name=profile).client("sts").get_caller_identity()
        assert identity["Account"] == arn.split(":")[4], profile
        assert f":assumed-role/{arn.rsplit('/', 1)[1]}/" in identity["Arn"], profile
    # And the aws CLI, once per account.
    for profile, arn in roles[::3][:3]:
        shown = aws_cli("sts", "get-caller-identity", "--profile", profile, "--output", "text")
        assert arn.split(":")[4] in shown.stdout


def test_a_valid_session_is_kept_without_asking_and_force_asks(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = daily_setup.engineer(sandbox, fresh_user, tmp_path)
    daily_setup.write_files(aws_env, eng, [])
    assert invoke("refresh", "--token-code", eng.device.code()).returncode == 0
    written = aws_env.credentials.read_text()

    # No flag and no terminal: had it wanted a code it would have failed naming the flag (exit 5).
    kept = invoke("refresh", input="")
    assert kept.returncode == 0, kept.output
    assert "still valid" in kept.stdout
    assert "no code asked" in kept.stdout
    assert aws_env.credentials.read_text() == written

    # More than the session's remaining life as --min-ttl: it asks.
    asks = invoke("refresh", "--min-ttl", str(13 * 60), input="")
    assert asks.returncode == 5
    assert "--token-code" in asks.stderr

    forced = invoke("refresh", "--force", input="")
    assert forced.returncode == 5
    assert "--token-code" in forced.stderr
    assert aws_env.credentials.read_text() == written


def test_switching_from_aws_mfa_needs_no_edit_and_aws_mfa_reads_what_we_write(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = daily_setup.engineer(sandbox, fresh_user, tmp_path)
    dev_read = sandbox.accounts["DEV"]
    sandbox.grant(fresh_user.name, "DEV", ("READ",))
    # A credentials file exactly as aws-mfa leaves it: the device in the long-term section, an old session.
    aws_env.credentials.write_text(
        "[default-long-term]\n"
        f"aws_access_key_id = {eng.key.access_key_id}\n"
        f"aws_secret_access_key = {eng.key.secret_access_key}\n"
        f"aws_mfa_device = {eng.device.serial}\n"
        "\n"
        "[default]\n"
        "assumed_role = False\n"
        "aws_access_key_id = ASIAOLDOLDOLDOLDOLD1\n"
        "aws_secret_access_key = oldsecretoldsecretoldsecretoldsecret0001\n"
        "aws_session_token = oldtokenoldtokenoldtoken\n"
        "aws_security_token = oldtokenoldtokenoldtoken\n"
        "expiration = 2020-01-01 00:00:00\n"
    )
    aws_env.config.write_text(
        f"[profile dev-read]\nrole_arn = {dev_read.role_arn('READ')}\nsource_profile = default\nregion = eu-west-1\n"
    )

    run = invoke("refresh", "--token-code", eng.device.code())

    assert run.returncode == 0, run.output
    assert "Session [default] renewed" in run.stdout
    # aws-mfa's own reading: RawConfigParser, all of its keys present, its expiration format, in the future.
    parser = configparser.RawConfigParser()
    parser.read(aws_env.credentials)
    for option in (
        "assumed_role",
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "aws_security_token",
        "expiration",
    ):
        assert parser.get("default", option)
    assert parser.get("default-long-term", "aws_mfa_device") == eng.device.serial
    expires = datetime.strptime(parser.get("default", "expiration"), "%Y-%m-%d %H:%M:%S")
    assert expires > datetime.now(UTC).replace(tzinfo=None)
    identity = boto3.Session(profile_name="dev-read").client("sts").get_caller_identity()
    assert identity["Account"] == dev_read.id


def test_code_from_a_command_run_without_a_shell(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = daily_setup.engineer(sandbox, fresh_user, tmp_path)
    daily_setup.write_files(aws_env, eng, [])
    count = tmp_path / "count"

    run = invoke("refresh", "--token-code-command", eng.device.command(count))

    assert run.returncode == 0, run.output
    assert count.read_text() == "1"
    assert load_profiles(aws_env)[eng.name]["aws_session_token"]

    # A failing command is bad input, reported with its status only (its stderr may hold anything).
    failing = invoke("refresh", "--force", "--token-code-command", f"{BIN / 'python'} -c 'import sys; sys.exit(3)'")
    assert failing.returncode == 2
    assert "exited with status 3" in failing.stderr


def test_bad_input_is_refused_before_any_call(aws_env: AwsPaths, tmp_path: Path) -> None:
    aws_env.credentials.write_text("[a-long-term]\naws_access_key_id = AKIAXXXXXXXXXXXXXXX1\n")
    aws_env.credentials.write_text(
        "[a-long-term]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = x\n"
        "[b-long-term]\naws_access_key_id = AKIAEXAMPLEEXAMPLE02\naws_secret_access_key = y\n"
    )
    several = invoke("refresh", "--token-code", "123456")
    assert several.returncode == 2
    assert "several long-term profiles (a-long-term, b-long-term)" in several.stderr

    no_device = invoke("refresh", "--profile", "a", "--token-code", "123456")
    assert no_device.returncode == 2
    assert "mfa_serial" in no_device.stderr

    assert invoke("refresh", "--profile", "a", "--duration", "100").returncode == 2
    assert invoke("refresh", "--profile", "a", "--token-code", "12345x").returncode == 2
    aws_env.config.write_text("[profile a-long-term]\nmfa_serial = arn:aws:iam::210987654321:mfa/a\n")
    for command in ("'unbalanced", "/dev/null", "no-such-otp-tool"):
        refused = invoke("refresh", "--profile", "a", "--token-code-command", command)
        assert refused.returncode == 2, command
        assert "--token-code-command" in refused.stderr
    missing = invoke("refresh", "--profile", "nobody", "--token-code", "123456")
    assert missing.returncode == 2
    assert "[nobody-long-term]" in missing.stderr


def test_the_profile_comes_from_aws_profile_even_when_it_names_a_role(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = daily_setup.engineer(sandbox, fresh_user, tmp_path)
    daily_setup.write_files(aws_env, eng, [("example-dev_admin", sandbox.accounts["DEV"].role_arn("ADMIN"))])
    aws_env.credentials.write_text(
        aws_env.credentials.read_text() + "[other-long-term]\naws_access_key_id = AKIAEXAMPLEEXAMPLE02\n"
        "aws_secret_access_key = yyyyyyyyyyyyyyyyyyyyyyyy\n"
    )
    env = dict(os.environ, AWS_PROFILE="example-dev_admin")

    run = invoke("refresh", "--token-code", eng.device.code(), env=env)

    assert run.returncode == 0, run.output
    assert f"Session [{eng.name}] renewed" in run.stdout


def test_the_code_is_asked_in_a_real_terminal(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = daily_setup.engineer(sandbox, fresh_user, tmp_path)
    daily_setup.write_files(aws_env, eng, [])
    status, shown = daily_setup.type_code(
        eng.device, BIN / "aws-iam-bootstrap", ["refresh"], env=dict(os.environ), timeout=60
    )
    assert status == 0, shown
    assert "renewed" in shown
    assert load_profiles(aws_env)[eng.name]["aws_session_token"]


def test_a_wrong_code_is_refused_and_nothing_is_written(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = daily_setup.engineer(sandbox, fresh_user, tmp_path)
    daily_setup.write_files(aws_env, eng, [])
    before = aws_env.credentials.read_text()
    wrong = f"{(int(eng.device.totp.now()) + 1) % 1_000_000:06d}"

    run = invoke("refresh", "--token-code", wrong)

    assert run.returncode == 3
    assert "sts:GetSessionToken was refused by AWS (AccessDenied)" in run.stderr
    assert aws_env.credentials.read_text() == before


def test_at_a_terminal_a_wrong_or_replayed_code_is_asked_again(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    """The one MFA code path: refresh, like onboard, says why a code was refused and asks again."""
    import pexpect

    eng = daily_setup.engineer(sandbox, fresh_user, tmp_path)
    daily_setup.write_files(aws_env, eng, [])
    used = eng.device.code()
    assert invoke("refresh", "--token-code", used).returncode == 0
    wrong = f"{(int(used) + 1) % 1_000_000:06d}"

    child = pexpect.spawn(
        str(BIN / "aws-iam-bootstrap"), ["refresh", "--force"], env=dict(os.environ), encoding="utf-8", timeout=60
    )
    try:
        child.expect(f"MFA code for {eng.device.serial}")
        child.sendline(wrong)
        child.expect("AWS refused the code \\(AccessDenied\\): wrong, expired or already used")
        child.expect(f"MFA code for {eng.device.serial}")
        child.sendline(used)  # yesterday's code again: AWS refuses a replay the same way
        child.expect("AWS refused the code")
        child.expect(f"MFA code for {eng.device.serial}")
        child.sendline(eng.device.code())
        child.expect(pexpect.EOF)
    finally:
        record(child.before or "")
        child.close()
    assert child.exitstatus == 0, child.before
    assert "renewed" in (child.before or "")


def test_aws_mfa_and_refresh_take_turns_on_the_files_onboard_and_render_write(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    """Both ways, with the real aws-mfa: the example templates put the device where aws-mfa reads it
    (aws_mfa_device, credentials) and where the SDKs and this tool read it (mfa_serial, config)."""
    import subprocess

    from tests.support.team import ROOT

    eng = daily_setup.engineer(sandbox, fresh_user, tmp_path)
    team = tmp_path / "team"
    team.mkdir()
    (team / "CONST.inc").write_text(sandbox.const_inc())
    for name in ("aws-cli.config.tpl", "aws-cli.credentials.tpl"):
        (team / name).write_text((ROOT / name).read_text())
    rendered = invoke(
        "render", "--user", fresh_user.name, "--mfa-serial", eng.device.serial, "--access-key-id",
        eng.key.access_key_id, "--secret-access-key-stdin", input=eng.key.secret_access_key + "\n", cwd=team,
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.output

    def aws_mfa(*args: str, code: str = "") -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(BIN / "aws-mfa"), "--profile", "example-dev", *args],
            input=code + "\n",
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        record(done.stdout + done.stderr)
        return done

    # aws-mfa renews the session with the device render wrote for it...
    first = aws_mfa(code=eng.device.code())
    assert first.returncode == 0, first.stderr
    assert "aws_session_token" in load_credentials_file(aws_env)["example-dev"]
    # ...and refresh takes its session as valid: no code.
    kept = invoke("refresh", "--profile", "example-dev", input="")
    assert kept.returncode == 0, kept.output
    assert "still valid" in kept.stdout
    # refresh renews; aws-mfa takes that session as valid: it asks no token.
    assert invoke("refresh", "--force", "--token-code", eng.device.code()).returncode == 0
    second = aws_mfa()
    assert second.returncode == 0, second.stderr
    assert "still valid" in (second.stdout + second.stderr)
