"""MFA sessions: get one, write it where aws-mfa would, reuse it while it lasts, hand it to the SDKs.

The layout is aws-mfa's, so a team can switch tools without editing a file: the long-term key lives in
``[NAME-long-term]`` (with ``mfa_serial`` in config, or aws-mfa's ``aws_mfa_device`` in credentials) and the
session in ``[NAME]`` with every key aws-mfa writes and checks (``assumed_role``, both token spellings, and
``expiration`` as ``YYYY-MM-DD HH:MM:SS`` in UTC). Role profiles name ``source_profile = NAME``, so one MFA code
serves every role in every account for the session's life.

The core never prompts: whoever needs a code passes a ``CodeSource`` (called only when a code is really needed,
with the MFA serial it is for).
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bootstrap import aws, awsfiles, safewrite
from bootstrap.clock import Clock, SystemClock
from bootstrap.errors import AwsError, InputError, StateError
from bootstrap.model import Credentials

LONG_TERM_SUFFIX = "-long-term"
MIN_DURATION = 900  # STS limits for GetSessionToken with an IAM user's key
MAX_DURATION = 129600
DEFAULT_DURATION = 43200  # a working day, as aws-mfa
DEFAULT_ROLE_DURATION = 3600  # the default MaxSessionDuration of a role; longer needs the role to allow it
DEFAULT_MIN_TTL = timedelta(minutes=15)  # botocore refreshes credentials 15 minutes before they expire
AWS_MFA_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
CODE_PATTERN = re.compile(r"^\d{6}$")

# Called with the MFA serial a code is needed for; returns the code. Only called when a code is needed.
CodeSource = Callable[[str], str]
Profiles = Mapping[str, Mapping[str, Any]]


def client(service: str, credentials: Credentials, *, region: str | None = None) -> Any:
    """``aws.client`` for these credentials (shared and reused there); the seam verify's tests swap."""
    return aws.client(service, credentials, region=region)


def check_duration(duration: int, *, flag: str = "--duration") -> int:
    """``duration`` if STS accepts it for a session, else ``InputError`` naming the limits."""
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise InputError(f"{flag} must be between {MIN_DURATION} and {MAX_DURATION} seconds, not {duration}")
    return duration


def check_code(code: str, *, origin: str = "the MFA code") -> str:
    """``code`` stripped, if it looks like a TOTP code (6 digits); else ``InputError``."""
    code = code.strip()
    if not CODE_PATTERN.match(code):
        raise InputError(f"{origin} must be 6 digits")
    return code


def _credentials(raw: Mapping[str, Any]) -> Credentials:
    expiration = raw.get("Expiration")
    if isinstance(expiration, datetime) and expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=UTC)
    return Credentials(
        access_key_id=str(raw["AccessKeyId"]),
        secret_access_key=str(raw["SecretAccessKey"]),
        session_token=str(raw["SessionToken"]) if raw.get("SessionToken") else None,
        expiration=expiration if isinstance(expiration, datetime) else None,
    )


def get_session(
    long_term: Credentials, mfa_serial: str, code: str, *, duration: int = DEFAULT_DURATION, region: str | None = None
) -> Credentials:
    """An MFA session (GetSessionToken) for the long-term key ``long_term``, proven with ``code``."""
    check_duration(duration)
    sts = client("sts", long_term, region=region)
    with aws.calling("sts:GetSessionToken"):
        response = sts.get_session_token(DurationSeconds=duration, SerialNumber=mfa_serial, TokenCode=code)
    return _credentials(response["Credentials"])


def get_plain_session(
    long_term: Credentials, *, duration: int = DEFAULT_DURATION, region: str | None = None
) -> Credentials:
    """A session without MFA (a pipeline user's key): temporary credentials instead of the long-term key."""
    check_duration(duration)
    sts = client("sts", long_term, region=region)
    with aws.calling("sts:GetSessionToken"):
        response = sts.get_session_token(DurationSeconds=duration)
    return _credentials(response["Credentials"])


