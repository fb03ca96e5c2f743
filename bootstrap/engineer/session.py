"""The one way an MFA session is made: ask a code (through ``codes.with_codes``, so a wrong code is asked again and
a replayed one refused), call GetSessionToken. refresh, credential-process, verify, env, exec, onboard and
rotate-key all come here.

boto3 is imported only when a session is really made, so a command that finds a valid session stays light; the
code rules (``codes``) likewise, since a valid session asks for no code.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bootstrap import limits
from bootstrap.awsfiles.layout import remaining
from bootstrap.clock import Clock
from bootstrap.credentials import Credentials

if TYPE_CHECKING:
    from bootstrap.engineer.codes import CodeLog, CodeSource

DEFAULT_MIN_TTL = timedelta(minutes=limits.MIN_TTL_MINUTES)


def mfa_session(
    codes: CodeSource,
    key: Credentials,
    serial: str,
    *,
    clock: Clock,
    log: CodeLog,
    duration: int = limits.SESSION_DEFAULT,
    region: str | None = None,
) -> Credentials:
    """An MFA session of the long-term ``key`` for the device ``serial``, with a code from ``codes``."""
    from bootstrap.aws import sts
    from bootstrap.engineer.codes import with_codes

    sts.check_duration(duration)
    return with_codes(
        codes,
        "session",
        serial,
        lambda given: sts.get_session(key, serial, given[0], duration=duration, region=region),
        clock=clock,
        log=log,
    )


def left_over(session: Credentials, min_ttl: timedelta, clock: Clock) -> timedelta | None:
    """How long ``session`` still lasts when that is more than ``min_ttl``; ``None`` when it needs renewing."""
    left = remaining(session, clock)
    return left if left is not None and left > min_ttl else None
