"""`env` and `exec`: temporary credentials of a profile for a pipeline step or one command."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bootstrap.awsfiles.profiles import load_profiles
from bootstrap.credentials import Credentials
from tests.support import engineer as daily_setup
from tests.support.cli import BIN, cli, invoke, record

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.sandbox import Sandbox, SandboxUser

pytestmark = pytest.mark.slow

ADMIN = "example-dev_admin"


def ready(sandbox: Sandbox, aws_env: AwsPaths, user: SandboxUser, tmp_path: Path) -> daily_setup.Engineer:
    """An engineer after this morning's `refresh`, with profiles for dev ADMIN and prod READ and ADMIN."""
    eng = daily_setup.engineer(sandbox, user, tmp_path)
    dev, prod = sandbox.accounts["DEV"], sandbox.accounts["PROD"]
    roles = [(ADMIN, dev.role_arn("ADMIN")), ("example-prod_read", prod.role_arn("READ"))]
    roles.append(("example-prod_admin", prod.role_arn("ADMIN")))
    daily_setup.write_files(aws_env, eng, roles)
    assert invoke("refresh", "--token-code", eng.device.code()).returncode == 0
    return eng


def who(sandbox: Sandbox, variables: dict[str, str]) -> str:
    credentials = Credentials(
        variables["AWS_ACCESS_KEY_ID"], variables["AWS_SECRET_ACCESS_KEY"], variables["AWS_SESSION_TOKEN"]
    )
    return str(sandbox.client("sts", credentials).get_caller_identity()["Arn"])


