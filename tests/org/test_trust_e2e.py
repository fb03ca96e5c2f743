"""`trust` on the sandbox, through the real commands: seed 003's Lambda role made by a tool (Zappa), API Gateway
added with a diff and UpdateAssumeRolePolicy, again with nothing to change, a typo refused, a role left to no one
refused, the organisation's own roles refused; a service role declared in users.yaml edited there and applied."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.cli import Run, invoke
from tests.support.org import OrgRepo, make_repo

if TYPE_CHECKING:
    from bootstrap.sandbox import Sandbox

pytestmark = pytest.mark.slow

ROLE = "myproj-dev-ZappaLambdaExecutionRole"
LAMBDA_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@pytest.fixture
def repo(sandbox: Sandbox, tmp_path: Path) -> OrgRepo:
    made = make_repo(sandbox, tmp_path)
    assert made.org("apply", "--yes").returncode == 0
    return made


def trust(repo: OrgRepo, *args: str) -> Run:
    return invoke("trust", *args, env=repo.env, cwd=repo.root)


def deployed(repo: OrgRepo, name: str = ROLE) -> Any:
    return repo.iam("DEV").get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]


def test_seed_003_api_gateway_added_to_a_lambda_role_made_by_a_tool(repo: OrgRepo) -> None:
    repo.iam("DEV").create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(LAMBDA_ONLY))
    shown = trust(repo, "show", ROLE, "--account", "DEV")
    assert shown.returncode == 0, shown.output
    assert "  services:\n    • the AWS service lambda.amazonaws.com\n" in shown.stdout

    typo = trust(repo, "add-service", ROLE, "apigatway.amazonaws.com", "--account", "DEV", "--yes")
    assert typo.returncode == 2
    assert "did you mean apigateway.amazonaws.com" in typo.stderr
    assert deployed(repo) == LAMBDA_ONLY

    dry = trust(repo, "add-service", ROLE, "apigateway", "--account", "DEV", "--dry-run")
    assert dry.returncode == 0, dry.output
    assert '-        "Service": "lambda.amazonaws.com"\n+        "Service": [\n' in dry.stdout
    assert "dry run: nothing was changed" in dry.stdout
    assert deployed(repo) == LAMBDA_ONLY

    added = trust(repo, "add-service", ROLE, "apigateway", "--account", "DEV", "--yes")
    assert added.returncode == 0, added.output
    assert "• the AWS service apigateway.amazonaws.com\n    • the AWS service lambda.amazonaws.com" in added.stdout
    assert deployed(repo) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["apigateway.amazonaws.com", "lambda.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ],
    }  # seed 003's "After", exactly

    again = trust(repo, "add-service", ROLE, "apigateway.amazonaws.com", "--account", "DEV", "--yes")
    assert again.returncode == 0
    assert f"nothing to change: the trust of {ROLE} already says so" in again.stdout

    dead = trust(repo, "remove-service", ROLE, "apigateway", "lambda", "--account", "DEV", "--yes")
    assert dead.returncode == 2
    assert "would leave the role assumable by no one; nothing was changed" in dead.stderr
    removed = trust(repo, "remove-service", ROLE, "apigateway", "--account", "DEV", "--yes")
    assert removed.returncode == 0, removed.output
    assert deployed(repo) == LAMBDA_ONLY


def test_the_organisations_own_roles_are_refused_and_shown(repo: OrgRepo) -> None:
    admin = repo.roles["DEV"]["ADMIN"]
    refused = trust(repo, "add-service", admin, "lambda", "--yes")
    assert refused.returncode == 2
    assert (
        "trust is rendered by the organisation (its trust names people: `org grant` / `org revoke`)" in refused.stderr
    )
    shown = trust(repo, "show", repo.role_arn("DEV", "ADMIN"))
    assert shown.returncode == 0, shown.output
    assert "that its own policies allow (with MFA; MFA at most 12 h old)" in shown.stdout


def test_a_service_role_of_users_yaml_is_edited_there_and_applied(repo: OrgRepo) -> None:
    (repo.root / "logs.json").write_text(
        json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]})
    )
    repo.users_file.write_text(
        "users: {}\nservice_roles:\n  zappa-exec:   # the Lambda's execution role\n    account: DEV\n"
        "    services: [lambda.amazonaws.com]\n    policy: logs.json\n"
    )
    assert repo.org("apply", "--yes").returncode == 0
    added = trust(repo, "add-service", "zappa-exec", "apigateway", "--yes")
    assert added.returncode == 0, added.output
    assert "zappa-exec is declared in" in added.stdout
    assert "the trust of role zappa-exec changes in DEV" in added.stdout
    assert "  zappa-exec:   # the Lambda's execution role\n" in repo.users_file.read_text()
    assert "    services: [lambda.amazonaws.com, apigateway.amazonaws.com]\n" in repo.users_file.read_text()
    services = deployed(repo, "zappa-exec")["Statement"][0]["Principal"]["Service"]
    assert services == ["apigateway.amazonaws.com", "lambda.amazonaws.com"]
    assert repo.org("plan").stdout.count("no change") == 1  # the next apply would not undo it
