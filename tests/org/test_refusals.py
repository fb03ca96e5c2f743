"""Bad input to the org commands: a clear error, exit 2, and nothing changed, in the users file or in any account."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.org import OrgRepo, make_repo

if TYPE_CHECKING:
    from bootstrap.sandbox import Sandbox


@pytest.fixture
def repo(sandbox: Sandbox, tmp_path: Path) -> OrgRepo:
    made = make_repo(sandbox, tmp_path, "# our people\nusers:\n  alice:\n    DEV: [ADMIN]\n")
    assert made.org("apply", "--yes").returncode == 0
    return made


def snapshot(repo: OrgRepo) -> dict[str, Any]:
    """Everything the commands could have changed: the users file, the users, each role's trust."""
    trusts = {
        role: repo.iam(env).get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        for env in ("DEV", "PROD")
        for role in repo.roles[env].values()
    }
    users = sorted(u["UserName"] for u in repo.iam().list_users()["Users"])
    return {"file": repo.users_file.read_text(), "users": users, "trusts": trusts}


def test_an_unknown_environment(repo: OrgRepo) -> None:
    before = snapshot(repo)
    run = repo.org("add-user", "carol", "--grant", "QA:READ", "--yes")
    assert run.returncode == 2
    assert "Error: " in run.stderr
    assert "no environment 'QA' in CONST.inc (known: DEV, PROD)" in run.stderr
    assert snapshot(repo) == before


def test_a_profile_in_the_wrong_account(repo: OrgRepo) -> None:
    before = snapshot(repo)
    profiles = repo.env["AWS_IAM_BOOTSTRAP_ORG_PROFILES"].split()
    dev = next(p for p in profiles if p.startswith("DEV=")).split("=")[1]
    prod = next(p for p in profiles if p.startswith("PROD=")).split("=")[1]
    run = repo.org("grant", "alice", "PROD:READ", "--yes", "--profile", f"PROD={dev}")
    assert run.returncode == 2, run.output
    assert f"profile {dev} is in account {repo.ids['DEV']}" in run.stderr
    assert f"CONST.inc says PROD is {repo.ids['PROD']}: nothing was changed" in run.stderr
    assert prod  # the right one was there to be used
    after = snapshot(repo)
    assert after["trusts"] == before["trusts"]
    assert after["users"] == before["users"]


def test_a_trust_over_the_size_quota(repo: OrgRepo) -> None:
    many = "".join(f"  engineer-number-{n:03d}:\n    DEV: [READ]\n" for n in range(60))
    repo.users_file.write_text(repo.users_file.read_text() + many)
    before = snapshot(repo)
    run = repo.org("apply", "--yes")
    assert run.returncode == 2, run.output
    assert "DEV role infra-ReadR-" in run.stderr
    assert "over IAM's quota of 2,048: IAM would refuse it" in run.stderr
    assert "granted_by_group" in run.stderr  # the way out for a large team
    assert "nothing was changed" in run.stderr
    assert snapshot(repo) == before
    check = repo.org("check", "--no-lint")
    assert check.returncode == 1
    assert "60 people, over IAM's quota of 2,048" in check.stdout


def test_without_a_terminal_apply_names_the_flag(repo: OrgRepo) -> None:
    before = snapshot(repo)
    run = repo.org("grant", "alice", "PROD:READ")
    assert run.returncode == 5, run.output
    assert "pass --yes" in run.stderr
    assert snapshot(repo)["trusts"] == before["trusts"]
