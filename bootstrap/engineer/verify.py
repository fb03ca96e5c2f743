"""Which profile works, in which account, and in plain words why the others do not.

Every profile is read with botocore's own loader (what the SDKs see). Role profiles are checked by assuming the
role from their source, then asking the new credentials who they are; session, key and ``credential_process``
profiles by GetCallerIdentity. Sources are resolved first, one at a time, so at most one MFA code is asked per
MFA device (none when the source holds a valid session); the checks then run in a bounded thread pool with
botocore's adaptive retries absorbing throttling.

Reasons come from the AWS error *code* and what we know about the call (did the caller carry MFA? does the
team's CONST.inc know the role?), never from the message text.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any, Literal

from bootstrap import arns, limits
from bootstrap.aws import clients, codes, sts
from bootstrap.aws.errors import calling
from bootstrap.awsfiles import layout
from bootstrap.awsfiles.layout import Profiles
from bootstrap.awsfiles.locations import AwsPaths
from bootstrap.awsfiles.profiles import load_credentials_file, load_profiles
from bootstrap.clock import Clock, SystemClock
from bootstrap.credentials import Credentials
from bootstrap.engineer import process, roles
from bootstrap.engineer.codes import CodeSource, Counting
from bootstrap.engineer.resolve import SourceSessions, role_session_name
from bootstrap.engineer.session import DEFAULT_MIN_TTL
from bootstrap.errors import AwsError, BootstrapError, InputError

Kind = Literal["role", "session", "key", "process", "none"]
Result = Literal["ok", "failed", "skipped"]

DEFAULT_WORKERS = 16


@dataclass(frozen=True)
class Organisation:
    """What the team's CONST.inc says: account names by id, and the roles that exist."""

    account_names: Mapping[str, str] = field(default_factory=dict)
    role_arns: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ProfileCheck:
    profile: str
    kind: Kind
    result: Result
    account_id: str | None = None
    account_name: str | None = None
    role: str | None = None
    identity: str | None = None  # the ARN GetCallerIdentity returned
    error_code: str | None = None
    reason: str | None = None
    session_remaining: float | None = None  # seconds left in the (source) session, when it says
    seconds: float = 0.0  # how long the check took
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.result != "failed"


@dataclass(frozen=True)
class VerifyReport:
    checks: tuple[ProfileCheck, ...]
    codes_asked: int
    seconds: float
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failed(self) -> tuple[ProfileCheck, ...]:
        return tuple(check for check in self.checks if not check.ok)

    @property
    def checked(self) -> int:
        return sum(1 for check in self.checks if check.result != "skipped")

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "failed": len(self.failed),
            "codes_asked": self.codes_asked,
            "seconds": round(self.seconds, 3),
            "notes": list(self.notes),
            "profiles": [
                {**asdict(c), "seconds": round(c.seconds, 3), "warnings": list(c.warnings)} for c in self.checks
            ],
        }


def load_organisation(const_file: Path | None, cwd: Path) -> Organisation | None:
    """Account names and roles from CONST.inc (``const_file``, else in ``cwd`` or its git root), if there is one."""
    from bootstrap.team.const import load_const
    from bootstrap.team.inputs import find_const

    try:
        path = find_const(cwd, const_file)
    except InputError:
        if const_file:
            raise
        return None  # no CONST.inc: verify still checks every profile, with fewer names to show
    loaded = load_const(path)
    names = {account.id: account.name for account in loaded.accounts}
    arns = frozenset(role.arn for role in loaded.roles)
    return Organisation(names, arns)


def classify(settings: Mapping[str, Any], in_credentials_file: Mapping[str, Any] | None = None) -> Kind:
    """What a profile's credentials are, in botocore's order: a role; keys in the credentials file; a
    ``credential_process``; keys in the config file."""

    def keys(values: Mapping[str, Any]) -> Kind | None:
        if values.get("aws_session_token") or values.get("aws_security_token"):
            return "session"
        return "key" if values.get("aws_access_key_id") else None

    if settings.get("role_arn"):
        return "role"
    first = keys(in_credentials_file) if in_credentials_file is not None else None
    if first is not None:
        return first
    if settings.get("credential_process"):
        return "process"
    return keys(settings) or "none"


