"""verify's verdict is the SDKs' verdict: a matrix of profiles, each checked by verify, by botocore (boto3 in a
process of its own) and by the real aws CLI, and by the AWS SDK for JavaScript v3 where Node.js is at hand.

botocore waits for a credential_process forever: here its run is given the same bound as verify's --timeout,
and a run cut short counts as a failure, which is what a user waiting for it would call it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support import engineer as daily_setup
from tests.support.cli import BIN, invoke, record
from tests.support.clock import shared_clock

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.sandbox import Sandbox, SandboxUser

pytestmark = pytest.mark.slow

TIMEOUT = 4  # seconds a credential_process may take, for verify and for botocore alike
TOOL = BIN / "aws-iam-bootstrap"

BOTOCORE = """
import sys, boto3
try:
    boto3.Session(profile_name=sys.argv[1]).client("sts").get_caller_identity()
except Exception as exc:
    print(type(exc).__name__)
    sys.exit(1)
"""


def matrix(sandbox: Sandbox, aws_env: AwsPaths, user: SandboxUser, tmp_path: Path) -> dict[str, bool]:
    """AWS files with one profile per case; the verdict each case must get (True: it works)."""
    eng = daily_setup.engineer(sandbox, user, tmp_path)
    dev = sandbox.accounts["DEV"]
    # A short session for the "expired source" case: the sandbox's clock is then moved past its end.
    sts = sandbox.client("sts", eng.key)
    short = sts.get_session_token(DurationSeconds=900, SerialNumber=eng.device.serial, TokenCode=eng.device.code())
    old = short["Credentials"]
    hang = f"{sys.executable} -c 'import time; time.sleep(600)'"
    process = f"{TOOL} credential-process --profile {eng.name}"
    config_extra = {
        "role-works": f"role_arn = {dev.role_arn('ADMIN')}\nsource_profile = {eng.name}",
        "role-untrusted": f"role_arn = {dev.role_arn('OPS')}\nsource_profile = {eng.name}",
        "role-missing": f"role_arn = arn:aws:iam::{dev.id}:role/infra-NoSuchR-X\nsource_profile = {eng.name}",
        "role-wrong-account": (
            f"role_arn = arn:aws:iam::999999999999:role/{dev.roles['ADMIN']}\nsource_profile = {eng.name}"
        ),
        "role-expired-source": f"role_arn = {dev.role_arn('ADMIN')}\nsource_profile = old-session",
        "process-works": f"credential_process = {process}",
        "process-not-on-path": (
            f"credential_process = aws-iam-bootstrap-nowhere credential-process --profile {eng.name}"
        ),
        "process-misspelt": f"credential_process = {TOOL} credentail-process --profile {eng.name}",
        "process-bad-flag": f"credential_process = {process} --no-such-flag",
        "process-wrong-profile": f"credential_process = {TOOL} credential-process --profile nobody",
        "process-hangs": f"credential_process = {hang}",
        "role-on-process": f"role_arn = {dev.role_arn('ADMIN')}\nsource_profile = process-works",
    }
    credentials = (
        f"\n[old-session]\naws_access_key_id = {old['AccessKeyId']}\naws_secret_access_key = {old['SecretAccessKey']}\n"
        f"aws_session_token = {old['SessionToken']}\n"
        f"\n[key-deleted]\naws_access_key_id = AKIADELETEDDELETED03\naws_secret_access_key = {'z' * 40}\n"
    )
    daily_setup.write_files(aws_env, eng, [], credentials_extra=credentials)
    with aws_env.config.open("a") as config:
        for name, body in config_extra.items():
            config.write(f"\n[profile {name}]\nregion = eu-west-1\n{body}\n")
    # Today's session in [NAME], as refresh leaves it; then the sandbox's clock passes the short session's end.
    assert invoke("refresh", "--token-code", eng.device.code()).returncode == 0
    clock = shared_clock()
    assert clock is not None
    clock.advance(1000)
    # The process profile's cache, filled by one run of it with a code (as the first SDK call of the day would).
    filled = invoke(
        "credential-process",
        "--profile",
        eng.name,
        "--token-code-command",
        eng.device.command(tmp_path / "n"),
        prints_secrets=True,
    )
    assert filled.returncode == 0, filled.stderr
    works = {"role-works", "process-works", "role-on-process", eng.name, eng.long_term}
    cases = [*config_extra, "old-session", "key-deleted", eng.name, eng.long_term]
    return {case: case in works for case in cases}


def botocore_says(profile: str) -> bool:
    try:
        done = subprocess.run(
            [sys.executable, "-c", BOTOCORE, profile], capture_output=True, text=True, timeout=TIMEOUT + 6, check=False
        )
    except subprocess.TimeoutExpired:
        return False  # what waiting for a hanging credential_process amounts to
    record(done.stdout + done.stderr)
    return done.returncode == 0


def aws_cli_says(profile: str) -> bool:
    # The aws CLI keeps assumed-role sessions in ~/.aws/cli/cache, keyed on the role and not on the source: two
    # profiles of the same role would share one. Each call starts without it, to judge the profile itself.
    import os

    shutil.rmtree(Path(os.environ["HOME"]) / ".aws" / "cli" / "cache", ignore_errors=True)
    try:
        done = subprocess.run(
            [str(BIN / "aws"), "sts", "get-caller-identity", "--profile", profile],
            capture_output=True,
            text=True,
            timeout=TIMEOUT + 10,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    record(done.stdout + done.stderr)
    return done.returncode == 0


def test_verify_says_what_botocore_and_the_aws_cli_do(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    expected = matrix(sandbox, aws_env, fresh_user, tmp_path)
    run = invoke("verify", "-o", "json", "--timeout", str(TIMEOUT), *[f"--profile={p}" for p in expected], input="")
    rows = {row["profile"]: row for row in json.loads(run.stdout)["profiles"]}
    verdicts = {profile: rows[profile]["result"] == "ok" for profile in expected}
    assert verdicts == expected, {p: rows[p]["reason"] for p in expected if verdicts[p] != expected[p]}
    assert json.loads(run.stdout)["codes_asked"] == 0  # every session it needed was there, as for the SDKs
    for profile, works in expected.items():
        assert botocore_says(profile) == works, f"botocore on {profile}"
    for profile in ("role-works", "role-expired-source", "process-works", "process-not-on-path", "process-hangs"):
        assert aws_cli_says(profile) == expected[profile], f"aws CLI on {profile}"
    assert rows["role-expired-source"]["reason"].startswith("expired session in source profile [old-session]")
    assert "not on PATH" in rows["process-not-on-path"]["reason"]
    assert "did not answer in time" in rows["process-hangs"]["reason"]
    assert rows["process-hangs"]["seconds"] < TIMEOUT + 3


NODE_SCRIPT = """
const { fromIni } = require("@aws-sdk/credential-providers");
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");
(async () => {
  const profile = process.argv[2];
  const client = new STSClient({ region: "eu-west-1", credentials: fromIni({ profile }) });
  const answer = await client.send(new GetCallerIdentityCommand({}));
  console.log(answer.Arn);
})().catch((error) => { console.error(error.name); process.exit(1); });
"""


@pytest.fixture(scope="session")
def node_sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The AWS SDK for JavaScript v3, installed from npm with the machine's Node.js (once per test session)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js and npm are not installed on this machine: the JS SDK check needs them")
    where = tmp_path_factory.mktemp("jssdk")
    (where / "package.json").write_text('{"name": "check", "private": true}')
    done = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--silent", "@aws-sdk/client-sts", "@aws-sdk/credential-providers"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"npm could not install the AWS SDK for JavaScript v3: {done.stderr[-300:]}")
    (where / "whoami.js").write_text(NODE_SCRIPT)
    return where


def test_the_javascript_sdk_reads_what_the_tool_wrote(
    node_sdk: Path, sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    """The session in [NAME], a role from it, and a credential_process profile, all as the JS SDK v3 resolves them
    from the files the tool wrote, through the sandbox."""
    from tests.engineer.test_credential_process import render_credential_process_layout

    eng = daily_setup.engineer(sandbox, fresh_user, tmp_path)
    dev = sandbox.accounts["DEV"]
    render_credential_process_layout(sandbox, eng, [("example-dev_admin", dev.role_arn("ADMIN"))], tmp_path)
    filled = invoke(
        "credential-process",
        "--profile",
        eng.name,
        "--token-code-command",
        eng.device.command(tmp_path / "n"),
        prints_secrets=True,
    )
    assert filled.returncode == 0, filled.stderr
    with aws_env.config.open("a") as config:
        config.write("\n[profile plain-session]\nregion = eu-west-1\n")
    session = json.loads(filled.stdout)
    with aws_env.credentials.open("a") as credentials:
        credentials.write(
            f"\n[plain-session]\naws_access_key_id = {session['AccessKeyId']}\n"
            f"aws_secret_access_key = {session['SecretAccessKey']}\naws_session_token = {session['SessionToken']}\n"
        )
    expected = {
        eng.name: f"user/{fresh_user.name}",  # its credential_process line
        "example-dev_admin": f"assumed-role/{dev.roles['ADMIN']}/",  # a role, its source that line
        "plain-session": f"user/{fresh_user.name}",  # a session written into the credentials file
    }
    for profile, shown in expected.items():
        done = subprocess.run(
            ["node", "whoami.js", profile], cwd=node_sdk, capture_output=True, text=True, timeout=60, check=False
        )
        record(done.stdout + done.stderr)
        assert done.returncode == 0, f"{profile}: {done.stderr}"
        assert shown in done.stdout, profile
