"""The tool's private JSON files (the prune ledger, onboarding and rotation progress, the session cache): one
versioned format, with explicit migrations, written atomically 0600 and read without trusting what is there.

Each file holds ``{"version": N, "about": "...", ...}``. Reading migrates an older version step by step
(``migrations[n]`` turns version n into n + 1; a file without a version is version 0). A file that is damaged,
from a newer version of the tool, not a regular file, a symlink, or another user's, is either ignored (``strict``
False: the caller starts afresh, the safe direction for a ledger or a cache) or refused with ``StateError``
naming it (``strict`` True: progress that must not be silently lost).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bootstrap.awsfiles import safewrite
from bootstrap.errors import StateError

Migration = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class JsonStore:
    path: Path
    what: str  # named in messages: "onboarding progress", "session cache"...
    version: int
    about: str = ""
    migrations: Mapping[int, Migration] = field(default_factory=dict)
    strict: bool = False

    def _bad(self, why: str) -> None:
        if self.strict:
            raise StateError(f"{self.path}: {why}; delete it to start over")

    def load(self) -> dict[str, Any] | None:
        """The file's data at the current version (without ``version``/``about``), or None when there is none."""
        try:
            raw = safewrite.read_private(self.path)
        except StateError as exc:
            self._bad(f"unusable {self.what} ({exc.message})")
            return None
        if raw is None:
            return None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self._bad(f"unreadable {self.what}")
            return None
        if not isinstance(data, dict):
            self._bad(f"unreadable {self.what}")
            return None
        version = data.get("version", 0)
        if not isinstance(version, int) or version > self.version:
            self._bad(f"{self.what} written by a newer aws-iam-bootstrap (version {version})")
            return None
        while version < self.version:
            migrate = self.migrations.get(version)
            if migrate is None:
                self._bad(f"{self.what} of version {version}, which this version cannot read")
                return None
            try:
                data = migrate(data)
            except (KeyError, TypeError, ValueError):
                self._bad(f"unreadable {self.what} (version {version})")
                return None
            version += 1
        return {key: value for key, value in data.items() if key not in ("version", "about")}

    def save(self, data: Mapping[str, Any]) -> None:
        """Replace the file with ``data`` at the current version (atomic, 0600, no backup, never through a link)."""
        safewrite.private_dir(self.path.parent)
        body: dict[str, Any] = {"version": self.version}
        if self.about:
            body["about"] = self.about
        body.update(data)
        safewrite.write_private(self.path, json.dumps(body, indent=1) + "\n", backup=False, follow_links=False)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