def assume_role(
    base: Credentials,
    role_arn: str,
    *,
    session_name: str | None = None,
    duration: int | None = None,
    external_id: str | None = None,
    mfa: tuple[str, str] | None = None,
    region: str | None = None,
) -> Credentials:
    """Credentials of ``role_arn`` assumed from ``base``; ``mfa`` is (serial, code) when ``base`` lacks MFA."""
    kwargs: dict[str, Any] = {
        "RoleArn": role_arn,
        "RoleSessionName": session_name or f"aws-iam-bootstrap-{int(time.time())}",
    }
    if duration is not None:
        kwargs["DurationSeconds"] = duration
    if external_id:
        kwargs["ExternalId"] = external_id
    if mfa is not None:
        kwargs["SerialNumber"], kwargs["TokenCode"] = mfa
    sts = client("sts", base, region=region)
    with aws.calling("sts:AssumeRole"):
        response = sts.assume_role(**kwargs)
    return _credentials(response["Credentials"])


# ---------------------------------------------------------------------------------------------- the files


def format_expiration(expiration: datetime) -> str:
    """aws-mfa's format: UTC, no zone, to the second."""
    return expiration.astimezone(UTC).strftime(AWS_MFA_TIME_FORMAT)


def parse_expiration(text: str | None) -> datetime | None:
    """An ``expiration`` as aws-mfa writes it (UTC) or ISO 8601; ``None`` when absent or unreadable."""
    if not text:
        return None
    text = str(text).strip()
    try:
        parsed = datetime.strptime(text, AWS_MFA_TIME_FORMAT)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def session_values(session: Credentials) -> dict[str, str | None]:
    """The keys of a session profile, exactly as aws-mfa writes them (so aws-mfa accepts ours and we its)."""
    if session.session_token is None or session.expiration is None:
        raise ValueError("a session needs a token and an expiration")
    return {
        "assumed_role": "False",  # aws-mfa re-prompts when any of its keys is missing
        "assumed_role_arn": None,
        "aws_access_key_id": session.access_key_id,
        "aws_secret_access_key": session.secret_access_key,
        "aws_session_token": session.session_token,
        "aws_security_token": session.session_token,  # boto 2 and aws-mfa read this spelling
        "expiration": format_expiration(session.expiration),
    }


def write_session(
    paths: awsfiles.AwsPaths, profile: str, session: Credentials, *, dry_run: bool = False
) -> awsfiles.FileChange:
    """Write ``session`` into ``[profile]`` of the credentials file (atomic, 0600, backup; other bytes kept)."""
    return awsfiles.set_profile(paths, "credentials", profile, session_values(session), dry_run=dry_run)


def read_session(settings: Mapping[str, Any]) -> Credentials | None:
    """The session stored in a profile's settings (``None`` when it holds no session token)."""
    key_id = settings.get("aws_access_key_id")
    secret = settings.get("aws_secret_access_key")
    token = settings.get("aws_session_token") or settings.get("aws_security_token")
    if not (key_id and secret and token):
        return None
    return Credentials(str(key_id), str(secret), str(token), parse_expiration(settings.get("expiration")))


def read_static(settings: Mapping[str, Any]) -> Credentials | None:
    """The long-term key stored in a profile's settings (``None`` when it has none, or holds a session)."""
    key_id = settings.get("aws_access_key_id")
    secret = settings.get("aws_secret_access_key")
    if not (key_id and secret) or settings.get("aws_session_token") or settings.get("aws_security_token"):
        return None
    return Credentials(str(key_id), str(secret))


def remaining(session: Credentials, clock: Clock | None = None) -> timedelta | None:
    """How long ``session`` still lasts (negative once expired); ``None`` when it does not say."""
    if session.expiration is None:
        return None
    return session.expiration - (clock or SystemClock()).now()


def mfa_serial_of(settings: Mapping[str, Any]) -> str | None:
    """The MFA serial of a long-term profile: ``mfa_serial`` (config) or aws-mfa's ``aws_mfa_device``."""
    value = settings.get("mfa_serial") or settings.get("aws_mfa_device")
    return str(value).strip() if value else None