def _key_age_warning(key: Credentials, callers: Sequence[Credentials], clock: Clock) -> tuple[str, ...]:
    """A warning when the long-term ``key`` is older than ``keys.OLD_KEY_DAYS``; quiet when IAM will not say.

    ListAccessKeys usually needs MFA (the ManageOwnUser policy denies it without), so the key's own MFA session
    asks when there is one; no code is asked just for this.
    """
    for caller in (key, *callers):
        try:
            iam = clients.client("iam", caller)
            with calling("iam:ListAccessKeys"):
                listed = iam.list_access_keys()["AccessKeyMetadata"]
        except AwsError:
            continue
        for meta in listed:
            if meta.get("AccessKeyId") == key.access_key_id and meta.get("CreateDate"):
                created = meta["CreateDate"]
                created = created if created.tzinfo else created.replace(tzinfo=UTC)
                age = clock.now() - created
                if age > timedelta(days=limits.OLD_KEY_DAYS):
                    return (f"access key is {age.days} days old: rotate it (`aws-iam-bootstrap rotate-key`)",)
        return ()
    return ()


class _Checker:
    def __init__(
        self,
        profiles: Profiles,
        sources: SourceSessions,
        organisation: Organisation | None,
        clock: Clock,
        source_errors: Mapping[str, BootstrapError],
        kinds: Mapping[str, Kind],
    ) -> None:
        self.profiles = profiles
        self.sources = sources
        self.organisation = organisation
        self.clock = clock
        self.source_errors = source_errors
        self.kinds = kinds

    def account_name(self, account_id: str | None, profile: str) -> str:
        if self.organisation and account_id and account_id in self.organisation.account_names:
            return self.organisation.account_names[account_id]
        return profile

    def role_known(self, role_arn: str) -> bool | None:
        if self.organisation is None or not self.organisation.role_arns:
            return None
        return role_arn in self.organisation.role_arns

    def check(self, profile: str) -> ProfileCheck:
        started = time.perf_counter()
        settings = self.profiles[profile]
        kind = self.kinds[profile]
        try:
            check = self._check(profile, settings, kind)
        except AwsError as exc:
            check = self._failure(profile, settings, kind, exc.code, exc.action)
        except BootstrapError as exc:
            check = self._failure(profile, settings, kind, "", "", reason=exc.format_message())
        return _with(check, seconds=time.perf_counter() - started)

    def _failure(
        self,
        profile: str,
        settings: Mapping[str, Any],
        kind: Kind,
        code: str,
        action: str,
        *,
        reason: str | None = None,
        mfa: bool = True,
        remaining: float | None = None,
    ) -> ProfileCheck:
        role_arn = str(settings.get("role_arn") or "") or None
        account_id = arns.account_of(role_arn)
        return ProfileCheck(
            profile=profile,
            kind=kind,
            result="failed",
            account_id=account_id,
            account_name=self.account_name(account_id, profile),
            role=arns.name_of(role_arn) if role_arn else None,
            error_code=code or None,
            reason=reason
            or codes.reason_for(code, action, mfa=mfa, role_known=self.role_known(role_arn) if role_arn else None),
            session_remaining=remaining,
        )

    def _sessions_of(self, long_term_profile: str) -> list[Credentials]:
        """MFA sessions of a long-term profile's user that this run already holds (no code is asked for them)."""
        found: list[Credentials] = []
        if long_term_profile.endswith(layout.SUFFIX):
            name = long_term_profile[: -len(layout.SUFFIX)]
            in_file = layout.read_session(self.profiles.get(name, {}))
            if in_file is not None:
                found.append(in_file)
            serial = layout.mfa_serial_of(self.profiles[long_term_profile])
            if serial and (made := self.sources.known_session(serial)) is not None:
                found.append(made)
        return found

    def _left(self, credentials: Credentials) -> float | None:
        left = layout.remaining(credentials, self.clock)
        return left.total_seconds() if left is not None else None

    def _check(self, profile: str, settings: Mapping[str, Any], kind: Kind) -> ProfileCheck:
        region = str(settings["region"]) if settings.get("region") else None
        if kind == "none" and self.sources.renew and profile + layout.SUFFIX in self.profiles:
            kind = "session"  # `verify --refresh` made its session (as `refresh` would), and checks it
        if kind == "none":
            if profile + layout.SUFFIX in self.profiles:
                # The SDKs find nothing here until `refresh` writes the session: that profile does not work yet.
                return self._failure(
                    profile,
                    settings,
                    kind,
                    "NoCredentials",
                    "",
                    reason="no session yet: run `aws-iam-bootstrap refresh`",
                )
            if settings.get("sso_session") or settings.get("sso_start_url"):
                return ProfileCheck(profile, kind, "skipped", reason="IAM Identity Center (SSO) profile: not checked")
            return ProfileCheck(profile, kind, "skipped", reason="no credentials in this profile")
        if kind == "role":
            return self._check_role(profile, settings, region)
        if profile in self.source_errors:
            raise self.source_errors[profile]
        if kind == "key" and not (settings.get("aws_secret_access_key")):
            return self._failure(profile, settings, kind, "", "", reason="aws_secret_access_key is missing")
        credentials = self.sources.source(profile).credentials  # as the SDKs take it (already run for a process)
        left = self._left(credentials)
        if left is not None and left <= 0:
            return self._failure(profile, settings, kind, "ExpiredToken", "sts:GetCallerIdentity", remaining=left)
        identity = sts.caller_identity(credentials, region=region)
        warnings: tuple[str, ...] = ()
        if kind == "key":
            warnings = _key_age_warning(credentials, self._sessions_of(profile), self.clock)
        account_id = identity.account or None
        parsed = arns.parse(identity.arn)
        return ProfileCheck(
            profile=profile,
            kind=kind,
            result="ok",
            account_id=account_id,
            account_name=self.account_name(account_id, profile),
            role=parsed.label if parsed is not None else identity.arn,
            identity=identity.arn,
            session_remaining=left,
            warnings=warnings,
        )

    def _check_role(self, profile: str, settings: Mapping[str, Any], region: str | None) -> ProfileCheck:
        role_arn = str(settings["role_arn"])
        source = str(settings.get("source_profile") or "")
        if not source and settings.get("credential_source"):
            # Credentials of the machine it runs on (EC2, ECS, environment): not this machine's to check.
            return ProfileCheck(
                profile,
                "role",
                "skipped",
                role=arns.name_of(role_arn),
                reason=f"credential_source = {settings['credential_source']}: not checked here",
            )
        if profile in self.source_errors:
            raise self.source_errors[profile]
        base = self.sources.role_base(profile, settings)
        left = self._left(base.credentials)
        expired = f"expired session in source profile [{source}]: run `aws-iam-bootstrap refresh`"
        if left is not None and left <= 0:
            return self._failure(
                profile, settings, "role", "ExpiredToken", "sts:AssumeRole", remaining=left, reason=expired
            )
        verdict = roles.check(
            base.credentials,
            role_arn,
            mfa=base.mfa,
            role_known=self.role_known(role_arn),
            session_name=role_session_name(settings),
            external_id=settings.get("external_id"),
            region=region,
        )
        return ProfileCheck(
            profile=profile,
            kind="role",
            result="ok" if verdict.ok else "failed",
            account_id=verdict.account_id,
            account_name=self.account_name(verdict.account_id, profile),
            role=arns.name_of(role_arn),
            identity=verdict.identity,
            error_code=verdict.error_code,
            # A session without an expiration in the file is found expired by AWS: say whose it was.
            reason=expired if verdict.error_code in codes.EXPIRED else verdict.reason,
            session_remaining=left,
        )


