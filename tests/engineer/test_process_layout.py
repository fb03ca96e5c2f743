"""The credential_process layout is kept working: refresh and onboard fill its cache instead of writing a session
that would shadow the line, render removes one an earlier layout left, warns about a line that cannot run, and
the cache lives beside the files it belongs to, trusting nothing another user could have put there."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest

from bootstrap.awsfiles import locations
from bootstrap.awsfiles.profiles import load_credentials_file, load_profiles
from tests.support import engineer as daily_setup
from tests.support.cli import BIN, invoke, record

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.sandbox import Sandbox, SandboxUser

LINE = f"{BIN / 'aws-iam-bootstrap'} credential-process --profile example-dev"


def process_layout(sandbox: Sandbox, aws_env: AwsPaths, user: SandboxUser, tmp_path: Path) -> daily_setup.Engineer:
    eng = daily_setup.engineer(sandbox, user, tmp_path)
    dev = sandbox.accounts["DEV"]
    daily_setup.write_files(
        aws_env, eng, [("example-dev_admin", dev.role_arn("ADMIN"))], session_profile=f"credential_process = {LINE}"
    )
    return eng


def test_refresh_fills_the_cache_the_line_reads_and_removes_a_shadowing_session(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = process_layout(sandbox, aws_env, fresh_user, tmp_path)
    stale = "\n[example-dev]\naws_access_key_id = ASIASTALESTALESTALE1\naws_secret_access_key = {0}\n"
    stale += "aws_session_token = staletokenstaletokenstaletoken\nexpiration = 2020-01-01 00:00:00\n"
    with aws_env.credentials.open("a") as credentials:
        credentials.write(stale.format("s" * 40))

    run = invoke("refresh", "--token-code", eng.device.code())

    assert run.returncode == 0, run.output
    assert "in the cache its credential_process reads" in run.stdout
    assert "it shadowed the credential_process line" in run.stdout
    assert load_credentials_file(aws_env).get("example-dev", {}) == {}  # no key left to shadow the line
    (cached,) = locations.cache_dir(aws_env).glob("*.json")
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600
    # The SDKs run the line, and it answers from the cache: the role works without another code.
    identity = boto3.Session(profile_name="example-dev_admin").client("sts").get_caller_identity()
    assert f":assumed-role/{sandbox.accounts['DEV'].roles['ADMIN']}/" in identity["Arn"]


def test_refresh_will_not_shadow_a_credential_process_of_another_tool(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = daily_setup.engineer(sandbox, fresh_user, tmp_path)
    daily_setup.write_files(aws_env, eng, [], session_profile="credential_process = aws-vault export --format=json x")
    before = aws_env.credentials.read_text()
    run = invoke("refresh", "--token-code", eng.device.code())
    assert run.returncode == 4
    assert "not aws-iam-bootstrap's" in run.stderr
    assert aws_env.credentials.read_text() == before


def test_render_into_the_process_layout_removes_the_old_session_and_says_why(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    from tests.engineer.test_credential_process import render_credential_process_layout

    eng = daily_setup.engineer(sandbox, fresh_user, tmp_path)
    daily_setup.write_files(aws_env, eng, [])
    assert invoke("refresh", "--token-code", eng.device.code()).returncode == 0  # the session layout
    assert "aws_session_token" in load_profiles(aws_env)[eng.name]

    render_credential_process_layout(sandbox, eng, [], tmp_path)

    profiles = load_profiles(aws_env)
    assert "aws_session_token" not in profiles[eng.name]
    assert profiles[eng.name]["credential_process"] == LINE


def test_render_warns_about_a_line_whose_program_is_not_on_path(aws_env: AwsPaths, tmp_path: Path) -> None:
    (tmp_path / "CONST.inc").write_text("GLOBAL_AWS_REGION=eu-west-1\n")
    (tmp_path / "aws-cli.config.tpl").write_text(
        "[profile a]\ncredential_process = no-such-helper --profile a\n\n"
        "[profile b]\ncredential_process = ${AWS_IAM_BOOTSTRAP} x\n"
    )
    (tmp_path / "aws-cli.credentials.tpl").write_text("")
    run = invoke("render", cwd=tmp_path)
    assert run.returncode == 0, run.output
    assert "warning: [profile a] credential_process runs 'no-such-helper', which is not on PATH" in run.stderr
    assert "[profile b]" not in run.stderr  # the tool's own absolute path: it runs


def test_the_cache_lives_beside_the_credentials_file_it_belongs_to(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sandbox's or a test's AWS files keep their own cache: nothing lands in the person's real ~/.aws."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    eng = process_layout(sandbox, aws_env, fresh_user, tmp_path)
    moved = locations.AwsPaths(elsewhere / "config", elsewhere / "credentials")
    moved.config.write_text(aws_env.config.read_text())
    moved.credentials.write_text(aws_env.credentials.read_text())
    monkeypatch.setenv("AWS_CONFIG_FILE", str(moved.config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(moved.credentials))
    run = invoke(
        "credential-process",
        "--profile",
        eng.name,
        "--token-code-command",
        eng.device.command(tmp_path / "n"),
        prints_secrets=True,
    )
    assert run.returncode == 0, run.stderr
    assert list((elsewhere / "aws-iam-bootstrap" / "cache").glob("*.json"))
    assert not (Path(os.environ["HOME"]) / ".aws" / "aws-iam-bootstrap" / "cache").exists()


def _cache_after_one_run(eng: daily_setup.Engineer, tmp_path: Path, aws_env: AwsPaths) -> Path:
    run = invoke(
        "credential-process",
        "--profile",
        eng.name,
        "--token-code-command",
        eng.device.command(tmp_path / "n"),
        prints_secrets=True,
    )
    assert run.returncode == 0, run.stderr
    (cached,) = locations.cache_dir(aws_env).glob("*.json")
    return cached


def test_a_cache_file_made_readable_is_made_private_again(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = process_layout(sandbox, aws_env, fresh_user, tmp_path)
    cached = _cache_after_one_run(eng, tmp_path, aws_env)
    cached.chmod(0o644)
    assert invoke("credential-process", "--profile", eng.name, prints_secrets=True).returncode == 0  # a hit
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600


def test_a_planted_or_linked_cache_file_is_never_served(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = process_layout(sandbox, aws_env, fresh_user, tmp_path)
    cached = _cache_after_one_run(eng, tmp_path, aws_env)
    planted = json.loads(cached.read_text())
    planted["credentials"]["AccessKeyId"] = "ASIAPLANTEDPLANTED01"
    elsewhere = tmp_path / "attacker.json"
    elsewhere.write_text(json.dumps(planted))
    cached.unlink()
    cached.symlink_to(elsewhere)

    count = tmp_path / "asked"
    run = invoke(
        "credential-process",
        "--profile",
        eng.name,
        "--token-code-command",
        eng.device.command(count),
        prints_secrets=True,
    )
    record(run.stderr)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["AccessKeyId"] != "ASIAPLANTEDPLANTED01"  # a new session, one code
    assert count.read_text() == "1"
    assert not cached.is_symlink()  # replaced, never written through
    assert json.loads(elsewhere.read_text())["credentials"]["AccessKeyId"] == "ASIAPLANTEDPLANTED01"
    if os.geteuid() == 0:  # only root can make a file another user's
        os.chown(cached, 4321, 4321)
        again = invoke(
            "credential-process",
            "--profile",
            eng.name,
            "--token-code-command",
            eng.device.command(count),
            prints_secrets=True,
        )
        assert again.returncode == 0, again.stderr
        assert count.read_text() == "2"  # another user's file is not served: a new session was made
