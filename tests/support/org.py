"""A team repository of its own organisation inside the shared sandbox, for the ``org`` commands' tests.

The sandbox is shared by every test of a worker, and ``org apply`` makes accounts hold exactly what the users file
says: applied to the seeded organisation, it would take every other test's users out of the trusts. So each test
gets fresh account ids and suffixes (moto makes an account on first use), with the sandbox's platform-admin in
each (``Sandbox.admin_key``) behind AWS profiles, as a platform team's admin would have them.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.support.cli import Run, invoke

if TYPE_CHECKING:
    from bootstrap.credentials import Credentials
    from bootstrap.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
_numbers = itertools.count(1)
KINDS = ("ADMIN", "OPS", "READ")


def _account_id() -> str:
    return str(secrets.randbelow(9 * 10**11) + 10**11)


def _suffix() -> str:
    from bootstrap.org import naming

    return naming.new_suffix()


@dataclass
class OrgRepo:
    """A team repository (CONST.inc, users.yaml, the example templates) and the admin's AWS files."""

    sandbox: Sandbox
    root: Path
    ids: dict[str, str]  # env -> account id (USERS, DEV, PROD)
    suffix: str
    roles: dict[str, dict[str, str]]  # env -> kind -> role name
    env: dict[str, str]  # the admin's environment: endpoint, AWS files, profiles, --via iam

    @property
    def users_file(self) -> Path:
        return self.root / "users.yaml"

    def org(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Run:
        """``aws-iam-bootstrap org ARGS`` run by the admin in the repository."""
        return invoke("org", *args, input=input, env=env or self.env, cwd=self.root)

    def role_arn(self, env: str, kind: str) -> str:
        return f"arn:aws:iam::{self.ids[env]}:role/{self.roles[env][kind]}"

    def iam(self, env: str = "USERS") -> Any:
        """The admin's IAM client of an account (to look at what the commands did)."""
        return self.sandbox._admin_client("iam", self.ids[env])


def make_repo(sandbox: Sandbox, tmp_path: Path, users_yaml: str = "users: {}\n") -> OrgRepo:
    number = next(_numbers)
    ids = {env: _account_id() for env in ("USERS", "DEV", "PROD")}
    suffix = _suffix()
    role_suffix = {env: _suffix() for env in ("DEV", "PROD")}
    words = {"ADMIN": "Admin", "OPS": "Ops", "READ": "Read"}
    roles = {env: {k: f"infra-{words[k]}R-{role_suffix[env]}" for k in KINDS} for env in ("DEV", "PROD")}
    names = {env: f"t{number}-{env.lower()}" for env in ids}
    lines = [f"GLOBAL_AWS_REGION={sandbox.region}", ""]
    lines += [f"USERS_AWS_ACCOUNT_ID={ids['USERS']}", f"USERS_AWS_ACCOUNT_NAME={names['USERS']}"]
    lines += [f"USERS_IAM_GROUP_SUFFIX={suffix}", ""]
    for prefix in ("DEV", "PROD"):
        lines += [f"{prefix}_AWS_ACCOUNT_ID={ids[prefix]}", f"{prefix}_AWS_ACCOUNT_NAME={names[prefix]}"]
        lines += [f"{prefix}_IAM_{kind}_ROLE={roles[prefix][kind]}" for kind in KINDS]
        lines.append("")
    root = tmp_path / f"repo{number}"
    root.mkdir()
    (root / ".git").mkdir()  # a repository root: CONST.inc is found here
    (root / "CONST.inc").write_text("\n".join(lines))
    (root / "users.yaml").write_text(users_yaml)
    for template in ("aws-cli.config.tpl", "aws-cli.credentials.tpl"):
        shutil.copy(ROOT / template, root / template)
    admin = tmp_path / f"admin{number}"
    admin.mkdir(mode=0o700)
    config, credentials, profiles = [], [], []
    for name, account_id in ids.items():
        key = sandbox.admin_key(account_id)
        profile = f"{names[name]}-admin"
        profiles.append(f"{name}={profile}")
        config.append(f"[profile {profile}]\nregion = {sandbox.region}\n")
        credentials.append(
            f"[{profile}]\naws_access_key_id = {key.access_key_id}\naws_secret_access_key = {key.secret_access_key}\n"
        )
    (admin / "config").write_text("\n".join(config))
    (admin / "credentials").write_text("\n".join(credentials))
    (admin / "credentials").chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(sandbox.environ())
    env.update(
        HOME=str(admin),
        AWS_CONFIG_FILE=str(admin / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(admin / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_IAM_BOOTSTRAP_ORG_PROFILES=" ".join(profiles),
        AWS_IAM_BOOTSTRAP_APPLY_VIA="iam",
    )
    return OrgRepo(sandbox, root, ids, suffix, roles, env)


def handover_key(path: Path) -> Credentials:
    """The one-time key in a handover note (never recorded for the canary scan: holding secrets is its job)."""
    from bootstrap.credentials import Credentials

    text = path.read_text()
    fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line and not line.startswith("#"))
    return Credentials(fields["one-time access key id"], fields["one-time secret access key"])