def _with(check: ProfileCheck, **changes: Any) -> ProfileCheck:
    values = asdict(check)
    values["warnings"] = tuple(values["warnings"])
    values.update(changes)
    return ProfileCheck(**values)


def select(profiles: Mapping[str, Any], patterns: Sequence[str]) -> list[str]:
    """Profile names matching any of ``patterns`` (fnmatch; all when none), in name order."""
    names = sorted(profiles)
    if not patterns:
        return names
    chosen = [name for name in names if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)]
    if not chosen:
        raise InputError(f"no profile matches {' or '.join(repr(p) for p in patterns)} (profiles: {', '.join(names)})")
    return chosen


def verify(
    paths: AwsPaths,
    code_source: CodeSource,
    *,
    patterns: Sequence[str] = (),
    organisation: Organisation | None = None,
    max_workers: int = DEFAULT_WORKERS,
    min_ttl: timedelta = DEFAULT_MIN_TTL,
    clock: Clock | None = None,
    on_check: Callable[[ProfileCheck], None] | None = None,
    refresh: bool = False,
    process_timeout: float = process.DEFAULT_TIMEOUT,
) -> VerifyReport:
    """Check every profile (or those matching ``patterns``) as the SDKs will resolve it.

    Sessions are used as they are: an expired one fails, naming `refresh`; with ``refresh``, a session too old is
    renewed first and written back, as `refresh` does (otherwise nothing is written). A ``credential_process`` is
    run for real, for at most ``process_timeout`` seconds. ``code_source`` is asked at most once per MFA device.
    ``on_check`` sees each result as it arrives (for progress).
    """
    started = time.perf_counter()
    clock = clock or SystemClock()
    profiles = load_profiles(paths)
    in_file = load_credentials_file(paths)
    chosen = select(profiles, patterns)
    kinds = {name: classify(profiles[name], in_file.get(name, {})) for name in chosen}
    counting = Counting(code_source)
    sources = SourceSessions(
        paths,
        profiles,
        counting,
        renew=refresh,
        credentials_file=in_file,
        min_ttl=min_ttl,
        clock=clock,
        process_timeout=process_timeout,
    )
    # Sources first, one by one: a code is asked once per device, a process runs once (a person may have to answer
    # it), and a refused code is not asked again per role.
    source_errors: dict[str, BootstrapError] = {}
    failed_sources: dict[str, BootstrapError] = {}
    for name in chosen:
        settings = profiles[name]
        kind = kinds[name]
        if kind == "none":
            continue
        if kind == "role" and not settings.get("source_profile"):
            continue
        source = str(settings.get("source_profile") or "") if kind == "role" else name
        key = f"{source}\0{settings.get('mfa_serial') or ''}"
        if key in failed_sources:
            source_errors[name] = failed_sources[key]
            continue
        try:
            if kind == "role":
                sources.role_base(name, settings)
            else:
                sources.source(name)
        except BootstrapError as exc:
            failed_sources[key] = source_errors[name] = exc

    checker = _Checker(profiles, sources, organisation, clock, source_errors, kinds)
    results: dict[str, ProfileCheck] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(chosen)))) as pool:
        for check in pool.map(checker.check, chosen):
            results[check.profile] = check
            if on_check is not None:
                on_check(check)
    notes: list[str] = []
    for name in chosen:
        check = results[name]
        renewable = name + layout.SUFFIX in profiles
        if check.kind == "session" and check.error_code == "ExpiredToken" and renewable:
            notes.append(
                f"[{name}] has expired: `aws-iam-bootstrap refresh --profile {name}` renews it (or `verify --refresh`)"
            )
    return VerifyReport(
        tuple(results[name] for name in chosen), counting.asked, time.perf_counter() - started, tuple(notes)
    )
