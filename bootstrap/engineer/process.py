"""A profile's ``credential_process``, run as the SDKs run it, but never for longer than a bound.

botocore's own ``ProcessProvider`` runs the line (split as botocore splits it, without a shell, reading the JSON
it prints), so a line whose program is not on PATH, is misspelt, takes a flag it does not know or names the
wrong profile fails here exactly as it fails in every SDK. botocore waits for the process forever; here a
process that has not answered within ``timeout`` seconds is killed and reported.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from bootstrap.aws.codes import PROCESS_FAILED, PROCESS_NOT_FOUND, PROCESS_TIMEOUT
from bootstrap.credentials import Credentials
from bootstrap.errors import AwsError

DEFAULT_TIMEOUT = 60.0  # a person typing an MFA code at a process's own prompt needs a while
OURS = "aws-iam-bootstrap"


class _TimedOut(Exception):
    pass


def _bounded(timeout: float) -> Any:
    """A ``Popen`` for botocore whose ``communicate`` gives up (killing the process) after ``timeout`` s."""

    class Bounded(subprocess.Popen[bytes]):
        def communicate(self, input: Any = None, timeout: float | None = timeout) -> tuple[Any, Any]:
            try:
                return super().communicate(input, timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                super().communicate()
                raise _TimedOut from None

    def start(args: Sequence[str], stdout: int | IO[bytes] | None = None, stderr: int | IO[bytes] | None = None) -> Any:
        return Bounded(args, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)

    return start


def program_of(line: str) -> str:
    """The program a ``credential_process`` line runs (its first word, as botocore splits it)."""
    from botocore.compat import compat_shell_split

    words = compat_shell_split(line)
    return words[0] if words else ""


def is_ours(line: str) -> bool:
    """Whether the line runs this tool's ``credential-process`` (its cache can be filled first, one code a day)."""
    try:
        words = shlex.split(line)
    except ValueError:
        return False
    return bool(words) and Path(words[0]).name == OURS and "credential-process" in words[1:]


def profile_of(line: str) -> str | None:
    """The ``--profile`` this tool's credential-process line names (whose cache it reads), if it names one."""
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    for i, word in enumerate(words):
        if word in ("--profile", "-p") and i + 1 < len(words):
            return words[i + 1]
        if word.startswith("--profile="):
            return word.split("=", 1)[1]
    return None


def run(profiles: Mapping[str, Mapping[str, Any]], profile: str, *, timeout: float = DEFAULT_TIMEOUT) -> Credentials:
    """The credentials ``profile``'s ``credential_process`` prints, or ``AwsError`` saying why there are none."""
    from botocore.credentials import ProcessProvider

    from bootstrap.aws.errors import calling

    line = str(profiles.get(profile, {}).get("credential_process") or "")
    provider = ProcessProvider(profile, lambda: {"profiles": profiles}, popen=_bounded(timeout))
    program = program_of(line)
    try:
        with calling("credential_process"):
            loaded = provider.load()
    except FileNotFoundError:
        raise AwsError(
            f"profile {profile!r}: its credential_process runs {program!r}, which is not on PATH",
            code=PROCESS_NOT_FOUND,
            action="credential_process",
        ) from None
    except PermissionError:
        raise AwsError(
            f"profile {profile!r}: its credential_process runs {program!r}, which cannot be run",
            code=PROCESS_NOT_FOUND,
            action="credential_process",
        ) from None
    except _TimedOut:
        raise AwsError(
            f"profile {profile!r}: its credential_process ({program!r}) did not answer within {timeout:g} s",
            code=PROCESS_TIMEOUT,
            action="credential_process",
        ) from None
    except ValueError:  # not the JSON it must print
        raise AwsError(
            f"profile {profile!r}: its credential_process ({program!r}) printed no credentials JSON",
            code=PROCESS_FAILED,
            action="credential_process",
        ) from None
    if loaded is None:
        raise AwsError(f"profile {profile!r} has no credential_process", code=PROCESS_FAILED)
    frozen = loaded.get_frozen_credentials()
    if not (frozen.access_key and frozen.secret_key):
        raise AwsError(f"profile {profile!r}: its credential_process gave no key", code=PROCESS_FAILED)
    # botocore keeps the expiry of refreshable credentials to itself; it is only shown, never relied on.
    expiry = getattr(loaded, "_expiry_time", None)
    return Credentials(frozen.access_key, frozen.secret_key, frozen.token, expiry)
