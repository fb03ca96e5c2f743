"""`env` and `exec`: temporary credentials as the environment variables the SDKs read, in a shell's syntax, or
handed to a child process.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping

from bootstrap import limits
from bootstrap.engineer.resolve import Temporary
from bootstrap.errors import InputError


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
