"""The platform side end to end on the sandbox, through the real commands: a person added, onboarded with the key
she was handed, granted, revoked and removed; the engineer's side proves each step with `onboard` and `verify`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.org import OrgRepo, handover_key, make_repo

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.credentials import Credentials
    from bootstrap.engineer.verify import VerifyReport
    from bootstrap.sandbox import Sandbox

pytestmark = pytest.mark.slow


@pytest.fixture
def repo(sandbox: Sandbox, tmp_path: Path) -> OrgRepo:
    made = make_repo(sandbox, tmp_path)
    assert made.org("apply", "--yes").returncode == 0  # the organisation's groups and roles, nobody in them
    return made


class Engineer:
    """carol's side: onboard with the handed key (the built-in authenticator scans her QR code), then verify."""

    def __init__(self, repo: OrgRepo, paths: AwsPaths) -> None:
        from bootstrap.engineer import codes
        from tests.support.clock import shared_clock

        self.repo, self.paths = repo, paths
        clock = shared_clock()
        assert clock is not None
        self.clock = clock
        self.phone = codes.Authenticator(clock)

    def onboard(self, key: Credentials) -> None:
        from bootstrap.engineer import onboard
        from bootstrap.prompts import NoPrompter
        from bootstrap.team.inputs import find_inputs

        options = onboard.OnboardOptions(paths=self.paths, inputs=find_inputs(self.repo.root), one_time_key=key)
        onboard.onboard(options, NoPrompter(), self.phone, self.phone.observe, clock=self.clock)

    def verify(self) -> VerifyReport:
        from bootstrap.engineer import verify

        organisation = verify.load_organisation(None, self.repo.root)
        return verify.verify(self.paths, self.phone, organisation=organisation, clock=self.clock)

    def results(self) -> dict[str, str]:
        """profile -> ok/failed, for the role profiles (``NAME_kind``) of the repository's accounts."""
        return {c.profile: c.result for c in self.verify().checks if "_" in c.profile}


def test_add_user_onboard_grant_revoke_remove(repo: OrgRepo, aws_env: AwsPaths, tmp_path: Path) -> None:
    handover = tmp_path / "handed" / "carol.txt"
    run = repo.org(
        "add-user", "carol", "--grant", "DEV:ADMIN", "--grant", "PROD:READ", "--yes", "--handover-file", str(handover)
    )
    assert run.returncode == 0, run.output
    assert "carol is new: ADMIN on DEV, READ on PROD" in run.stdout
    assert f"in {handover} (mode 0600)" in run.stdout
    assert handover.stat().st_mode & 0o777 == 0o600
    assert handover.parent.stat().st_mode & 0o777 == 0o700
    assert "carol:\n    DEV: [ADMIN]\n    PROD: [READ]\n" in repo.users_file.read_text()
    iam = repo.iam()
    assert iam.get_login_profile(UserName="carol")["LoginProfile"]["PasswordResetRequired"] is True
    groups = {g["GroupName"] for g in iam.list_groups_for_user(UserName="carol")["Groups"]}
    assert groups == {f"infra-AssumeRoleG-{repo.suffix}", f"infra-ManageOwnUserG-{repo.suffix}"}

    # Run again: nothing new is made, and the key she holds still works.
    again = repo.org(
        "add-user", "carol", "--grant", "DEV:ADMIN", "--grant", "PROD:READ", "--yes", "--handover-file", str(handover)
    )
    assert again.returncode == 0, again.output
    assert "handed over already" in again.stdout

    carol = Engineer(repo, aws_env)
    carol.onboard(handover_key(handover))
    seen = carol.results()
    prefix = next(p for p in seen if p.endswith("-dev_admin")).removesuffix("-dev_admin")
    dev, prod = f"{prefix}-dev", f"{prefix}-prod"
    assert seen == {
        f"{dev}_admin": "ok",
        f"{dev}_ops": "failed",
        f"{dev}_read": "failed",
        f"{prod}_admin": "failed",
        f"{prod}_ops": "failed",
        f"{prod}_read": "ok",
    }

    granted = repo.org("grant", "carol", "DEV:OPS", "--yes")
    assert granted.returncode == 0, granted.output
    assert "carol gains OPS on DEV" in granted.stdout
    assert carol.results()[f"{dev}_ops"] == "ok"

    revoked = repo.org("revoke", "carol", "PROD:READ", "--yes")
    assert revoked.returncode == 0, revoked.output
    assert "carol loses READ on PROD" in revoked.stdout, revoked.stdout[:300]
    after = carol.verify()
    refused = {c.profile: c for c in after.checks if c.result == "failed"}
    assert refused[f"{prod}_read"].reason == "not in the trust policy"
    assert "PROD: [READ]" not in repo.users_file.read_text()

    removed = repo.org("remove-user", "carol", "--yes")
    assert removed.returncode == 0, removed.output
    assert "carol leaves: loses ADMIN and OPS on DEV" in removed.stdout
    assert "carol" not in repo.users_file.read_text()
    names = {u["UserName"] for u in iam.list_users()["Users"]}
    assert "carol" not in names
    assert not [d for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"] if "carol" in d["SerialNumber"]]
    for env in ("DEV", "PROD"):
        for role in repo.roles[env].values():
            trust = repo.iam(env).get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
            assert ":user/carol" not in str(trust)
    # Again: nothing left to remove, nothing fails.
    assert repo.org("remove-user", "carol", "--yes").returncode == 0


def test_print_secrets_shows_them_only_when_asked(repo: OrgRepo) -> None:
    from tests.support.cli import invoke

    run = invoke(
        "org",
        "add-user",
        "dave",
        "--grant",
        "DEV:READ",
        "--yes",
        "--print-secrets",
        env=repo.env,
        cwd=repo.root,
        prints_secrets=True,
    )
    assert run.returncode == 0, run.output
    assert "temporary console password (to be changed at the first sign-in): " in run.stdout
    assert "one-time secret access key: " in run.stdout
    assert "secret" not in run.stderr