@dataclass(frozen=True)
class LongTerm:
    """The session profile ``name`` and the long-term profile that renews it."""

    name: str
    profile: str
    credentials: Credentials
    mfa_serial: str | None
    region: str | None


def _base_name(profile: str) -> str:
    return profile[: -len(LONG_TERM_SUFFIX)] if profile.endswith(LONG_TERM_SUFFIX) else profile


def session_profile_name(profiles: Profiles, profile: str | None, environ: Mapping[str, str]) -> str:
    """The session profile NAME to work on (its long-term key is in ``NAME-long-term``).

    ``profile`` may name the session profile, its long-term profile, or a role profile (its ``source_profile``
    is used). Without one: ``AWS_PROFILE`` when it leads to a long-term profile, else the only ``*-long-term``
    profile, else ``default`` (aws-mfa's default).
    """
    long_terms = sorted(name for name in profiles if name.endswith(LONG_TERM_SUFFIX))

    def lead(candidate: str) -> str | None:
        name = _base_name(candidate)
        if name + LONG_TERM_SUFFIX in profiles:
            return name
        source = profiles.get(candidate, {}).get("source_profile")
        if source and _base_name(str(source)) + LONG_TERM_SUFFIX in profiles:
            return _base_name(str(source))
        return None

    if profile:
        found = lead(profile)
        if found is None:
            listed = ", ".join(long_terms) or "none"
            raise InputError(
                f"no long-term profile for {profile!r}: expected [{_base_name(profile)}{LONG_TERM_SUFFIX}] "
                f"holding your access key (long-term profiles found: {listed})"
            )
        return found
    for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        if environ.get(variable) and (found := lead(environ[variable])):
            return found
    if len(long_terms) == 1:
        return _base_name(long_terms[0])
    if "default" + LONG_TERM_SUFFIX in profiles:
        return "default"
    if not long_terms:
        raise InputError(
            f"no [NAME{LONG_TERM_SUFFIX}] profile with a long-term key in your AWS files; run `onboard` or `render`"
        )
    raise InputError(f"several long-term profiles ({', '.join(long_terms)}): pass --profile NAME")


def long_term(profiles: Profiles, name: str) -> LongTerm:
    """The long-term key (and MFA serial) that renews session profile ``name``."""
    profile = name + LONG_TERM_SUFFIX
    settings = profiles.get(profile)
    if settings is None:
        raise InputError(f"no [{profile}] profile holding your long-term access key")
    credentials = read_static(settings)
    if credentials is None:
        raise InputError(f"[{profile}] has no aws_access_key_id and aws_secret_access_key (a long-term key)")
    region = settings.get("region") or profiles.get(name, {}).get("region")
    return LongTerm(name, profile, credentials, mfa_serial_of(settings), str(region) if region else None)


def _renewer(
    paths: awsfiles.AwsPaths, profile: str | None, environ: Mapping[str, str] | None
) -> tuple[Profiles, LongTerm, str]:
    """The profiles, the long-term profile renewing the session ``profile`` leads to, and its MFA serial."""
    profiles = awsfiles.load_profiles(paths)
    lt = long_term(profiles, session_profile_name(profiles, profile, environ if environ is not None else {}))
    if not lt.mfa_serial:
        raise InputError(
            f"[{lt.profile}] names no MFA device: add `mfa_serial = arn:aws:iam::ACCOUNT:mfa/USER` to "
            f"[profile {lt.profile}] in config (or run `onboard`)"
        )
    return profiles, lt, lt.mfa_serial


def _new_session(
    code_source: CodeSource, key: Credentials, serial: str, *, duration: int, region: str | None = None
) -> Credentials:
    """An MFA session for ``key``, with the code ``code_source`` gives for ``serial``."""
    return get_session(key, serial, check_code(code_source(serial)), duration=duration, region=region)


