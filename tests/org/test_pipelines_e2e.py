"""Pipelines end to end on the sandbox, through the real commands: one created (users.yaml, the accounts, its key
in a 0600 file), run as the pipeline runs (`exec` with its key in the environment), proven by `pipeline check`;
then broken by hand three ways (an action added to its user, a principal added to its role's trust, a longer
session allowed) and each break reported, and `org apply` putting it right. GitHub OIDC pipelines proven by the same
check. No secret in any output, or in the journal.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bootstrap.credentials import Credentials
from tests.support.cli import BIN, Run, cli, invoke
from tests.support.org import OrgRepo, make_repo

if TYPE_CHECKING:
    from bootstrap.sandbox import Sandbox

pytestmark = pytest.mark.slow

DEPLOY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:GetObject"], "Resource": "*"}],
}


@pytest.fixture
def repo(sandbox: Sandbox, tmp_path: Path) -> OrgRepo:
    made = make_repo(sandbox, tmp_path)
    (made.root / "policies").mkdir()
    (made.root / "policies" / "deploy-web.json").write_text(json.dumps(DEPLOY, indent=2))
    return made


def pipeline(repo: OrgRepo, *args: str) -> Run:
    return invoke("pipeline", *args, env=repo.env, cwd=repo.root)


def read_key(path: Path) -> Credentials:
    """The key in a pipeline's handover file (never recorded for the canary scan: holding it is the file's job)."""
    fields = dict(line.split(": ", 1) for line in path.read_text().splitlines() if ": " in line)
    key_id = next(v for k, v in fields.items() if k.startswith("access key id"))
    secret = next(v for k, v in fields.items() if k.startswith("secret access key"))
    return Credentials(key_id, secret)


def profile_of(stdout: str) -> str:
    """The AWS config profile `pipeline create` printed, as the pipeline's owner copies it."""
    lines = stdout.splitlines()
    start = lines.index("[profile deploy-web]")
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("region = "))
    return "\n".join(lines[start : end + 1]) + "\n"


