"""The credentials a profile stands for, resolved in the order the SDKs resolve them, with at most one MFA code per
device.

For a profile without ``role_arn`` botocore takes, in this order: static keys in the credentials file, the
profile's ``credential_process``, static keys in the config file. A session is used as it is, expired or not: the
SDKs do not renew it. ``SourceSessions`` does the same, with two additions the tool makes on purpose:

- ``renew``: an MFA session in ``[NAME]`` that is too old, renewable from ``[NAME-long-term]``, is renewed with one
  code and written back, as `refresh` does (for `env`, `exec` and `verify --refresh`; `verify` alone never renews,
  so it says what the SDKs will meet);
- a role profile naming ``mfa_serial`` over a plain key gets one MFA session per device (one code for all such
  roles) instead of botocore's one code per role; and this tool's own ``credential-process`` has its cache filled
  first (one code per device), then its line is run for real.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from bootstrap import limits
from bootstrap.awsfiles import layout
from bootstrap.awsfiles.layout import Profiles
from bootstrap.awsfiles.locations import AwsPaths
from bootstrap.clock import Clock, SystemClock
from bootstrap.credentials import Credentials
from bootstrap.engineer import process
from bootstrap.engineer.codes import CodeLog, CodeSource
from bootstrap.engineer.credential_process import cached_session
from bootstrap.engineer.session import DEFAULT_MIN_TTL, mfa_session
from bootstrap.errors import InputError

Origin = Literal["session", "key", "process", "role"]


@dataclass(frozen=True)
class Resolved:
    """Credentials a profile stands for, whether they carry MFA, and where they came from."""

    credentials: Credentials
    mfa: bool
    origin: Origin


class NoCredentials(InputError):
    """The profile holds nothing the SDKs could use (``renewable``: a session could be made from NAME-long-term)."""

    def __init__(self, message: str, *, renewable: bool) -> None:
        super().__init__(message)
        self.renewable = renewable


class SourceSessions:
    """The credentials of profiles (sources of roles, and profiles checked themselves), one MFA session per device.

    ``credentials_file``: the profiles as the credentials file alone holds them (its keys come first, as in
    botocore). ``renew``: see the module docstring.
    """

    def __init__(
        self,
        paths: AwsPaths,
        profiles: Profiles,
        codes: CodeSource,
        *,
        renew: bool,
        credentials_file: Profiles | None = None,
        min_ttl: timedelta = DEFAULT_MIN_TTL,
        duration: int = limits.SESSION_DEFAULT,
        clock: Clock | None = None,
        process_timeout: float = process.DEFAULT_TIMEOUT,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.paths = paths
        self.environ = environ
        self.profiles = profiles
        self.credentials_file = credentials_file if credentials_file is not None else profiles
        self.codes = codes
        self.log = CodeLog()
        self.renew = renew
        self.min_ttl = min_ttl
        self.duration = duration
        self.clock = clock or SystemClock()
        self.process_timeout = process_timeout
        self._by_serial: dict[str, Credentials] = {}
        self._by_profile: dict[str, Resolved] = {}
        self._resolving: set[str] = set()
        self._lock = threading.RLock()

    def mfa_session(
        self, key: Credentials, serial: str, *, region: str | None = None, profile: str | None = None
    ) -> Credentials:
        """One MFA session per serial (one code), from ``key``; written into ``[profile]`` when given."""
        with self._lock:
            if serial not in self._by_serial:
                session = mfa_session(
                    self.codes, key, serial, clock=self.clock, log=self.log, duration=self.duration, region=region
                )
                if profile:
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
        """The credentials of profile ``name``: its own (see the module docstring), or (role chaining) its role
        assumed from its own source."""
        with self._lock:
            if name not in self._by_profile:
                if name in self._resolving:
                    raise InputError(f"profile {name!r}: its source_profile chain loops back to it")
                self._resolving.add(name)
                try:
                    settings = self.profiles.get(name, {})
                    if settings.get("role_arn"):
                        from bootstrap.aws import sts  # botocore only when a role is assumed

                        base = self.role_base(name, settings)
                        role = sts.assume_role(
                            base.credentials,
                            str(settings["role_arn"]),
                            session_name=role_session_name(settings),
                            external_id=settings.get("external_id"),
                            region=str(settings["region"]) if settings.get("region") else None,
                        )
                        self._by_profile[name] = Resolved(role, base.mfa, "role")
                    else:
                        self._by_profile[name] = self._own(name)
                finally:
                    self._resolving.discard(name)
            return self._by_profile[name]

    def _own(self, name: str) -> Resolved:
        settings = self.profiles.get(name)
        if settings is None:
            raise InputError(f"profile {name!r} is not in your AWS files")
        lt = layout.long_term(self.profiles, name) if name + layout.SUFFIX in self.profiles else None
        # In this layout a session renewable from a key with an MFA device was made with MFA.
        serial = lt.mfa_serial if lt is not None else None
        in_file = self._static(self.credentials_file.get(name, {}))
        if in_file is not None:
            return self._as_is_or_renewed(name, in_file, lt)
        line = str(settings.get("credential_process") or "")
        if line:
            ours = process.is_ours(line) and self._fill_cache(process.profile_of(line) or name)
            return Resolved(process.run(self.profiles, name, timeout=self.process_timeout), ours, "process")
        in_config = self._static(settings)
        if in_config is not None:
            return self._as_is_or_renewed(name, in_config, lt)
        if lt is not None and serial is not None and self.renew:
            session = self.mfa_session(lt.credentials, serial, region=lt.region, profile=name)
            return Resolved(session, True, "session")
        raise NoCredentials(
            f"profile {name!r} holds no credentials (no key, session or credential_process)"
            + (": run `aws-iam-bootstrap refresh`" if serial is not None else ""),
            renewable=serial is not None,
        )

    @staticmethod
    def _static(settings: Mapping[str, Any]) -> Credentials | None:
        return layout.read_session(settings) or layout.read_static(settings)

    def _as_is_or_renewed(self, name: str, found: Credentials, lt: layout.LongTerm | None) -> Resolved:
        serial = lt.mfa_serial if lt is not None else None
        if not found.is_temporary:
            return Resolved(found, False, "key")
        if self.renew and lt is not None and serial is not None and not self.fresh(found):
            session = self.mfa_session(lt.credentials, serial, region=lt.region, profile=name)
            return Resolved(session, True, "session")
        return Resolved(found, serial is not None, "session")

    def _fill_cache(self, name: str) -> bool:
        """This tool's credential-process cache for session profile ``name``, made valid (one code when it is not)
        so that its line answers at once; False when ``name`` has no long-term key with a device to renew from."""
        base = layout.base_name(name)
        if base + layout.SUFFIX not in self.profiles:
            return False
        serial = layout.long_term(self.profiles, base).mfa_serial
        if serial is None:
            return False
        with self._lock:
            if serial not in self._by_serial:
                cached = cached_session(
                    self.paths, base, self.codes, min_ttl=self.min_ttl, duration=self.duration, clock=self.clock
                )
                self._by_serial[serial] = cached.session
        return True

    def _environment_key(self, profile: str) -> Credentials:
        import os

        return _environment_key(self.environ if self.environ is not None else os.environ, profile)

    def role_base(self, profile: str, settings: Mapping[str, Any]) -> Resolved:
        """The credentials a role profile assumes its role with: its source's, with MFA when the role asks.

        A role profile naming ``mfa_serial`` over a plain key gets one MFA session per serial (one code for
        all such roles) instead of botocore's one code per role.
        """
        source = settings.get("source_profile")
        if not source and str(settings.get("credential_source", "")) == "Environment":
            return Resolved(self._environment_key(profile), False, "key")
        if not source:
            raise InputError(
                f"role profile {profile!r} has no source_profile (of credential_source, only Environment is supported)"
            )
        own_key = layout.read_static(settings) if source == profile else None
        # botocore's special case: a role profile naming itself as source uses its own key.
        base = Resolved(own_key, False, "key") if own_key is not None else self.source(str(source))
        role_serial = settings.get("mfa_serial")
        if role_serial and not base.mfa and not base.credentials.is_temporary:
            region = settings.get("region")
            session = self.mfa_session(base.credentials, str(role_serial), region=str(region) if region else None)
            return Resolved(session, True, "session")
        return base


def _environment_key(environ: Mapping[str, str], profile: str) -> Credentials:
    """The key ``credential_source = Environment`` names: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and a
    session token), as botocore reads them. A pipeline's way: its CI puts its key there from its secrets."""
    key_id, secret = environ.get("AWS_ACCESS_KEY_ID"), environ.get("AWS_SECRET_ACCESS_KEY")
    if not key_id or not secret:
        raise InputError(
            f"profile {profile!r} takes its key from the environment (credential_source = Environment), but "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set"
        )
    return Credentials(key_id, secret, environ.get("AWS_SESSION_TOKEN") or None)


def role_session_name(settings: Mapping[str, Any]) -> str | None:
    """The profile's ``role_session_name``, if it sets one (``assume_role`` names the session otherwise)."""
    name = settings.get("role_session_name")
    return str(name) if name else None