def _left_over(session: Credentials, min_ttl: timedelta, clock: Clock) -> timedelta | None:
    """How long ``session`` still lasts when that is more than ``min_ttl``; ``None`` when it needs renewing."""
    left = remaining(session, clock)
    return left if left is not None and left > min_ttl else None


# --------------------------------------------------------------------------------------------- refresh


@dataclass(frozen=True)
class RefreshResult:
    profile: str
    long_term_profile: str
    mfa_serial: str
    session: Credentials
    renewed: bool  # False: the session had more than min_ttl left and no code was asked
    remaining: timedelta | None
    change: awsfiles.FileChange | None


def refresh(
    paths: awsfiles.AwsPaths,
    profile: str | None,
    code_source: CodeSource,
    *,
    min_ttl: timedelta = DEFAULT_MIN_TTL,
    force: bool = False,
    duration: int = DEFAULT_DURATION,
    environ: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    dry_run: bool = False,
) -> RefreshResult:
    """Renew the MFA session ``[NAME]`` from ``[NAME-long-term]`` unless it still has ``min_ttl`` left."""
    check_duration(duration)
    clock = clock or SystemClock()
    profiles, lt, serial = _renewer(paths, profile, environ)
    current = read_session(profiles.get(lt.name, {}))
    if current is not None and not force and (left := _left_over(current, min_ttl, clock)) is not None:
        return RefreshResult(lt.name, lt.profile, serial, current, False, left, None)
    session = _new_session(code_source, lt.credentials, serial, duration=duration, region=lt.region)
    change = write_session(paths, lt.name, session, dry_run=dry_run)
    return RefreshResult(lt.name, lt.profile, serial, session, True, remaining(session, clock), change)


def run_code_command(command: str, *, timeout: float = 120) -> str:
    """The code printed (first line of stdout) by ``command``, run without a shell (e.g. a password manager)."""
    from bootstrap import mfa

    code = mfa.run_code_command(command, timeout=timeout)
    return check_code(code, origin="the first line printed by --token-code-command")


class Codes:
    """A ``CodeSource`` from the flags, falling back to ``ask``.

    A TOTP code is single-use, so ``--token-code`` can serve one MFA serial only; asking twice for the same
    serial would be a bug (one MFA session per serial), so each serial's code is remembered.
    """

    def __init__(
        self, *, token_code: str | None = None, command: str | None = None, ask: CodeSource | None = None
    ) -> None:
        self.token_code = check_code(token_code, origin="--token-code") if token_code else None
        self.command = command
        self.ask = ask
        self._given: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, mfa_serial: str) -> str:
        with self._lock:
            if mfa_serial in self._given:
                return self._given[mfa_serial]
            if self.token_code is not None:
                if self._given:
                    raise InputError("--token-code can serve one MFA device only; use --token-code-command")
                code = self.token_code
            elif self.command:
                code = run_code_command(self.command)
            elif self.ask is not None:
                code = check_code(self.ask(mfa_serial))
            else:
                raise InputError(f"an MFA code for {mfa_serial} is needed: pass --token-code or --token-code-command")
            self._given[mfa_serial] = code
            return code


# ---------------------------------------------------------------------------------- credential-process


def default_cache_dir() -> Path:
    return Path.home() / ".aws" / "aws-iam-bootstrap" / "cache"


def process_json(credentials: Credentials) -> str:
    """The JSON the SDKs expect from a ``credential_process`` (Version 1)."""
    body: dict[str, Any] = {
        "Version": 1,
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key,
    }
    if credentials.session_token:
        body["SessionToken"] = credentials.session_token
    if credentials.expiration:
        body["Expiration"] = credentials.expiration.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(body, indent=2)


def _from_process_json(text: str | None) -> Credentials | None:
    if not text:
        return None
    try:
        body = json.loads(text)
        return Credentials(
            str(body["AccessKeyId"]),
            str(body["SecretAccessKey"]),
            str(body["SessionToken"]),
            parse_expiration(body.get("Expiration")),
        )
    except (ValueError, KeyError, TypeError):
        return None  # a damaged cache is renewed, never fatal


