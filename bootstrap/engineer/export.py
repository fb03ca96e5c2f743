"""`env` and `exec`: temporary credentials for any profile (never a long-term key), as the environment variables
the SDKs read, in a shell's syntax, or handed to a child process.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bootstrap import limits
from bootstrap.awsfiles import layout
from bootstrap.awsfiles.layout import Profiles
from bootstrap.awsfiles.locations import AwsPaths
from bootstrap.awsfiles.profiles import load_credentials_file, load_profiles
from bootstrap.clock import Clock, SystemClock
from bootstrap.credentials import Credentials
from bootstrap.engineer.codes import CodeLog, CodeSource
from bootstrap.engineer.resolve import SourceSessions, role_session_name
from bootstrap.engineer.session import DEFAULT_MIN_TTL, mfa_session
from bootstrap.errors import InputError, StateError


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
    environ: Mapping[str, str] | None = None,
) -> Temporary:
    """Temporary credentials for ``profile`` and its region (see ``temporary_credentials``)."""
    profiles = load_profiles(paths)
    settings = profiles.get(profile)
    if settings is None:
        raise InputError(f"profile {profile!r} is not in your AWS files ({paths.config}, {paths.credentials})")
    credentials = temporary_credentials(
        paths,
        profiles,
        load_credentials_file(paths),
        profile,
        codes,
        duration=duration,
        min_ttl=min_ttl,
        clock=clock,
        environ=environ,
    )
    region = settings.get("region") or profiles.get(str(settings.get("source_profile") or ""), {}).get("region")
    return Temporary(profile, credentials, str(region) if region else None)


def temporary_credentials(
    paths: AwsPaths,
    profiles: Profiles,
    credentials_file: Profiles,
    profile: str,
    codes: CodeSource,
    *,
    duration: int | None = None,
    min_ttl: timedelta = DEFAULT_MIN_TTL,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
) -> Credentials:
    """Temporary credentials for ``profile`` (for `env` and `exec`), never a long-term key.

    A role profile: the role assumed from its source's MFA session (renewed with one code, and written back
    as `refresh` would, when too old), or from the key in ``environ`` (``credential_source = Environment``: a
    pipeline's). A session profile: its session (renewed likewise). A long-term profile:
    a new session from it (with MFA when it names a device).
    """
    # botocore is imported only where a call is made: a session profile whose session still lasts needs none.
    settings = profiles[profile]
    sources = SourceSessions(
        paths,
        profiles,
        codes,
        renew=True,
        credentials_file=credentials_file,
        min_ttl=min_ttl,
        clock=clock,
        environ=environ,
    )
    region = str(settings["region"]) if settings.get("region") else None
    if settings.get("role_arn"):
        wanted = duration or int(settings.get("duration_seconds") or limits.ROLE_DEFAULT)
        _check_role_duration(profiles, settings, wanted, given=duration is not None)
        base = sources.role_base(profile, settings)
        from bootstrap.aws import sts

        return sts.assume_role(
            base.credentials,
            str(settings["role_arn"]),
            session_name=role_session_name(settings),
            duration=wanted,
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
        from bootstrap.aws import sts

        return sts.get_plain_session(lt.credentials, duration=duration or limits.SESSION_DEFAULT, region=region)
    resolved = sources.source(profile)
    if resolved.credentials.is_temporary:
        if resolved.credentials.expiration is not None and not sources.fresh(resolved.credentials):
            raise StateError(
                f"the session in [{profile}] has expired and there is no [{profile}-long-term] to renew it"
            )
        return resolved.credentials
    from bootstrap.aws import sts

    return sts.get_plain_session(resolved.credentials, duration=duration or limits.SESSION_DEFAULT, region=region)


def _check_role_duration(profiles: Profiles, settings: Mapping[str, Any], duration: int, *, given: bool) -> None:
    """Refuse, before any call, a session length AWS would refuse where the limit is known here: more than a
    role can ever allow, or more than the hour a role assumed from another role's session (role chaining) lasts."""
    flag = "--duration" if given else "duration_seconds"
    if not limits.ROLE_MIN <= duration <= limits.ROLE_MAX:
        raise InputError(
            f"{flag} {duration}: a role session lasts {limits.ROLE_MIN} to {limits.ROLE_MAX} seconds (at most the "
            "role's MaxSessionDuration)"
        )
    source = profiles.get(str(settings.get("source_profile") or ""), {})
    if source.get("role_arn") and duration > limits.ROLE_CHAINED_MAX:
        raise InputError(
            f"{flag} {duration}: this role is assumed from another role's session (role chaining), which AWS "
            f"limits to {limits.ROLE_CHAINED_MAX} seconds"
        )


def env_variables(temporary: Temporary) -> dict[str, str]:
    """The environment variables the SDKs read credentials (and the region) from."""
    credentials = temporary.credentials
    variables = {
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
    }
    if credentials.session_token:
        variables["AWS_SESSION_TOKEN"] = credentials.session_token
    if credentials.expiration_iso:
        # botocore's environment provider reads it and refreshes nothing; other tools show it.
        variables["AWS_CREDENTIAL_EXPIRATION"] = credentials.expiration_iso
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
            raise InputError(f"unknown format {output_format!r} (one of {', '.join(limits.ENV_FORMATS)})")
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