def run_as_pipeline(repo: OrgRepo, tmp_path: Path, key: Credentials, profile: str, *command: str) -> Run:
    """``aws-iam-bootstrap exec`` in a fresh process that has only what a CI job has: the key in its environment
    (from its secrets) and the printed profile in its AWS config."""
    config = tmp_path / "ci-config"
    config.write_text(profile)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(repo.sandbox.environ())
    env.update(
        HOME=str(tmp_path),
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_ACCESS_KEY_ID=key.access_key_id,
        AWS_SECRET_ACCESS_KEY=key.secret_access_key,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return cli("exec", "--profile", "deploy-web", "--", *command, env=env)


def check(repo: OrgRepo, name: str = "deploy-web") -> Run:
    return pipeline(repo, "check", name)


def test_create_run_prove_break_three_ways_and_repair(
    repo: OrgRepo, tmp_path: Path, journal: Callable[[], list[dict[str, Any]]]
) -> None:
    handover = tmp_path / "handed" / "deploy-web.txt"
    created = pipeline(
        repo, "create", "deploy-web", "--account", "DEV", "--role-policy", "policies/deploy-web.json",
        "--yes", "--handover-file", str(handover),
    )  # fmt: skip
    assert created.returncode == 0, created.output
    assert "pipeline user pipeline-deploy-web is new in USERS" in created.stdout
    assert f"in {handover} (mode 0600)" in created.stdout
    assert handover.stat().st_mode & 0o777 == 0o600
    assert "  deploy-web:\n    account: DEV\n    role_policy: policies/deploy-web.json\n" in repo.users_file.read_text()
    users, dev = repo.iam(), repo.iam("DEV")
    assert users.list_user_policies(UserName="pipeline-deploy-web")["PolicyNames"] == ["AssumeItsRoleOnly"]
    assert users.list_groups_for_user(UserName="pipeline-deploy-web")["Groups"] == []
    assert dev.get_role(RoleName="pipeline-deploy-web")["Role"]["MaxSessionDuration"] == 3600

    # The pipeline runs: its key in the environment, the printed profile in its config, one command as its role.
    key = read_key(handover)
    ran = run_as_pipeline(repo, tmp_path, key, profile_of(created.stdout), str(BIN / "aws"), "sts",
                          "get-caller-identity", "--output", "json")  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert ":assumed-role/pipeline-deploy-web/pipeline-deploy-web" in json.loads(ran.stdout)["Arn"]
    refused = run_as_pipeline(repo, tmp_path, key, profile_of(created.stdout), str(BIN / "aws"), "iam", "list-users")
    assert refused.returncode != 0
    assert "AccessDenied" in refused.stderr

    proven = check(repo)
    assert proven.returncode == 0, proven.output
    assert "nothing else: none of the other" in proven.stdout
    assert "iam:ListUsers with the user's key: refused (AccessDenied)" in proven.stdout
    assert "ec2:DescribeInstances with the role's session: refused (UnauthorizedOperation)" in proven.stdout
    assert "a 4500 s session (longer than users.yaml's MaxSessionDuration): refused (ValidationError)" in proven.stdout
    assert "pipeline deploy-web: every proof holds" in proven.stdout
    assert [k["AccessKeyId"] for k in users.list_access_keys(UserName="pipeline-deploy-web")["AccessKeyMetadata"]] == [
        key.access_key_id
    ]  # the check's probe key is gone

    # Break 1: an action added to the user by hand.
    extra = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}],
    }
    users.put_user_policy(UserName="pipeline-deploy-web", PolicyName="Extra", PolicyDocument=json.dumps(extra))
    broken = check(repo)
    assert broken.returncode == 1
    assert (
        "✗ may also do 1 other action(s): s3:ListAllMyBuckets on * (inline policy Extra, statement 1)" in broken.stdout
    )
    assert "✗ s3:ListAllMyBuckets with the user's key: ALLOWED" in broken.stdout
    assert "proof(s) do not hold: permissions, live" in broken.stderr
    users.delete_user_policy(UserName="pipeline-deploy-web", PolicyName="Extra")

    # Break 2: a principal added to the trust (the users account's root: anyone there its policies allow).
    trust = dev.get_role(RoleName="pipeline-deploy-web")["Role"]["AssumeRolePolicyDocument"]
    trust["Statement"][0]["Principal"]["AWS"] = [
        trust["Statement"][0]["Principal"]["AWS"],
        f"arn:aws:iam::{repo.ids['USERS']}:root",
    ]
    dev.update_assume_role_policy(RoleName="pipeline-deploy-web", PolicyDocument=json.dumps(trust))
    broken = check(repo)
    assert broken.returncode == 1
    assert f"✗ the trust also names aws principal arn:aws:iam::{repo.ids['USERS']}:root" in broken.stdout
    assert "✗ another user of the users account" in broken.stdout
    assert "✗ the users account's administrator" in broken.stdout
    assert "assuming it: ALLOWED" in broken.stdout

    # Break 3: longer sessions allowed by hand.
    repaired = repo.org("apply", "--yes")
    assert repaired.returncode == 0, repaired.output
    assert "update the trust of pipeline-deploy-web" in repaired.stdout
    dev.update_role(RoleName="pipeline-deploy-web", MaxSessionDuration=43200)
    broken = check(repo)
    assert broken.returncode == 1
    assert "✗ MaxSessionDuration 43200 s, but users.yaml says 3600 s" in broken.stdout
    assert "✗ a 4500 s session (longer than users.yaml's MaxSessionDuration): GRANTED" in broken.stdout

    assert repo.org("apply", "--yes").returncode == 0
    assert check(repo).returncode == 0
    journal()  # every call above went through the journal: the canary scan reads it for secrets


def test_json_output_and_the_offline_proof(repo: OrgRepo) -> None:
    actions = ["s3:*", "dynamodb:*", "ec2:*", "iam:*"]  # seed 004's example
    seed = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    (repo.root / "policies" / "seed.json").write_text(json.dumps(seed))
    created = pipeline(repo, "create", "seed", "--account", "DEV", "--role-policy", "policies/seed.json", "--no-apply")
    assert created.returncode == 0, created.output
    assert "policies/seed.json holds 14 privilege-escalation path(s) (9 error(s))" in created.stdout
    offline = pipeline(repo, "check", "seed", "--offline", "--output", "json")
    assert offline.returncode == 1
    report = json.loads(offline.stdout)
    assert [(p["key"], p["holds"]) for p in report["proofs"]] == [
        ("permissions", True),
        ("trust", True),
        ("role-policy", False),
    ]
    findings = {f["name"]: f for f in report["proofs"][2]["data"]["findings"]}
    assert findings["policy writes in iam"]["severity"] == "error"
    assert "iam:PassRole" in findings["PassRole to ec2:RunInstances"]["actions"]
    assert report["seconds"]["proofs"] < 1.0