def cache_path(cache_dir: Path, lt: LongTerm, serial: str) -> Path:
    # Keyed on the key id too: after a key rotation the old session is not served.
    digest = hashlib.sha256(f"{lt.name}\0{lt.credentials.access_key_id}\0{serial}".encode()).hexdigest()[:24]
    return cache_dir / f"{lt.name}-{digest}.json"


@dataclass(frozen=True)
class ProcessResult:
    profile: str
    session: Credentials
    renewed: bool
    cache_file: Path


def cached_session(
    paths: awsfiles.AwsPaths,
    profile: str | None,
    code_source: CodeSource,
    *,
    min_ttl: timedelta = DEFAULT_MIN_TTL,
    duration: int = DEFAULT_DURATION,
    cache_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    lock_timeout: float = 300.0,
) -> ProcessResult:
    """The MFA session of ``profile`` from the private cache, renewed (one code) when it is too old.

    Held under a lock while a code is asked, so SDK processes started together wait for the first one's
    session instead of each asking for a code.
    """
    check_duration(duration)
    clock = clock or SystemClock()
    _, lt, serial = _renewer(paths, profile, environ)
    directory = cache_dir or default_cache_dir()
    safewrite.private_dir(directory)
    path = cache_path(directory, lt, serial)
    with safewrite.locked(path, timeout=lock_timeout):
        cached = _from_process_json(safewrite.read_text(path))
        if cached is not None and _left_over(cached, min_ttl, clock) is not None:
            return ProcessResult(lt.name, cached, False, path)
        session = _new_session(code_source, lt.credentials, serial, duration=duration, region=lt.region)
        safewrite.write_private(path, process_json(session) + "\n", backup=False)
        return ProcessResult(lt.name, session, True, path)


# ------------------------------------------------------------------------------ any profile's credentials


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
        paths: awsfiles.AwsPaths,
        profiles: Profiles,
        code_source: CodeSource,
        *,
        persist: bool,
        min_ttl: timedelta = DEFAULT_MIN_TTL,
        duration: int = DEFAULT_DURATION,
        clock: Clock | None = None,
    ) -> None:
        self.paths = paths
        self.profiles = profiles
        self.code_source = code_source
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
                session = _new_session(self.code_source, key, serial, duration=self.duration, region=region)
                if self.persist and profile:
                    write_session(self.paths, profile, session)
                self._by_serial[serial] = session
            return self._by_serial[serial]

    def known_session(self, serial: str) -> Credentials | None:
        """The MFA session already made for ``serial`` in this run, if any (never asks)."""
        with self._lock:
            return self._by_serial.get(serial)

    def fresh(self, session: Credentials) -> bool:
        left = remaining(session, self.clock)
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
                        role = assume_role(
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
        lt = long_term(self.profiles, name) if name + LONG_TERM_SUFFIX in self.profiles else None
        # In this layout a session renewable from a key with an MFA device was made with MFA.
        with_mfa = lt is not None and lt.mfa_serial is not None
        session = read_session(settings)
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
                            self.code_source,
                            min_ttl=self.min_ttl,
                            duration=self.duration,
                            clock=self.clock,
                        )
                        self._by_serial[lt.mfa_serial] = cached.session
            return Resolved(self.mfa_session(lt.credentials, lt.mfa_serial, region=lt.region, profile=name), True)
        static = read_static(settings)
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
        own_key = read_static(settings) if source == profile else None
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
    with aws.calling("credential_process"):
        frozen = aws.session(profile=profile).get_credentials()
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
    paths: awsfiles.AwsPaths,
    profile: str,
    code_source: CodeSource,
    *,
    duration: int | None = None,
    min_ttl: timedelta = DEFAULT_MIN_TTL,
    clock: Clock | None = None,
) -> Temporary:
    """Temporary credentials for ``profile`` and its region (see ``temporary_credentials``)."""
    profiles = awsfiles.load_profiles(paths)
    settings = profiles.get(profile)
    if settings is None:
        raise InputError(f"profile {profile!r} is not in your AWS files ({paths.config}, {paths.credentials})")
    credentials = temporary_credentials(
        paths, profiles, profile, code_source, duration=duration, min_ttl=min_ttl, clock=clock
    )
    region = settings.get("region") or profiles.get(str(settings.get("source_profile") or ""), {}).get("region")
    return Temporary(profile, credentials, str(region) if region else None)


