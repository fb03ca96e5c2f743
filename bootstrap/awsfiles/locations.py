"""Where every file the tool reads or keeps lives, decided in one place.

- The AWS files: ``AWS_CONFIG_FILE`` / ``AWS_SHARED_CREDENTIALS_FILE`` when set, else ``~/.aws/config`` and
  ``~/.aws/credentials`` (as botocore finds them).
- Beside each AWS file, as named (not beside a symlink's target, which is usually a dotfiles repository): its
  backups ``<name>.bak-<UTC time>`` and its prune ledger ``.<name>.aws-iam-bootstrap.json``.
- Beside the target of each file the tool replaces (where the atomic rename has to happen): the lock
  ``.<name>.lock``.
- The tool's own files, in ``aws-iam-bootstrap/`` beside the credentials file (so a sandbox's or a test's AWS
  files keep their own): onboarding and rotation progress, the credential-process session cache, the debug log.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AwsPaths:
    """Where the SDKs look for the two AWS files."""

    config: Path
    credentials: Path


def aws_paths(environ: Mapping[str, str] | None = None) -> AwsPaths:
    """``AWS_CONFIG_FILE`` / ``AWS_SHARED_CREDENTIALS_FILE`` when set, else ``~/.aws/config`` and ``credentials``."""
    env = os.environ if environ is None else environ
    home = env.get("HOME") or str(Path.home())

    def pick(variable: str, default: str) -> Path:
        value = env.get(variable) or default
        # as botocore does (expanduser), but with this environment's HOME
        if value == "~" or value.startswith("~/"):
            return Path(home + value[1:])
        return Path(value).expanduser()

    return AwsPaths(
        config=pick("AWS_CONFIG_FILE", "~/.aws/config"),
        credentials=pick("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
    )


TOOL_DIR = "aws-iam-bootstrap"
LEDGER_SUFFIX = ".aws-iam-bootstrap.json"
BACKUP_INFIX = ".bak-"


def named(path: Path) -> Path:
    """``path`` made absolute without resolving symlinks: the link, not its target."""
    return path.absolute()


def target_of(path: Path) -> Path:
    """The file a write to ``path`` really changes: ``path`` itself, or what its symlink(s) point at."""
    return Path(os.path.realpath(path))


def lock_path(path: Path, *, follow_links: bool = True) -> Path:
    """The sidecar file flocked while ``path`` is changed: beside its target, where the atomic rename happens (or,
    for the tool's own files, which are never written through a link, beside the path as named)."""
    target = target_of(path) if follow_links else named(path)
    return target.with_name(f".{target.name}.lock")


def backup_prefix(path: Path) -> Path:
    """Backups of ``path`` are ``<this><UTC time>``: beside the path as named, so that copies of secrets never
    appear as untracked files in the dotfiles repository a symlink points into."""
    at = named(path)
    return at.with_name(at.name + BACKUP_INFIX)


def ledger_path(path: Path) -> Path:
    """The prune ledger of an AWS file (see ``ledger``), beside it as named, like its backups."""
    at = named(path)
    return at.with_name(f".{at.name}{LEDGER_SUFFIX}")


def tool_dir(paths: AwsPaths) -> Path:
    """The directory of the tool's own files, beside the credentials file they belong to."""
    return named(paths.credentials).parent / TOOL_DIR


def progress_file(paths: AwsPaths, command: str, profile: str) -> Path:
    """Where ``onboard`` or ``rotate-key`` records how far it got for ``profile``."""
    return tool_dir(paths) / f"{command}-{profile}.json"


def profile_lock(paths: AwsPaths, profile: str) -> Path:
    """The file locked while ``onboard`` or ``rotate-key`` works on ``profile``'s keys (one run at a time)."""
    return tool_dir(paths) / profile


def cache_dir(paths: AwsPaths) -> Path:
    """The credential-process session cache."""
    return tool_dir(paths) / "cache"


def debug_log(paths: AwsPaths) -> Path:
    """Where ``--debug`` writes the (masked) traceback of an error nobody foresaw."""
    return tool_dir(paths) / "debug.log"
