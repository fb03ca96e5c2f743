"""Finding the team's input files: CONST.inc and the two templates, as given, else in the current directory, else
at the root of the git repository it is in (walked, not asked of git: no subprocess).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bootstrap.errors import InputError

CONST_FILE: Final = "CONST.inc"
CONFIG_TEMPLATE: Final = "aws-cli.config.tpl"
CREDENTIALS_TEMPLATE: Final = "aws-cli.credentials.tpl"


@dataclass(frozen=True)
class RenderInputs:
    const_file: Path
    config_template: Path
    credentials_template: Path


def git_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding ``.git`` (walked, not asked of git: no subprocess)."""
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def _locate(cwd: Path, given: Path | None, name: str, flag: str) -> Path:
    if given is not None:
        path = given if given.is_absolute() else cwd / given
        if not path.is_file():
            raise InputError(f"{path}: no such file ({flag})")
        return path
    root = git_root(cwd)
    for directory in (cwd, root):
        if directory is not None and (directory / name).is_file():
            return directory / name
    where = f"{cwd} or the git root {root}" if root and root != cwd else str(cwd)
    raise InputError(f"{name} not found in {where}; pass {flag}")


def find_const(cwd: Path, const_file: Path | None = None) -> Path:
    """CONST.inc: as given, else in ``cwd``, else at the git root above it."""
    return _locate(cwd.resolve(), const_file, CONST_FILE, "--const-file")


def find_inputs(
    cwd: Path,
    *,
    const_file: Path | None = None,
    config_template: Path | None = None,
    credentials_template: Path | None = None,
) -> RenderInputs:
    """The three input files: as given, else in ``cwd``, else at the git root above it."""
    cwd = cwd.resolve()
    return RenderInputs(
        const_file=_locate(cwd, const_file, CONST_FILE, "--const-file"),
        config_template=_locate(cwd, config_template, CONFIG_TEMPLATE, "--config-template"),
        credentials_template=_locate(cwd, credentials_template, CREDENTIALS_TEMPLATE, "--credentials-template"),
    )