def test_a_github_oidc_pipeline_has_no_key_and_is_proven_by_the_same_check(repo: OrgRepo) -> None:
    created = pipeline(
        repo, "create", "release", "--account", "PROD", "--role-policy", "policies/deploy-web.json",
        "--github-oidc", "acme/api:main", "--yes",
    )  # fmt: skip
    assert created.returncode == 0, created.output
    assert "role-to-assume: arn:aws:iam::" in created.stdout
    assert "id-token: write" in created.stdout
    assert "pipeline-release" not in {u["UserName"] for u in repo.iam().list_users()["Users"]}
    proven = check(repo, "release")
    assert proven.returncode == 0, proven.output
    assert "✓ another branch: refused" in proven.stdout
    assert "✓ OIDC identity provider token.actions.githubusercontent.com, audience sts.amazonaws.com" in proven.stdout

    # Widen the subject by hand to every repository of the owner: reported.
    prod = repo.iam("PROD")
    trust = prod.get_role(RoleName="pipeline-release")["Role"]["AssumeRolePolicyDocument"]
    trust["Statement"][0]["Condition"] = {
        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
        "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"},
    }
    prod.update_assume_role_policy(RoleName="pipeline-release", PolicyDocument=json.dumps(trust))
    broken = check(repo, "release")
    assert broken.returncode == 1
    assert "✗ another repository of the same owner: MAY assume it" in broken.stdout
    assert "✗ its sub condition is ['repo:acme/*'], users.yaml says repo:acme/api:ref:refs/heads/main" in broken.stdout


def test_create_refuses_what_it_cannot_do_and_a_rerun_makes_nothing_new(repo: OrgRepo, tmp_path: Path) -> None:
    handover = tmp_path / "h.txt"
    args = ("create", "web", "--account", "DEV", "--role-policy", "policies/deploy-web.json", "--yes",
            "--handover-file", str(handover))  # fmt: skip
    dry = pipeline(repo, *args, "--dry-run")
    assert dry.returncode == 0, dry.output
    assert "dry run: pipeline-web's key would be made and handed over" in dry.stdout
    assert "web" not in repo.users_file.read_text()
    assert not handover.exists()
    first = pipeline(repo, *args)
    assert first.returncode == 0, first.output
    assert "USERS: create pipeline user pipeline-web (no password, MFA or group; `pipeline create web` hands" in (
        first.stdout
    )
    again = pipeline(repo, *args)
    assert again.returncode == 0, again.output
    assert "pipeline web's key was handed over already: nothing new was made" in again.stdout
    other = pipeline(repo, "create", "web", "--account", "PROD", "--role-policy", "policies/deploy-web.json", "--yes")
    assert other.returncode == 2
    assert "pipeline web is already in the users file, set otherwise" in other.stderr
    unknown = pipeline(repo, "create", "x", "--account", "QA", "--role-policy", "policies/deploy-web.json", "--yes")
    assert unknown.returncode == 2
    assert "no account for environment 'QA'" in unknown.stderr


def test_print_secrets_shows_the_key_only_when_asked(repo: OrgRepo) -> None:
    run = invoke(
        "pipeline", "create", "web", "--account", "DEV", "--role-policy", "policies/deploy-web.json", "--yes",
        "--print-secrets", env=repo.env, cwd=repo.root, prints_secrets=True,
    )  # fmt: skip
    assert run.returncode == 0, run.output
    key = next(k for k in repo.iam().list_access_keys(UserName="pipeline-web")["AccessKeyMetadata"])
    assert f"access key id (WEB_AWS_ACCESS_KEY_ID): {key['AccessKeyId']}\n" in run.stdout
    assert "secret access key (WEB_AWS_SECRET_ACCESS_KEY): " in run.stdout
    assert "secret access key" not in run.stderr
