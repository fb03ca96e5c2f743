"""The tool's private JSON files: one versioned format with explicit migrations, never trusting what it finds."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from bootstrap.awsfiles.jsonstore import JsonStore
from bootstrap.errors import StateError


def store(path: Path, *, strict: bool = False) -> JsonStore:
    return JsonStore(
        path,
        "test store",
        2,
        "what it is",
        migrations={0: lambda d: {"v1": d}, 1: lambda d: {**d, "two": 2}},
        strict=strict,
    )


def test_a_saved_file_is_private_versioned_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "dir" / "state.json"
    store(path).save({"a": 1})
    assert json.loads(path.read_text()) == {"version": 2, "about": "what it is", "a": 1}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert store(path).load() == {"a": 1}


def test_older_versions_are_migrated_step_by_step(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"x": 1}')  # no version: version 0
    path.chmod(0o600)
    assert store(path).load() == {"v1": {"x": 1}, "two": 2}
    path.write_text('{"version": 1, "y": 1}')
    assert store(path).load() == {"y": 1, "two": 2}


@pytest.mark.parametrize(
    "text",
    ["not json", "[1, 2]", '{"version": 3}', '{"version": "2"}'],
    ids=["damaged", "not an object", "from a newer version", "version not a number"],
)
def test_an_unusable_file_is_ignored_or_refused_by_name(tmp_path: Path, text: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(text)
    path.chmod(0o600)
    assert store(path).load() is None  # a ledger or a cache starts afresh
    with pytest.raises(StateError, match=f"{path}: .*test store.*; delete it to start over"):
        store(path, strict=True).load()  # progress is never guessed at


def test_a_symlink_is_never_followed_neither_to_read_nor_to_write(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text('{"version": 2, "planted": true}')
    path = tmp_path / "state.json"
    path.symlink_to(elsewhere)
    assert store(path).load() is None
    store(path).save({"a": 1})
    assert not path.is_symlink()  # the link was replaced, not written through
    assert json.loads(elsewhere.read_text()) == {"version": 2, "planted": True}


def test_a_file_too_open_is_made_private_again(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"version": 2, "a": 1}')
    path.chmod(0o644)
    assert store(path).load() == {"a": 1}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="making a file another user's needs root")
def test_another_users_file_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"version": 2, "a": 1}')
    os.chown(path, 12345, 12345)
    assert store(path).load() is None
    with pytest.raises(StateError, match="belongs to another user"):
        store(path, strict=True).load()


def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    os.mkfifo(path, 0o600)
    assert store(path).load() is None  # no hang: opened without blocking, then refused
