"""The profile layout the tool keeps, aws-mfa's: the long-term key in ``[NAME-long-term]``, the MFA session in
``[NAME]``, role profiles naming ``source_profile = NAME``, so one MFA code serves every role in every account.

The long-term profile names its MFA device with ``mfa_serial`` (config) or aws-mfa's ``aws_mfa_device``
(credentials). The session profile holds every key aws-mfa writes and checks (``assumed_role``, both token
spellings, and ``expiration`` as ``YYYY-MM-DD HH:MM:SS`` in UTC), so a team can switch tools without editing a file.
Pure reading and naming, plus ``write_session``; no AWS calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bootstrap import limits
from bootstrap.awsfiles.locations import AwsPaths
from bootstrap.clock import Clock, SystemClock
from bootstrap.credentials import Credentials
from bootstrap.errors import InputError

if TYPE_CHECKING:
    # The writers below import the store when they write: reading the layout (credential-process, on every SDK
    # call) must not load the merge machinery.
    from bootstrap.awsfiles.store import FileChange

AWS_MFA_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SUFFIX = limits.LONG_TERM_SUFFIX

Profiles = Mapping[str, Mapping[str, Any]]


def format_expiration(expiration: datetime) -> str:
    """aws-mfa's format: UTC, no zone, to the second."""
    return expiration.astimezone(UTC).strftime(AWS_MFA_TIME_FORMAT)


def parse_expiration(text: str | None) -> datetime | None:
    """An ``expiration`` as aws-mfa writes it (UTC) or ISO 8601; ``None`` when absent or unreadable."""
    if not text:
        return None
    text = str(text).strip()
    try:
        # fromisoformat reads aws-mfa's "YYYY-MM-DD HH:MM:SS" as well as ISO 8601, without loading _strptime
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = datetime.strptime(text, AWS_MFA_TIME_FORMAT)
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


def write_session(paths: AwsPaths, profile: str, session: Credentials, *, dry_run: bool = False) -> FileChange:
    """Write ``session`` into ``[profile]`` of the credentials file (atomic, 0600, backup; other bytes kept)."""
    from bootstrap.awsfiles.store import set_profile

    return set_profile(paths, "credentials", profile, session_values(session), dry_run=dry_run)


def write_key(paths: AwsPaths, profile: str, key: Credentials) -> FileChange:
    """Write a long-term key into ``[profile]`` of the credentials file."""
    from bootstrap.awsfiles.store import set_profile

    return set_profile(
        paths,
        "credentials",
        profile,
        {"aws_access_key_id": key.access_key_id, "aws_secret_access_key": key.secret_access_key},
    )


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


def base_name(profile: str) -> str:
    """``NAME`` of ``NAME-long-term`` (any other name as it is)."""
    return profile[: -len(SUFFIX)] if profile.endswith(SUFFIX) else profile


def session_profile_name(profiles: Profiles, profile: str | None, environ: Mapping[str, str]) -> str:
    """The session profile NAME to work on (its long-term key is in ``NAME-long-term``).

    ``profile`` may name the session profile, its long-term profile, or a role profile (its ``source_profile``
    is used). Without one: ``AWS_PROFILE`` when it leads to a long-term profile, else the only ``*-long-term``
    profile, else ``default`` (aws-mfa's default).
    """
    long_terms = sorted(name for name in profiles if name.endswith(SUFFIX))

    def lead(candidate: str) -> str | None:
        name = base_name(candidate)
        if name + SUFFIX in profiles:
            return name
        source = profiles.get(candidate, {}).get("source_profile")
        if source and base_name(str(source)) + SUFFIX in profiles:
            return base_name(str(source))
        return None

    if profile:
        found = lead(profile)
        if found is None:
            listed = ", ".join(long_terms) or "none"
            raise InputError(
                f"no long-term profile for {profile!r}: expected [{base_name(profile)}{SUFFIX}] "
                f"holding your access key (long-term profiles found: {listed})"
            )
        return found
    for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        if environ.get(variable) and (found := lead(environ[variable])):
            return found
    if len(long_terms) == 1:
        return base_name(long_terms[0])
    if "default" + SUFFIX in profiles:
        return "default"
    if not long_terms:
        raise InputError(f"no [NAME{SUFFIX}] profile with a long-term key in your AWS files; run `onboard` or `render`")
    raise InputError(f"several long-term profiles ({', '.join(long_terms)}): pass --profile NAME")


def long_term(profiles: Profiles, name: str) -> LongTerm:
    """The long-term key (and MFA serial) that renews session profile ``name``."""
    profile = name + SUFFIX
    settings = profiles.get(profile)
    if settings is None:
        raise InputError(f"no [{profile}] profile holding your long-term access key")
    credentials = read_static(settings)
    if credentials is None:
        raise InputError(f"[{profile}] has no aws_access_key_id and aws_secret_access_key (a long-term key)")
    region = settings.get("region") or profiles.get(name, {}).get("region")
    return LongTerm(name, profile, credentials, mfa_serial_of(settings), str(region) if region else None)


def renewer(profiles: Profiles, profile: str | None, environ: Mapping[str, str] | None) -> tuple[LongTerm, str]:
    """The long-term profile renewing the session ``profile`` leads to, and its MFA serial (required)."""
    lt = long_term(profiles, session_profile_name(profiles, profile, environ if environ is not None else {}))
    if not lt.mfa_serial:
        raise InputError(
            f"[{lt.profile}] names no MFA device: add `mfa_serial = arn:aws:iam::ACCOUNT:mfa/USER` to "
            f"[profile {lt.profile}] in config (or run `onboard`)"
        )
    return lt, lt.mfa_serial
