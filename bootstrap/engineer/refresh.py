"""``refresh``: renew the MFA session ``[NAME]`` from ``[NAME-long-term]`` with one code, unless it still lasts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from bootstrap import limits
from bootstrap.awsfiles import layout
from bootstrap.awsfiles.locations import AwsPaths
from bootstrap.awsfiles.store import FileChange, load_profiles
from bootstrap.clock import Clock, SystemClock
from bootstrap.credentials import Credentials
from bootstrap.engineer.codes import CodeLog, CodeSource
from bootstrap.engineer.session import DEFAULT_MIN_TTL, left_over, mfa_session
from bootstrap.errors import InputError


@dataclass(frozen=True)
class RefreshResult:
    profile: str
    long_term_profile: str
    mfa_serial: str
    session: Credentials
    renewed: bool  # False: the session had more than min_ttl left and no code was asked
    remaining: timedelta | None
    change: FileChange | None


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
    current = layout.read_session(profiles.get(lt.name, {}))
    if current is not None and not force and (left := left_over(current, min_ttl, clock)) is not None:
        return RefreshResult(lt.name, lt.profile, serial, current, False, left, None)
    session = mfa_session(
        codes, lt.credentials, serial, clock=clock, log=CodeLog(), duration=duration, region=lt.region
    )
    change = layout.write_session(paths, lt.name, session, dry_run=dry_run)
    return RefreshResult(lt.name, lt.profile, serial, session, True, layout.remaining(session, clock), change)
