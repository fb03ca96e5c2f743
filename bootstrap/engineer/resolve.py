"""The credentials any profile stands for, resolved as the SDKs would, with at most one MFA code per device.

``SourceSessions`` resolves source profiles (a valid session, a key, a new MFA session, a credential_process, or
a role assumed from its own source), keeping one MFA session per device for the run. ``profile_credentials``
gives `env` and `exec` temporary credentials for any profile, never a long-term key.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bootstrap import limits
from bootstrap.aws import clients, sts
from bootstrap.aws.errors import calling
from bootstrap.awsfiles import layout
from bootstrap.awsfiles.layout import Profiles
from bootstrap.awsfiles.locations import AwsPaths
from bootstrap.awsfiles.store import load_profiles
from bootstrap.clock import Clock, SystemClock
from bootstrap.credentials import Credentials
from bootstrap.engineer.codes import CodeLog, CodeSource
from bootstrap.engineer.credential_process import cached_session
from bootstrap.engineer.session import DEFAULT_MIN_TTL, mfa_session
from bootstrap.errors import AwsError, InputError, StateError


@dataclass(frozen=True)
class Resolved:
    """Credentials a profile stands for, and whether they carry MFA."""

    credentials: Credentials
    mfa: bool


class SourceSessions:
    """The credentials of source profiles, with at most one MFA session per MFA serial (one code each).

    ``persist``: write a renewed session back into ``[NAME]`` (as `refresh` does); `verify` leaves files alone.
    """

    def __init__(
        self,
        paths: AwsPaths,
        profiles: Profiles,
        codes: CodeSource,
        *,
        persist: bool,
        min_ttl: timedelta = DEFAULT_MIN_TTL,
        duration: int = limits.SESSION_DEFAULT,
        clock: Clock | None = None,
    ) -> None:
        self.paths = paths
        self.profiles = profiles
        self.codes = codes
        self.log = CodeLog()
        self.persist = persist
        self.min_ttl = min_ttl
        self.duration = duration
        self.clock = clock or SystemClock()
        self._by_serial: dict[str, Credentials] = {}
        self._by_profile: dict[str, Resolved] = {}
        self._resolving: set[str] = set()
        self._lock = threading.RLock()

    def mfa_session(
        self, key: Credentials, serial: str, *, region: str | None = None, profile: str | None = None
    ) -> Credentials:
        """One MFA session per serial (one code), from ``key``; written into ``[profile]`` when persisting."""
        with self._lock:
            if serial not in self._by_serial:
                session = mfa_session(
                    self.codes, key, serial, clock=self.clock, log=self.log, duration=self.duration, region=region
                )
                if self.persist and profile:
                    layout.write_session(self.paths, profile, session)
                self._by_serial[serial] = session
            return self._by_serial[serial]

    def known_session(self, serial: str) -> Credentials | None:
        """The MFA session already made for ``serial`` in this run, if any (never asks)."""
        with self._lock:
            return self._by_serial.get(serial)

    def fresh(self, session: Credentials) -> bool:
        left = layout.remaining(session, self.clock)
        return left is None or left > self.min_ttl

    def source(self, name: str) -> Resolved:
        """The credentials of a source profile: its valid session, its key, a new MFA session, or (role chaining)
        its role assumed from its own source."""
        with self._lock:
            if name not in self._by_profile:
                if name in self._resolving:
                    raise InputError(f"profile {name!r}: its source_profile chain loops back to it")
                self._resolving.add(name)
                try:
                    settings = self.profiles.get(name, {})
                    if settings.get("role_arn"):
                        base = self.role_base(name, settings)
                        role = sts.assume_role(
                            base.credentials,
                            str(settings["role_arn"]),
                            session_name=role_session_name(settings),
                            external_id=settings.get("external_id"),
                            region=str(settings["region"]) if settings.get("region") else None,
                        )
                        self._by_profile[name] = Resolved(role, base.mfa)
                    else:
                        self._by_profile[name] = self._resolve(name)
                finally:
                    self._resolving.discard(name)
            return self._by_profile[name]

    def _resolve(self, name: str) -> Resolved:
        settings = self.profiles.get(name)
        if settings is None:
            raise InputError(f"profile {name!r} is not in your AWS files")
        lt = layout.long_term(self.profiles, name) if name + layout.SUFFIX in self.profiles else None
        # In this layout a session renewable from a key with an MFA device was made with MFA.
        with_mfa = lt is not None and lt.mfa_serial is not None
        session = layout.read_session(settings)
        if session is not None and (self.fresh(session) or not with_mfa):
            return Resolved(session, with_mfa)
        process = str(settings.get("credential_process") or "")
        if lt is not None and lt.mfa_serial is not None:
            if "credential-process" in process:
                # Ours: its cache may already hold today's session, and renewing it keeps the cache current.
                with self._lock:
                    if lt.mfa_serial not in self._by_serial:
                        cached = cached_session(
                            self.paths,
                            name,
                            self.codes,
                            min_ttl=self.min_ttl,
                            duration=self.duration,
                            clock=self.clock,
                        )
                        self._by_serial[lt.mfa_serial] = cached.session
            return Resolved(self.mfa_session(lt.credentials, lt.mfa_serial, region=lt.region, profile=name), True)
        static = layout.read_static(settings)
        if static is not None:
            return Resolved(static, False)
        if process:
            return Resolved(_process_credentials(name), False)
        raise InputError(f"profile {name!r} holds no credentials (no key, session or credential_process)")

    def role_base(self, profile: str, settings: Mapping[str, Any]) -> Resolved:
        """The credentials a role profile assumes its role with: its source's, with MFA when the role asks.

        A role profile naming ``mfa_serial`` over a plain key gets one MFA session per serial (one code for
        all such roles) instead of botocore's one code per role.
        """
        source = settings.get("source_profile")
        if not source:
            raise InputError(f"role profile {profile!r} has no source_profile (credential_source is not supported)")
        own_key = layout.read_static(settings) if source == profile else None
        # botocore's special case: a role profile naming itself as source uses its own key.
        base = Resolved(own_key, False) if own_key is not None else self.source(str(source))
        role_serial = settings.get("mfa_serial")
        if role_serial and not base.mfa and not base.credentials.is_temporary:
            region = settings.get("region")
            session = self.mfa_session(base.credentials, str(role_serial), region=str(region) if region else None)
            return Resolved(session, True)
        return base


def _process_credentials(profile: str) -> Credentials:
    """Credentials of a ``credential_process`` profile, resolved by botocore itself (it runs the process)."""
    with calling("credential_process"):
        frozen = clients.session(profile=profile).get_credentials()
    if frozen is None:
        raise AwsError(f"profile {profile!r}: its credential_process gave no credentials", code="NoCredentials")
    creds = frozen.get_frozen_credentials()
    if not (creds.access_key and creds.secret_key):
        raise AwsError(f"profile {profile!r}: its credential_process gave no key", code="NoCredentials")
    return Credentials(creds.access_key, creds.secret_key, creds.token)


def role_session_name(settings: Mapping[str, Any]) -> str | None:
    """The profile's ``role_session_name``, if it sets one (``assume_role`` names the session otherwise)."""
    name = settings.get("role_session_name")
    return str(name) if name else None


