"""Changing the user's AWS files as one transaction: read under the lock, merge, validate both files together with
botocore's rules, write atomically with a backup, record what a render created (the ledger).

A rejected result, an unparseable existing file (with the line), or a rendered ``source_profile`` naming no
profile is an ``InputError`` and nothing is written. If writing the second file fails, the first is put back, so
config and credentials never disagree.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from bootstrap import redact
from bootstrap.awsfiles import ledger, safewrite
from bootstrap.awsfiles.botocore_view import botocore_parse, profiles_view, validate
from bootstrap.awsfiles.change import FileChange as FileChange  # where the callers of the transaction find it
from bootstrap.awsfiles.locations import AwsPaths, lock_path, target_of
from bootstrap.awsfiles.merge import MergeResult, merge_detailed, set_in_text, without_keys
from bootstrap.awsfiles.scanner import Kind
from bootstrap.errors import InputError

_BAD_NAME_CHARS = frozenset("[]\"'#;=\\") | frozenset(chr(c) for c in range(33))

_BAD_VALUE_CHARS = ("\n", "\r", "\0")


@contextlib.contextmanager
def _locked_both(paths: AwsPaths, *, dry_run: bool) -> Iterator[None]:
    if dry_run:
        # writes are atomic replaces, so reading needs no lock; and a dry run must not create even a lock file
        yield
        return
    # Always the same order, so two runs locking both files cannot deadlock.
    first, second = sorted((paths.config, paths.credentials), key=lambda p: str(lock_path(p)))
    with safewrite.locked(first), safewrite.locked(second):
        yield


def _check_distinct(paths: AwsPaths) -> None:
    if target_of(paths.config) == target_of(paths.credentials):
        raise InputError(
            f"the config and credentials files are the same file ({paths.config}); set AWS_CONFIG_FILE and "
            "AWS_SHARED_CREDENTIALS_FILE to two different files"
        )


# The keys of an MFA session in the credentials file (aws-mfa's layout, as `refresh` writes it).
SESSION_KEYS: tuple[str, ...] = (
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
    "expiration",
    "assumed_role",
    "assumed_role_arn",
)


def apply_rendered(
    paths: AwsPaths,
    config_text: str,
    credentials_text: str,
    *,
    prune: bool = False,
    dry_run: bool = False,
    unshadow: Iterable[str] = (),
) -> tuple[FileChange, FileChange]:
    """Merge rendered config and credentials texts into the user's files: under lock, validated together with
    botocore's loader, written atomically with a backup (only files whose content changes).

    ``unshadow``: profiles whose MFA session in the credentials file is removed in the same transaction, when it
    holds one: the rendered config gives them a ``credential_process``, and the SDKs take static keys first.
    """
    _check_distinct(paths)
    files: tuple[tuple[Path, Kind, str], ...] = (
        (paths.config, "config", config_text),
        (paths.credentials, "credentials", credentials_text),
    )
    with _locked_both(paths, dry_run=dry_run):
        befores: list[str | None] = []
        states: list[ledger.Ledger] = []
        results: list[MergeResult] = []
        for path, kind, rendered in files:
            before = safewrite.read_text(path)
            state = ledger.read(path)
            results.append(
                merge_detailed(
                    before,
                    rendered,
                    kind,
                    prune=prune,
                    managed=state.created,
                    owned=state.owned,
                    existing_name=str(path),
                    rendered_name=f"the rendered {kind} text",
                )
            )
            befores.append(before)
            states.append(state)
        results[1] = _without_sessions(results[1], unshadow, str(paths.credentials))
        checked = [key[len("profile ") :] for key in results[0].rendered if key.startswith("profile ")]
        _validate_merged(paths, befores[0], results[0].text, befores[1], results[1].text, checked)
        changes = [
            FileChange(path, kind, before, result.text, result.added, result.updated, result.removed)
            for (path, kind, _), before, result in zip(files, befores, results, strict=True)
        ]
        if not dry_run:
            _write_all(changes)
            for change, result, state in zip(changes, results, states, strict=True):
                after = ledger.Ledger(result.created, dict(result.owned))
                if after != state:
                    ledger.write(change.path, after)
    return changes[0], changes[1]


def _without_sessions(result: MergeResult, profiles: Iterable[str], name: str) -> MergeResult:
    wanted = set(profiles)
    if not wanted:
        return result
    view = profiles_view(None, result.text, names=("config", name))
    # only a session: a long-term key in [profile] is the user's own choice
    holding = {
        profile: SESSION_KEYS
        for profile in sorted(wanted)
        if view.get(profile, {}).get("aws_session_token") or view.get(profile, {}).get("aws_security_token")
    }
    text, changed = without_keys(result.text, "credentials", holding, name)
    updated = [*result.updated, *(profile for profile in changed if profile not in result.updated)]
    return dataclasses.replace(result, text=text, updated=tuple(updated))


def _write_all(changes: list[FileChange]) -> None:
    """Write every changed file; if one fails, put back the ones already written, so that config and
    credentials never disagree (a role profile whose source profile is missing)."""
    written: list[FileChange] = []
    try:
        for change in changes:
            if change.changed:
                safewrite.write_private(change.path, change.after)
                written.append(change)
    except BaseException:
        for change in reversed(written):
            with contextlib.suppress(Exception):
                if change.before is None:
                    target_of(change.path).unlink()
                else:
                    safewrite.write_private(change.path, change.before, backup=False)
        raise


def _validate_merged(
    paths: AwsPaths,
    config_before: str | None,
    config_after: str,
    credentials_before: str | None,
    credentials_after: str,
    checked: Iterable[str],
) -> None:
    try:
        validate(
            config_after,
            credentials_after,
            config_name=str(paths.config),
            credentials_name=str(paths.credentials),
            check_source_profiles=checked,
        )
    except InputError:
        # Say whose fault it is: an existing file botocore already could not read is reported as such.
        if config_before is not None:
            botocore_parse(config_before, str(paths.config))
        if credentials_before is not None:
            botocore_parse(credentials_before, str(paths.credentials))
        raise


def _check_profile_name(profile: str) -> None:
    if not profile or any(ch in _BAD_NAME_CHARS for ch in profile):
        raise InputError(f"profile name {profile!r} cannot be written: use letters, digits and - _ . @ + , / only")


def set_profile(
    paths: AwsPaths,
    kind: Kind,
    profile: str,
    values: Mapping[str, str | None],
    *,
    dry_run: bool = False,
) -> FileChange:
    """Set (or, for None, delete) keys of one profile, creating its section if missing; every other byte kept.
    Under lock, validated, atomic, with a backup."""
    _check_profile_name(profile)
    for key, value in values.items():
        if not key or any(ch in _BAD_NAME_CHARS for ch in key) or key != key.strip():
            raise InputError(f"key {key!r} cannot be written to an AWS file")
        if value is not None:
            if key.lower() in redact.SECRET_KEYS:
                redact.register(value)
            if any(ch in value for ch in _BAD_VALUE_CHARS) or value != value.strip():
                raise InputError(
                    f"the value of {key} for profile {profile} contains a line break, NUL or surrounding spaces; "
                    "nothing was changed"
                )
    path = paths.config if kind == "config" else paths.credentials
    with contextlib.nullcontext() if dry_run else safewrite.locked(path):
        before = safewrite.read_text(path)
        after, added, updated = set_in_text(before, kind, profile, values, str(path))
        if kind == "config":
            validate(after, None, config_name=str(path))
        else:
            validate(None, after, credentials_name=str(path))
        change = FileChange(path, kind, before, after, added, updated, ())
        if change.changed and not dry_run:
            safewrite.write_private(path, after)
    return change
