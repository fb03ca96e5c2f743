"""`credential-process`: the SDKs and the aws CLI get the MFA session themselves, one code for every role."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest

from bootstrap.credentials import Credentials
from tests.support import engineer as daily_setup
from tests.support.cli import BIN, aws_cli, invoke, record

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.sandbox import Sandbox, SandboxUser

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parents[1] / "fixtures" / "credential_process"
CACHE = Path(".aws") / "aws-iam-bootstrap" / "cache"


def render_credential_process_layout(
    sandbox: Sandbox, eng: daily_setup.Engineer, roles: list[tuple[str, str]], tmp_path: Path
) -> None:
    """`render` with the team's credential_process template (tests/fixtures/credential_process), then a few
    profiles of the engineer's own below it (render keeps them)."""
    accounts = [a for a in sandbox.accounts.values() if any(arn.split(":")[4] == a.id for _, arn in roles)]
    const = tmp_path / "CONST.inc"
    const.write_text(daily_setup.const_inc(sandbox, accounts))
    run = invoke(
        "render",
        "--const-file",
        str(const),
        "--config-template",
        str(FIXTURES / "aws-cli.config.tpl"),
        "--credentials-template",
        str(FIXTURES / "aws-cli.credentials.tpl"),
        "--account-name",
        eng.name,
        "--user",
        eng.user.name,
        "--mfa-serial",
        eng.device.serial,
        "--access-key-id",
        eng.key.access_key_id,
        "--secret-access-key-stdin",
        input=eng.key.secret_access_key + "\n",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.output


def test_botocore_and_the_aws_cli_get_twelve_roles_in_three_accounts_with_one_code(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    eng = daily_setup.engineer(sandbox, fresh_user, tmp_path)
    roles = daily_setup.twelve_profiles(sandbox, fresh_user)
    render_credential_process_layout(sandbox, eng, roles, tmp_path)
    config = aws_env.config.read_text()
    # The tool's absolute path: the SDKs run the line with their own PATH, which need not hold the tool's venv.
    assert f"credential_process = {BIN / 'aws-iam-bootstrap'} credential-process --profile {eng.name}\n" in config
    extra = [(profile, arn) for profile, arn in roles if profile.endswith("_read_us")]
    aws_env.config.write_text(
        config
        + "".join(
            f"\n[profile {p}]\nregion = us-east-1\nrole_arn = {arn}\nsource_profile = {eng.name}\n" for p, arn in extra
        )
    )
    count = tmp_path / "codes-asked"
    # A PATH without the tool on it: the line still runs. The code comes from a command.
    monkeypatch.setenv("PATH", os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if Path(p) != BIN))
    monkeypatch.setenv("AWS_IAM_BOOTSTRAP_TOKEN_CODE_COMMAND", eng.device.command(count))

    for profile, arn in roles:
        identity = boto3.Session(profile_name=profile).client("sts").get_caller_identity()
        assert identity["Account"] == arn.split(":")[4], profile
        assert f":assumed-role/{arn.rsplit('/', 1)[1]}/" in identity["Arn"], profile
    for profile, arn in roles[::4]:
        shown = aws_cli("sts", "get-caller-identity", "--profile", profile, "--output", "json")
        assert json.loads(shown.stdout)["Account"] == arn.split(":")[4]

    assert count.read_text() == "1"
    # verify checks the same layout through the same cache: every role works, and no new code.
    checked = invoke("verify", "--profile", "*_*", "-o", "json", cwd=tmp_path)
    report = json.loads(checked.stdout)
    assert checked.returncode == 0, checked.stdout
    assert report["checked"] == 12
    assert report["codes_asked"] == 0
    assert count.read_text() == "1"
    cache_dir = Path(os.environ["HOME"]) / CACHE
    (cached,) = cache_dir.glob("*.json")
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600
    # The credentials file never got a session: the cache is the only place it lives.
    assert f"[{eng.name}]" not in aws_env.credentials.read_text()


def test_the_json_is_what_the_sdks_expect_and_only_on_stdout(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = daily_setup.engineer(sandbox, fresh_user, tmp_path)
    daily_setup.write_files(aws_env, eng, [])
    count = tmp_path / "count"

    run = invoke(
        "credential-process",
        "--profile",
        eng.name,
        "--token-code-command",
        eng.device.command(count),
        prints_secrets=True,
    )

    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    body = json.loads(run.stdout)
    assert body["Version"] == 1
    session = Credentials(body["AccessKeyId"], body["SecretAccessKey"], body["SessionToken"])
    expires = datetime.fromisoformat(body["Expiration"].replace("Z", "+00:00"))
    assert timedelta(hours=11) < expires - datetime.now(UTC) <= timedelta(hours=12, minutes=1)
    who = sandbox.client("sts", session).get_caller_identity()
    assert who["Arn"] == fresh_user.arn

    # The cached session is served again (no code: the command would have counted), whichever name is given.
    again = invoke(
        "credential-process",
        "--profile",
        eng.long_term,
        "--token-code-command",
        eng.device.command(count),
        prints_secrets=True,
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["AccessKeyId"] == session.access_key_id
    assert count.read_text() == "1"


def test_sdk_processes_started_together_wait_for_one_code(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = daily_setup.engineer(sandbox, fresh_user, tmp_path)
    daily_setup.write_files(aws_env, eng, [])
    count = tmp_path / "count"
    argv = [str(BIN / "aws-iam-bootstrap"), "credential-process", "--profile", eng.name]
    env = dict(os.environ, AWS_IAM_BOOTSTRAP_TOKEN_CODE_COMMAND=eng.device.command(count))

    procs = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]

    for proc, (_, stderr) in zip(procs, outputs, strict=True):
        record(stderr)
        assert proc.returncode == 0, stderr
    assert len({json.loads(stdout)["AccessKeyId"] for stdout, _ in outputs}) == 1
    assert count.read_text() == "1"


def test_a_session_too_old_is_renewed_with_a_new_code(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = daily_setup.engineer(sandbox, fresh_user, tmp_path)
    daily_setup.write_files(aws_env, eng, [])
    count = tmp_path / "count"
    base = ["credential-process", "--profile", eng.name, "--token-code-command", eng.device.command(count)]
    first = json.loads(invoke(*base, prints_secrets=True).stdout)

    # Asking for more life than the cached session has left (13 h of a 12 h session) renews it.
    renewed = invoke(*base, "--min-ttl", str(13 * 60), prints_secrets=True)

    assert renewed.returncode == 0, renewed.stderr
    assert json.loads(renewed.stdout)["AccessKeyId"] != first["AccessKeyId"]
    assert count.read_text() == "2"


def test_the_code_is_asked_on_the_terminal_while_the_aws_cli_owns_stdout(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = daily_setup.engineer(sandbox, fresh_user, tmp_path)
    dev = sandbox.accounts["DEV"]
    process = f"{shlex.quote(str(BIN / 'aws-iam-bootstrap'))} credential-process --profile {eng.name}"
    daily_setup.write_files(
        aws_env, eng, [("dev-admin", dev.role_arn("ADMIN"))], session_profile=f"credential_process = {process}"
    )
    env = {k: v for k, v in os.environ.items() if k != "AWS_IAM_BOOTSTRAP_TOKEN_CODE_COMMAND"}
    status, shown = daily_setup.type_code(
        eng.device,
        BIN / "aws",
        ["sts", "get-caller-identity", "--profile", "dev-admin", "--output", "text"],
        prompt=f"MFA code for {eng.device.serial}: ",
        env=env,
        timeout=90,
    )
    assert status == 0, shown
    assert f"assumed-role/{dev.roles['ADMIN']}/" in shown


def test_without_a_terminal_it_names_the_flag(aws_env: AwsPaths, tmp_path: Path) -> None:
    aws_env.config.write_text("[profile me-long-term]\nmfa_serial = arn:aws:iam::210987654321:mfa/me\n")
    aws_env.credentials.write_text(
        "[me-long-term]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = notarealsecretatall\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "AWS_IAM_BOOTSTRAP_TOKEN_CODE_COMMAND"}
    # A new session has no controlling terminal: /dev/tty cannot be opened, as under a daemon or in CI.
    proc = subprocess.run(
        [str(BIN / "aws-iam-bootstrap"), "credential-process", "--profile", "me"],
        env=env,
        capture_output=True,
        text=True,
        start_new_session=True,
        timeout=60,
        check=False,
    )
    record(proc.stdout + proc.stderr)
    assert proc.returncode == 5
    assert proc.stdout == ""
    # What works under an SDK: the environment variable (--token-code is no flag of credential-process).
    assert "pass $AWS_IAM_BOOTSTRAP_TOKEN_CODE_COMMAND" in proc.stderr
    assert "--token-code " not in proc.stderr