def temporary_credentials(
    paths: awsfiles.AwsPaths,
    profiles: Profiles,
    profile: str,
    code_source: CodeSource,
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
    sources = SourceSessions(paths, profiles, code_source, persist=True, min_ttl=min_ttl, clock=clock)
    region = str(settings["region"]) if settings.get("region") else None
    if settings.get("role_arn"):
        base = sources.role_base(profile, settings)
        return assume_role(
            base.credentials,
            str(settings["role_arn"]),
            session_name=role_session_name(settings),
            duration=duration or int(settings.get("duration_seconds") or DEFAULT_ROLE_DURATION),
            external_id=settings.get("external_id"),
            region=region,
        )
    if profile.endswith(LONG_TERM_SUFFIX):
        lt = long_term(profiles, _base_name(profile))
        if lt.mfa_serial:
            return _new_session(code_source, lt.credentials, lt.mfa_serial, duration=duration or DEFAULT_DURATION)
        return get_plain_session(lt.credentials, duration=duration or DEFAULT_DURATION, region=region)
    resolved = sources.source(profile)
    if resolved.credentials.is_temporary:
        if resolved.credentials.expiration is not None and not sources.fresh(resolved.credentials):
            raise StateError(
                f"the session in [{profile}] has expired and there is no [{profile}-long-term] to renew it"
            )
        return resolved.credentials
    return get_plain_session(resolved.credentials, duration=duration or DEFAULT_DURATION, region=region)


# ------------------------------------------------------------------------------------ env and exec output

ENV_FORMATS = ("bash", "fish", "powershell", "github", "json")


def env_variables(temporary: Temporary) -> dict[str, str]:
    """The environment variables the SDKs read credentials (and the region) from."""
    credentials = temporary.credentials
    variables = {
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
    }
    if credentials.session_token:
        variables["AWS_SESSION_TOKEN"] = credentials.session_token
    if credentials.expiration:
        # botocore's environment provider reads it and refreshes nothing; other tools show it.
        variables["AWS_CREDENTIAL_EXPIRATION"] = credentials.expiration.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if temporary.region:
        variables["AWS_REGION"] = variables["AWS_DEFAULT_REGION"] = temporary.region
    return variables


def _fish_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _powershell_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def render_env(temporary: Temporary, output_format: str) -> str:
    """``env_variables`` in a shell's syntax (bash/zsh, fish, PowerShell), $GITHUB_ENV lines, or JSON."""
    variables = env_variables(temporary)
    if output_format == "json":
        return json.dumps(variables, indent=2) + "\n"
    lines: list[str] = []
    for key, value in variables.items():
        if output_format == "bash":
            lines.append(f"export {key}={shlex.quote(value)}")
        elif output_format == "fish":
            lines.append(f"set -gx {key} {_fish_quote(value)}")
        elif output_format == "powershell":
            lines.append(f"$Env:{key} = {_powershell_quote(value)}")
        elif output_format == "github":
            if "\n" in value:
                raise InputError(f"{key} holds a line break: $GITHUB_ENV needs the multi-line syntax")
            lines.append(f"{key}={value}")
        else:
            raise InputError(f"unknown format {output_format!r} (one of {', '.join(ENV_FORMATS)})")
    return "".join(line + "\n" for line in lines)


def child_environ(environ: Mapping[str, str], temporary: Temporary) -> dict[str, str]:
    """``environ`` for a child that must use ``temporary``: no profile or other credentials to compete."""
    child = {
        key: value
        for key, value in environ.items()
        if key not in {"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"}
    }
    child.update(env_variables(temporary))
    return child