@dataclass(frozen=True)
class Temporary:
    """Temporary credentials for a profile, and the region it names."""

    profile: str
    credentials: Credentials
    region: str | None


def profile_credentials(
    paths: AwsPaths,
    profile: str,
    codes: CodeSource,
    *,
    duration: int | None = None,
    min_ttl: timedelta = DEFAULT_MIN_TTL,
    clock: Clock | None = None,
) -> Temporary:
    """Temporary credentials for ``profile`` and its region (see ``temporary_credentials``)."""
    profiles = load_profiles(paths)
    settings = profiles.get(profile)
    if settings is None:
        raise InputError(f"profile {profile!r} is not in your AWS files ({paths.config}, {paths.credentials})")
    credentials = temporary_credentials(
        paths, profiles, profile, codes, duration=duration, min_ttl=min_ttl, clock=clock
    )
    region = settings.get("region") or profiles.get(str(settings.get("source_profile") or ""), {}).get("region")
    return Temporary(profile, credentials, str(region) if region else None)


def temporary_credentials(
    paths: AwsPaths,
    profiles: Profiles,
    profile: str,
    codes: CodeSource,
    *,
    duration: int | None = None,
    min_ttl: timedelta = DEFAULT_MIN_TTL,
    clock: Clock | None = None,
) -> Credentials:
    """Temporary credentials for ``profile`` (for `env` and `exec`), never a long-term key.

    A role profile: the role assumed from its source's MFA session (renewed with one code, and written back
    as `refresh` would, when too old). A session profile: its session (renewed likewise). A long-term profile:
    a new session from it (with MFA when it names a device).
    """
    settings = profiles[profile]
    sources = SourceSessions(paths, profiles, codes, persist=True, min_ttl=min_ttl, clock=clock)
    region = str(settings["region"]) if settings.get("region") else None
    if settings.get("role_arn"):
        base = sources.role_base(profile, settings)
        return sts.assume_role(
            base.credentials,
            str(settings["role_arn"]),
            session_name=role_session_name(settings),
            duration=duration or int(settings.get("duration_seconds") or limits.ROLE_DEFAULT),
            external_id=settings.get("external_id"),
            region=region,
        )
    if profile.endswith(layout.SUFFIX):
        lt = layout.long_term(profiles, layout.base_name(profile))
        if lt.mfa_serial:
            return mfa_session(
                codes,
                lt.credentials,
                lt.mfa_serial,
                clock=clock or SystemClock(),
                log=CodeLog(),
                duration=duration or limits.SESSION_DEFAULT,
            )
        return sts.get_plain_session(lt.credentials, duration=duration or limits.SESSION_DEFAULT, region=region)
    resolved = sources.source(profile)
    if resolved.credentials.is_temporary:
        if resolved.credentials.expiration is not None and not sources.fresh(resolved.credentials):
            raise StateError(
                f"the session in [{profile}] has expired and there is no [{profile}-long-term] to renew it"
            )
        return resolved.credentials
    return sts.get_plain_session(resolved.credentials, duration=duration or limits.SESSION_DEFAULT, region=region)
