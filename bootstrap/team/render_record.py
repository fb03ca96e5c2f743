"""What the last render read and wrote, so that a render with nothing to change is answered without rendering.

A render is a function of its inputs (CONST.inc, the two templates, ``--set`` values, the names given on the
command line, the command a ``credential_process`` line runs, ``--prune``) and of the two AWS files and their prune
ledgers as they are. After a render has written (or found nothing to write), a digest of all of these, with the
files as they are now, is kept in the tool's directory beside the credentials file, with the names the render took
back from the files and the ``credential_process`` lines it wrote. A render whose inputs and files give the same
digest would write exactly what is there: it says so without reading CONST.inc, rendering or merging. Its
``credential_process`` warnings depend on PATH, not on the files, so they are worked out again.

The record holds no secret (a SHA-256 digest of the files cannot be turned back into them). A render given a key
on the command line never takes this path. A lost, damaged or another user's record only means the next render
does the whole work; any change to any input or file, even a byte of whitespace, does too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bootstrap import __version__
from bootstrap.awsfiles import safewrite
from bootstrap.awsfiles.jsonstore import JsonStore
from bootstrap.awsfiles.locations import ledger_path, tool_dir
from bootstrap.errors import InputError, StateError

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.team.inputs import RenderInputs

VERSION = 1
ABOUT = "a digest of what aws-iam-bootstrap render last read and wrote, so that an unchanged render is answered at once"


@dataclass(frozen=True)
class Snapshot:
    """The digest of a render's inputs and of the AWS files as they are, and the files' texts (None: missing)."""

    digest: str
    config_text: str | None
    credentials_text: str | None


@dataclass(frozen=True)
class Recorded:
    """What the render that left the files as they are said: names it took back, credential_process lines."""

    recovered: tuple[str, ...]
    processes: Mapping[str, str]  # profile -> its credential_process line


def take(
    inputs: RenderInputs,
    paths: AwsPaths,
    *,
    names: Mapping[str, str | None],
    overrides: Mapping[str, str],
    tool_command: str,
    prune: bool,
) -> Snapshot | None:
    """The digest of everything the render reads, or None when one of its inputs cannot be read (the render
    itself then says why)."""
    digest = hashlib.sha256()
    settings = {
        "tool": [__version__, VERSION],
        "paths": [str(paths.config), str(paths.credentials)],
        "names": dict(sorted(names.items())),
        "overrides": dict(sorted(overrides.items())),
        "command": tool_command,
        "prune": prune,
    }
    digest.update(json.dumps(settings, sort_keys=True).encode())
    try:
        for path in (inputs.const_file, inputs.config_template, inputs.credentials_template):
            _add(digest, path.read_bytes())
        config, credentials = safewrite.read_text(paths.config), safewrite.read_text(paths.credentials)
        for text in (config, credentials):
            _add(digest, None if text is None else text.encode())
        for path in (paths.config, paths.credentials):
            ledger = safewrite.read_text(ledger_path(path))
            _add(digest, None if ledger is None else ledger.encode())
    except (OSError, InputError, StateError):
        return None
    return Snapshot(digest.hexdigest(), config, credentials)


def _add(digest: hashlib._Hash, data: bytes | None) -> None:
    # Each part with its length first, so that no two different sets of parts give the same stream of bytes.
    digest.update(b"-" if data is None else f"{len(data)}:".encode())
    digest.update(data or b"")


def _store(paths: AwsPaths) -> JsonStore:
    return JsonStore(tool_dir(paths) / "render.json", "render record", VERSION, ABOUT)


def matching(paths: AwsPaths, snapshot: Snapshot) -> Recorded | None:
    """What the last render recorded, if it left everything exactly as ``snapshot`` finds it; else None."""
    data = _store(paths).load()
    if data is None or data.get("digest") != snapshot.digest:
        return None
    recovered, processes = data.get("recovered"), data.get("processes")
    if not isinstance(recovered, list) or not isinstance(processes, dict):
        return None
    return Recorded(tuple(str(name) for name in recovered), {str(name): str(line) for name, line in processes.items()})


def save(paths: AwsPaths, snapshot: Snapshot | None, recorded: Recorded) -> None:
    """Keep the record of a render that has just written (best effort: without one, the next render does the work)."""
    if snapshot is None:
        return
    try:
        _store(paths).save(
            {
                "digest": snapshot.digest,
                "recovered": list(recorded.recovered),
                "processes": dict(sorted(recorded.processes.items())),
            }
        )
    except (OSError, StateError, InputError):
        return
