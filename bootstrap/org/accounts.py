"""Reaching the organisation's accounts: one AWS profile per account, named by the admin (``--profile ENV=NAME``),
each checked to really be in the account CONST.inc says before anything is read or changed there.

An ``Access`` is how the rest of ``org`` talks to one account: a boto3 client per service. Profiles go through
botocore's own resolution (SSO, role chains, credential_process all work); the sandbox seeds itself with explicit
credentials through the same type.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from bootstrap.errors import InputError
from bootstrap.org.model import USERS_ENV, Organisation

PROFILES_ENV: Final = "AWS_IAM_BOOTSTRAP_ORG_PROFILES"
_ASSIGNMENT = re.compile(r"(?P<env>[A-Z][A-Z0-9_]*)=(?P<profile>\S+)")


@dataclass(frozen=True)
class Access:
    """One account, reachable: ``client(service)`` gives a boto3 client acting in it."""

    env: str
    account_id: str
    label: str  # how the admin named it: "profile example-dev-admin"
    client: Callable[[str], Any] = field(compare=False, repr=False)
    caller: str = ""  # the ARN GetCallerIdentity answered


def parse_profiles(given: Iterable[str], environ_value: str | None = None) -> dict[str, str]:
    """``ENV=PROFILE`` assignments from flags, after those of ``$AWS_IAM_BOOTSTRAP_ORG_PROFILES`` (space or comma
    separated); a flag wins over the variable."""
    found: dict[str, str] = {}
    sources = [("$" + PROFILES_ENV, item) for item in re.split(r"[\s,]+", environ_value or "") if item]
    sources += [("--profile", item) for item in given]
    for where, item in sources:
        match = _ASSIGNMENT.fullmatch(item.strip())
        if match is None:
            raise InputError(f"{where} {item!r}: expected ENV=PROFILE, such as DEV=example-dev-admin")
        found[match.group("env")] = match.group("profile")
    return found


def check_profiles(org: Organisation, profiles: Mapping[str, str], envs: Iterable[str]) -> None:
    """Every account in ``envs`` has a profile, and every profile names an account of the organisation."""
    known = [USERS_ENV, *(a.env for a in org.accounts)]
    for env in profiles:
        if env not in known:
            raise InputError(f"--profile {env}=...: no environment {env!r} in CONST.inc (known: {', '.join(known)})")
    missing = [env for env in envs if env not in profiles]
    if missing:
        example = " ".join(f"--profile {env}=PROFILE" for env in missing)
        raise InputError(
            f"no profile for {', '.join(missing)}: name the AWS profile that administers each account ({example}, "
            f"or ${PROFILES_ENV}); nothing was changed"
        )


def account_id(org: Organisation, env: str) -> str:
    return org.users_account_id if env == USERS_ENV else org.account(env).id


def through_profiles(org: Organisation, profiles: Mapping[str, str], envs: Iterable[str]) -> dict[str, Access]:
    """An ``Access`` per account of ``envs``, each profile checked (GetCallerIdentity) to be in its account. All
    are checked before any is used: a wrong one changes nothing anywhere."""
    from bootstrap.aws import clients
    from bootstrap.aws.errors import calling

    envs = list(envs)
    check_profiles(org, profiles, envs)
    found: dict[str, Access] = {}
    for env in envs:
        profile = profiles[env]
        expected = account_id(org, env)

        def make(service: str, profile: str = profile) -> Any:
            return clients.client(service, profile=profile, region=org.region)

        with calling(f"sts:GetCallerIdentity (profile {profile})"):
            who = make("sts").get_caller_identity()
        found[env] = verified(env, expected, f"profile {profile}", make, who)
    return found


def verified(env: str, expected: str, label: str, make: Callable[[str], Any], who: Mapping[str, Any]) -> Access:
    """``Access`` once GetCallerIdentity's answer ``who`` shows the account is ``expected``."""
    actual = str(who.get("Account", ""))
    if actual != expected:
        raise InputError(
            f"{label} is in account {actual} ({who.get('Arn', '?')}), but CONST.inc says {env} is {expected}: "
            "nothing was changed"
        )
    return Access(env, expected, label, make, str(who.get("Arn", "")))


def through_credentials(
    env: str, expected: str, label: str, make: Callable[[str], Any], *, check: bool = True
) -> Access:
    """An ``Access`` from a client factory (the sandbox's own seeding), checked like a profile."""
    if not check:
        return Access(env, expected, label, make)
    return verified(env, expected, label, make, make("sts").get_caller_identity())
