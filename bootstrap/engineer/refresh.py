"""``refresh``: renew the MFA session ``[NAME]`` from ``[NAME-long-term]`` with one code, unless it still lasts.

Most runs find the session still valid: that path reads the two files and nothing more, so what only a renewal
needs (the file store, the code rules, the credential_process cache, botocore) is imported where it is used. A
no-op `refresh` then costs about what `--help` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bootstrap import limits
from bootstrap.awsfiles import layout
from bootstrap.awsfiles.locations import AwsPaths
from bootstrap.awsfiles.profiles import load_profiles
from bootstrap.clock import Clock, SystemClock
from bootstrap.credentials import Credentials
from bootstrap.engineer.session import DEFAULT_MIN_TTL, left_over, mfa_session
from bootstrap.errors import InputError, StateError

if TYPE_CHECKING:
    from bootstrap.awsfiles.store import FileChange
    from bootstrap.engineer.codes import CodeSource


@dataclass(frozen=True)
class RefreshResult:
    profile: str
    long_term_profile: str
    mfa_serial: str
    session: Credentials
    renewed: bool  # False: the session had more than min_ttl left and no code was asked
    remaining: timedelta | None
    change: FileChange | None
    cache: Path | None = None  # the credential_process layout: the session lives in this cache file


def refresh(
    paths: AwsPaths,
    profile: str | None,
    codes: CodeSource,
    *,
    min_ttl: timedelta = DEFAULT_MIN_TTL,
    force: bool = False,
    duration: int = limits.SESSION_DEFAULT,
    environ: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    dry_run: bool = False,
) -> RefreshResult:
    """Renew the MFA session ``[NAME]`` from ``[NAME-long-term]`` unless it still has ``min_ttl`` left."""
    if not limits.SESSION_MIN <= duration <= limits.SESSION_MAX:
        raise InputError(
            f"--duration must be between {limits.SESSION_MIN} and {limits.SESSION_MAX} seconds, not {duration}"
        )
    clock = clock or SystemClock()
    profiles = load_profiles(paths)
    lt, serial = layout.renewer(profiles, profile, environ)
    line = str(profiles.get(lt.name, {}).get("credential_process") or "")
    if line:
        return _refresh_cache(paths, lt, serial, line, codes, min_ttl, force, duration, environ, clock, dry_run)
    current = layout.read_session(profiles.get(lt.name, {}))
    if current is not None and not force and (left := left_over(current, min_ttl, clock)) is not None:
        return RefreshResult(lt.name, lt.profile, serial, current, False, left, None)
    from bootstrap.engineer.codes import CodeLog

    session = mfa_session(
        codes, lt.credentials, serial, clock=clock, log=CodeLog(), duration=duration, region=lt.region
    )
    change = layout.write_session(paths, lt.name, session, dry_run=dry_run)
    return RefreshResult(lt.name, lt.profile, serial, session, True, layout.remaining(session, clock), change)


def _refresh_cache(
    paths: AwsPaths,
    lt: layout.LongTerm,
    serial: str,
    line: str,
    codes: CodeSource,
    min_ttl: timedelta,
    force: bool,
    duration: int,
    environ: Mapping[str, str] | None,
    clock: Clock,
    dry_run: bool,
) -> RefreshResult:
    """The credential_process layout: the SDKs take [NAME]'s session from this tool's cache, so that is where a
    renewed session goes; a session written into [NAME] of the credentials file would shadow the line for good
    (static keys come first), so one found there is removed."""
    from bootstrap.awsfiles.store import SESSION_KEYS, set_profile
    from bootstrap.engineer.credential_process import cached_session
    from bootstrap.engineer.process import is_ours

    if not is_ours(line):
        raise StateError(
            f"[profile {lt.name}] gets its credentials from a credential_process that is not aws-iam-bootstrap's: "
            f"refresh will not write a session into [{lt.name}], which would take the line's place"
        )
    if dry_run:
        raise InputError(
            "refresh --dry-run: the credential_process layout keeps its session in a cache; nothing to show"
        )
    result = cached_session(
        paths, lt.name, codes, min_ttl=min_ttl, duration=duration, environ=environ, clock=clock, force=force
    )
    change = set_profile(paths, "credentials", lt.name, dict.fromkeys(SESSION_KEYS))
    return RefreshResult(
        lt.name,
        lt.profile,
        serial,
        result.session,
        result.renewed,
        layout.remaining(result.session, clock),
        change if change.changed else None,
        result.cache_file,
    )