def test_every_format_parses_back_to_working_role_credentials(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    ready(sandbox, aws_env, fresh_user, tmp_path)
    role = f":assumed-role/{sandbox.accounts['DEV'].roles['ADMIN']}/"

    # bash: sourced by a real bash, which then runs the aws CLI with nothing but those variables.
    bash = invoke("env", "--profile", ADMIN, input="", prints_secrets=True)
    assert bash.returncode == 0, bash.stderr
    assert bash.stderr == ""  # secrets go to stdout only, and nothing else is said
    script = tmp_path / "creds.sh"
    script.write_text(bash.stdout)
    env = {k: v for k, v in os.environ.items() if k not in {"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"}}
    shown = subprocess.run(
        ["bash", "-c", f'source "$1" && exec {BIN / "aws"} sts get-caller-identity --output json', "-", str(script)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    record(shown.stdout + shown.stderr)
    assert shown.returncode == 0, shown.stderr
    assert role in json.loads(shown.stdout)["Arn"]

    as_json = json.loads(invoke("env", "-p", ADMIN, "--format", "json", prints_secrets=True).stdout)
    assert role in who(sandbox, as_json)
    assert as_json["AWS_REGION"] == as_json["AWS_DEFAULT_REGION"] == "eu-west-1"
    expires = datetime.fromisoformat(as_json["AWS_CREDENTIAL_EXPIRATION"].replace("Z", "+00:00"))
    assert timedelta(minutes=55) < expires - datetime.now(UTC) <= timedelta(hours=1, minutes=1)

    patterns = {
        "github": r"^(\w+)=(.*)$",
        "fish": r"^set -gx (\w+) '((?:[^'\\]|\\.)*)'$",
        "powershell": r"^\$Env:(\w+) = '((?:[^']|'')*)'$",
    }
    for output_format, pattern in patterns.items():
        run = invoke("env", "-p", ADMIN, "--format", output_format, prints_secrets=True)
        assert run.returncode == 0, run.stderr
        lines = run.stdout.splitlines()
        parsed: dict[str, str] = {}
        for line in lines:
            match = re.fullmatch(pattern, line)
            assert match is not None, f"{output_format}: a line of another shape"
            parsed[match[1]] = match[2]
        assert role in who(sandbox, parsed), output_format


def test_the_session_profile_gives_its_session_and_duration_is_honoured(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = ready(sandbox, aws_env, fresh_user, tmp_path)
    session = load_profiles(aws_env)[eng.name]

    own = json.loads(invoke("env", "-p", eng.name, "--format", "json", prints_secrets=True).stdout)
    assert own["AWS_ACCESS_KEY_ID"] == session["aws_access_key_id"]
    assert who(sandbox, own) == fresh_user.arn

    short = json.loads(invoke("env", "-p", ADMIN, "--format", "json", "--duration", "900", prints_secrets=True).stdout)
    expires = datetime.fromisoformat(short["AWS_CREDENTIAL_EXPIRATION"].replace("Z", "+00:00"))
    assert expires - datetime.now(UTC) <= timedelta(minutes=15, seconds=30)
    assert invoke("env", "-p", ADMIN, "--duration", "60").returncode == 2


def test_an_expired_session_is_renewed_with_one_code_and_kept(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = daily_setup.engineer(sandbox, fresh_user, tmp_path)
    daily_setup.write_files(
        aws_env,
        eng,
        [(ADMIN, sandbox.accounts["DEV"].role_arn("ADMIN"))],
        credentials_extra=(
            f"\n[{eng.name}]\naws_access_key_id = ASIAEXPIREDEXPIRED01\n"
            "aws_secret_access_key = expiredsecretexpiredsecretexpiredsecret1\n"
            "aws_session_token = expiredtokenexpiredtoken\nexpiration = 2020-01-01 00:00:00\n"
        ),
    )
    without = invoke("env", "-p", ADMIN, input="", prints_secrets=True)
    assert without.returncode == 5
    assert without.stdout == ""
    assert "--token-code" in without.stderr

    run = invoke("env", "-p", ADMIN, "--format", "json", "--token-code", eng.device.code(), prints_secrets=True)

    assert run.returncode == 0, run.stderr
    assert f"assumed-role/{sandbox.accounts['DEV'].roles['ADMIN']}/" in who(sandbox, json.loads(run.stdout))
    # The renewed session was written back, as `refresh` would: the next command needs no code.
    assert "2020-01-01 00:00:00" not in aws_env.credentials.read_text()
    assert invoke("env", "-p", ADMIN, input="", prints_secrets=True).returncode == 0


def test_exec_runs_the_command_with_the_role_and_returns_its_exit_code(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    ready(sandbox, aws_env, fresh_user, tmp_path)
    # AWS_PROFILE naming another profile must not win over the credentials exec hands the child.
    env = dict(os.environ, AWS_PROFILE="example-prod_read")

    # A real process: the child writes to the tool's own stdout, which only a separate process lets us read.
    run = cli(
        "exec", "--profile", ADMIN, "--", str(BIN / "aws"), "sts", "get-caller-identity", "--output", "json", env=env
    )

    assert run.returncode == 0, run.stderr
    identity = json.loads(run.stdout)
    assert identity["Account"] == sandbox.accounts["DEV"].id
    assert f":assumed-role/{sandbox.accounts['DEV'].roles['ADMIN']}/" in identity["Arn"]

    check = "import os, sys; sys.exit(7 if os.environ['AWS_SESSION_TOKEN'] and 'AWS_PROFILE' not in os.environ else 1)"
    assert invoke("exec", "-p", ADMIN, "--", str(BIN / "python"), "-c", check, env=env).returncode == 7
    missing = invoke("exec", "-p", ADMIN, "--", "no-such-command-here")
    assert missing.returncode == 2
    assert "command not found: no-such-command-here" in missing.stderr


def test_a_refused_role_prints_nothing_on_stdout_and_says_why(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    ready(sandbox, aws_env, fresh_user, tmp_path)

    run = invoke("env", "-p", "example-prod_admin", prints_secrets=True)

    assert run.returncode == 3
    assert run.stdout == ""
    assert "sts:AssumeRole was refused by AWS (AccessDenied)" in run.stderr
    assert invoke("exec", "-p", "example-prod_admin", "--", "true").returncode == 3
    assert invoke("env", "-p", "nosuchprofile").returncode == 2
