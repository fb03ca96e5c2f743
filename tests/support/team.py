"""A team repository and a throw-away HOME, for the tests of `render` and the other team-file commands."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.session

from tests.support import canaries
from tests.support.cli import Run, invoke

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "fixtures" / "seed001"
KEY_ID = canaries.CANARY_ACCESS_KEY_ID
SECRET = canaries.CANARY_SECRET
SERIAL = "arn:aws:iam::210987654321:mfa/alice"


@dataclass
class Workspace:
    """A team repository (``repo``) and a throw-away HOME whose AWS files the tool writes."""

    repo: Path
    home: Path
    env: dict[str, str]

    @property
    def config(self) -> Path:
        return self.home / ".aws" / "config"

    @property
    def credentials(self) -> Path:
        return self.home / ".aws" / "credentials"

    def render(self, *args: str, secret: str | None = None, cwd: Path | None = None) -> Run:
        """Run ``render`` with no terminal: a secret, when given, arrives on stdin."""
        if secret is not None:
            args = (*args, "--access-key-id", KEY_ID, "--secret-access-key-stdin")
        return invoke("render", *args, input=f"{secret}\n" if secret else "", env=self.env, cwd=cwd or self.repo)

    def profiles(self) -> dict[str, Any]:
        """The profiles exactly as botocore's own session reads them from the written files."""
        session = botocore.session.Session()
        session.set_config_variable("config_file", str(self.config))
        session.set_config_variable("credentials_file", str(self.credentials))
        profiles: dict[str, Any] = session.full_config["profiles"]
        return profiles


def workspace_from(tmp_path: Path, source: Path, *, const: str = "CONST.inc") -> Workspace:
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(source / const, repo / "CONST.inc")
    for name in ("aws-cli.config.tpl", "aws-cli.credentials.tpl"):
        shutil.copy(source / name, repo / name)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(home),
        AWS_CONFIG_FILE=str(home / ".aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return Workspace(repo, home, env)
