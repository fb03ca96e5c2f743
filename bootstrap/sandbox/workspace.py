"""A throw-away place to try the tool against a running sandbox: empty AWS files, the organisation's CONST.inc and
users.yaml, an ``env.sh`` with the exports, and each seeded user's one-time secret in a 0600 file. For the
platform team's side, ``admin/`` holds AWS files with a profile per account (``<account name>-admin``, the
sandbox's platform-admin) and ``admin.env.sh`` points the ``org`` commands at them.

Secrets are never printed: the ``sandbox`` command shows the access key id and the path of the secret's file, so
``--secret-access-key-stdin < that file`` hands it to the tool without it reaching the terminal or shell history.
"""

from __future__ import annotations

import shlex
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bootstrap.awsfiles.safewrite import private_dir, write_private
from bootstrap.errors import InputError
from bootstrap.sandbox import Sandbox

TEMPLATES = ("aws-cli.config.tpl", "aws-cli.credentials.tpl")

# Ambient identity that would win over the throw-away files.
CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


@dataclass(frozen=True)
class Workspace:
    root: Path
    config: Path
    credentials: Path
    const_file: Path
    env_file: Path
    secret_files: Mapping[str, Path]  # user name -> file holding their one-time secret access key (0600)
    mfa_seed_files: Mapping[str, Path]  # user name -> file holding their MFA device's Base32 seed (0600)
    exports: tuple[tuple[str, str], ...]
    temporary: bool  # made by us: removed by ``remove``
    users_file: Path | None = None
    admin_env_file: Path | None = None
    admin_exports: tuple[tuple[str, str], ...] = ()

    def shell_lines(self, exports: tuple[tuple[str, str], ...] | None = None) -> list[str]:
        lines = [f"export {name}={shlex.quote(value)}" for name, value in (exports or self.exports)]
        return [*lines, f"unset {' '.join(CLEARED)}"]

    def remove(self) -> None:
        if self.temporary:
            shutil.rmtree(self.root, ignore_errors=True)


MARKER = ".aws-iam-bootstrap-sandbox"
# What a workspace writes whatever is there: a directory holding any of these that no sandbox wrote is refused.
WRITTEN = ("CONST.inc", "env.sh", "admin.env.sh", "admin")


def prepare_workspace(sandbox: Sandbox, directory: Path | None = None) -> Workspace:
    """Write the workspace into ``directory`` (created 0700 if missing), or a new temporary directory.

    A directory given is refused when it holds files a workspace would replace and no sandbox wrote them (a team's
    own CONST.inc, say); one an earlier sandbox prepared (it carries the marker) is used again."""
    temporary = directory is None
    root = Path(tempfile.mkdtemp(prefix="aws-iam-bootstrap-sandbox-")) if directory is None else directory
    if directory is not None and not (root / MARKER).exists():
        taken = sorted(name for name in WRITTEN if (root / name).exists())
        if taken:
            raise InputError(
                f"{root} already holds {', '.join(taken)}, which the sandbox would replace, and no sandbox wrote "
                "them: pass --dir a new or empty directory"
            )
    private_dir(root)
    write_private(root / MARKER, "written by aws-iam-bootstrap sandbox: it may replace the files here\n", backup=False)
    aws_dir = root / "aws"
    private_dir(aws_dir)
    config, credentials = aws_dir / "config", aws_dir / "credentials"
    for path in (config, credentials):
        if not path.exists():
            write_private(path, "", backup=False)
    const_file = root / "CONST.inc"
    write_private(const_file, sandbox.const_inc(), backup=False)
    users_file = root / "users.yaml"
    if not users_file.exists():
        write_private(users_file, sandbox.users_yaml(), backup=False)
    # The project's example templates fit the sandbox's organisation: next to CONST.inc, `render` run in this
    # directory finds all three. (Only a source checkout has them; an installed wheel does not.)
    checkout = Path(__file__).resolve().parents[2]
    for template in TEMPLATES:
        source = checkout / template
        if source.is_file() and not (root / template).exists():
            write_private(root / template, source.read_text(encoding="utf-8"), backup=False)
    secret_files: dict[str, Path] = {}
    seed_files: dict[str, Path] = {}
    for name, user in sandbox.users.items():
        secret_files[name] = root / f"{name}.secret"
        write_private(secret_files[name], user.one_time_key.secret_access_key + "\n", backup=False)
        if user.mfa_seed:
            seed_files[name] = root / f"{name}.mfa-seed"
            write_private(seed_files[name], user.mfa_seed + "\n", backup=False)
    exports = (
        *sandbox.environ().items(),
        ("AWS_CONFIG_FILE", str(config)),
        ("AWS_SHARED_CREDENTIALS_FILE", str(credentials)),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    )
    admin_exports = _admin_files(sandbox, root / "admin")
    workspace = Workspace(
        root,
        config,
        credentials,
        const_file,
        root / "env.sh",
        secret_files,
        seed_files,
        exports,
        temporary,
        users_file,
        root / "admin.env.sh",
        (*sandbox.environ().items(), *admin_exports),
    )
    write_private(workspace.env_file, "\n".join(workspace.shell_lines()) + "\n", backup=False)
    assert workspace.admin_env_file is not None
    admin_lines = workspace.shell_lines(workspace.admin_exports)
    write_private(workspace.admin_env_file, "\n".join(admin_lines) + "\n", backup=False)
    return workspace


def _admin_files(sandbox: Sandbox, directory: Path) -> tuple[tuple[str, str], ...]:
    """AWS files with a profile per account of the sandbox's platform-admin, and the exports that make the org
    commands use them (IAM calls: moto's CloudFormation cannot create groups or change a trust)."""
    from bootstrap.org.accounts import PROFILES_ENV
    from bootstrap.org.model import USERS_ENV

    private_dir(directory)
    org = sandbox.organisation
    accounts = [(USERS_ENV, org.users_account_id, org.users_account_name)]
    accounts += [(a.env, a.id, a.name) for a in org.accounts]
    config, credentials, profiles = [], [], []
    for env, account_id, name in accounts:
        key = sandbox.admin_key(account_id)
        profile = f"{name}-admin"
        profiles.append(f"{env}={profile}")
        config.append(f"[profile {profile}]\nregion = {sandbox.region}\n")
        credentials.append(
            f"[{profile}]\naws_access_key_id = {key.access_key_id}\naws_secret_access_key = {key.secret_access_key}\n"
        )
    write_private(directory / "config", "\n".join(config), backup=False)
    write_private(directory / "credentials", "\n".join(credentials), backup=False)
    return (
        ("AWS_CONFIG_FILE", str(directory / "config")),
        ("AWS_SHARED_CREDENTIALS_FILE", str(directory / "credentials")),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        (PROFILES_ENV, " ".join(profiles)),
        ("AWS_IAM_BOOTSTRAP_APPLY_VIA", "iam"),
    )


def start_with_workspace(
    *, port: int = 0, directory: Path | None = None, journal: Path | None = None, moto_api: bool = False
) -> tuple[Sandbox, Workspace]:
    """Start the seeded sandbox and prepare its workspace (what the ``sandbox`` command runs)."""
    from bootstrap.sandbox import start_sandbox

    sandbox = start_sandbox(port=port, journal=journal, moto_api=moto_api)
    try:
        return sandbox, prepare_workspace(sandbox, directory)
    except BaseException:
        sandbox.stop()
        raise
