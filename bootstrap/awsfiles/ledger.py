"""What ``--prune`` may remove: the sections a render created, and the keys it added, per AWS file.

A small JSON file beside each AWS file, ``.<name>.aws-iam-bootstrap.json`` (0600, written atomically after the AWS
file), lists the sections (by botocore name) a render appended and, per section, the keys a render added; no
values, so no secret. We chose this over a marker comment in the AWS file because a marker travels with text: a
user who copies a managed section to make their own profile would copy the marker, and prune would then delete
their profile. A ledger names sections; a copy has a new name, so it is never pruned. A section that already
existed when a render first produced it (the user's own ``[default]``, say) is adopted, not created: its rendered
keys are kept up to date, but prune never deletes it, nor a key it had before. A lost or unreadable ledger makes
prune remove less, never more; sections the user deleted drop out of it at the next render.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bootstrap.awsfiles.jsonstore import JsonStore
from bootstrap.awsfiles.locations import ledger_path

VERSION = 1
ABOUT = (
    "what aws-iam-bootstrap render created in this AWS file (sections) and added to sections (keys): "
    "--prune removes only these"
)


@dataclass(frozen=True)
class Ledger:
    """Sections (botocore keys) renders created in one AWS file, and per section the keys renders added."""

    created: frozenset[str] = frozenset()
    owned: Mapping[str, frozenset[str]] = field(default_factory=dict)


def _store(path: Path) -> JsonStore:
    # Not strict: a lost or unreadable ledger makes prune remove less, never more.
    return JsonStore(ledger_path(path), "prune ledger", VERSION, ABOUT)


def read(path: Path) -> Ledger:
    """The ledger of the AWS file ``path`` (empty when there is none or it cannot be trusted)."""
    data = _store(path).load()
    if data is None:
        return Ledger()
    try:
        owned = {str(k): frozenset(str(o) for o in v) for k, v in dict(data.get("owned", {})).items()}
        return Ledger(frozenset(str(key) for key in data.get("created", [])), owned)
    except (TypeError, ValueError):
        return Ledger()


def write(path: Path, ledger: Ledger) -> None:
    _store(path).save(
        {
            "created": sorted(ledger.created),
            "owned": {key: sorted(keys) for key, keys in sorted(ledger.owned.items())},
        }
    )
