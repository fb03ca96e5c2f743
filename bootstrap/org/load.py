"""The organisation read from the team's two files, its single source of truth: CONST.inc says which accounts
and roles exist (and the group suffix, ``USERS_IAM_GROUP_SUFFIX``), users.yaml says who may assume what.

Every grant is checked against CONST.inc here, with the users file's line: an unknown environment, a role kind
the environment lacks, a grant in the users account itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bootstrap import arns
from bootstrap.errors import InputError
from bootstrap.org import naming
from bootstrap.org.model import USERS_ENV, EnvAccount, Organisation, Person
from bootstrap.org.pipelines import Pipeline
from bootstrap.org.service_roles import ServiceRole
from bootstrap.org.users_file import UserEntry, UsersFile, Where
from bootstrap.team.const import Variables

USERS_FILE: Final = "users.yaml"
SUFFIX_KEY: Final = f"{USERS_ENV}_IAM_GROUP_SUFFIX"
SUFFIX: Final = re.compile(r"[A-Za-z0-9]{1,32}")


@dataclass(frozen=True)
class Sources:
    """Where the organisation was read from."""

    const_file: Path
    users_file: Path


def find(cwd: Path, const_file: Path | None = None, users_file: Path | None = None) -> Sources:
    """CONST.inc as ``team.inputs`` finds it, and users.yaml as given, else beside CONST.inc."""
    from bootstrap.team.inputs import find_const

    const = find_const(cwd, const_file)
    if users_file is None:
        users = const.parent / USERS_FILE
    else:
        users = users_file if users_file.is_absolute() else cwd / users_file
    return Sources(const, users)


def load(sources: Sources) -> Organisation:
    """The organisation of the two files (``InputError`` naming file and line for any mistake)."""
    from bootstrap.org import users_file
    from bootstrap.team.const import load_const

    return organisation(load_const(sources.const_file), users_file.load(sources.users_file))


def organisation(variables: Variables, users: UsersFile) -> Organisation:
    """The organisation of CONST.inc's ``variables`` and the users file (a mistake named by its line: a file read
    without line numbers, the fast way, is read again with them to say where)."""
    try:
        return _organisation(variables, users)
    except InputError:
        if users.text is None:
            raise
        from bootstrap.org import users_file

        return _organisation(variables, users_file.parse(users.text, users.source, fast=False))


def _organisation(variables: Variables, users: UsersFile) -> Organisation:
    const = str(variables.source or "CONST.inc")
    accounts = {account.env: account for account in variables.accounts}
    if USERS_ENV not in accounts:
        raise InputError(
            f"{const}: no {USERS_ENV}_AWS_ACCOUNT_ID and {USERS_ENV}_AWS_ACCOUNT_NAME: the org commands need the "
            "users-only account that holds the humans (to let DEV stand in for it, give it DEV's values)"
        )
    suffix = variables.values.get(SUFFIX_KEY)
    if suffix is None:
        raise InputError(
            f"{const}: no {SUFFIX_KEY}: the suffix of the users account's groups (infra-AssumeRoleG-<suffix>); "
            f"add a line such as {SUFFIX_KEY}={naming.new_suffix()}"
        )
    if not SUFFIX.fullmatch(suffix):
        raise InputError(f"{variables.where(SUFFIX_KEY)}: {SUFFIX_KEY}={suffix!r}: letters and digits only (1-32)")
    users_account = accounts[USERS_ENV]
    envs = tuple(
        EnvAccount(
            account.env,
            account.id,
            account.name,
            {role.kind: role.name for role in account.roles if role.kind in naming.KINDS},
        )
        for account in variables.accounts
        if account.env != USERS_ENV
    )
    org = Organisation(
        region=variables.region or "us-east-1",
        users_account_id=users_account.id,
        users_account_name=users_account.name,
        group_suffix=suffix,
        accounts=envs,
        settings=users.settings,
    )
    for entry in users.users:
        _check_grants(org, entry)
    for env, kind in users.settings.granted_by_group:
        _check_kind(org, env, kind, users.settings.where.get("granted_by_group", Where(users.source, 0)), "settings")
    people = tuple(Person(entry.name, dict(entry.grants), entry.power) for entry in users.users)
    return Organisation(
        org.region,
        org.users_account_id,
        org.users_account_name,
        suffix,
        envs,
        people,
        users.settings,
        _pipelines(org, users),
        _service_roles(org, users),
    )


def _environment(org: Organisation, env: str, where: Where, who: str) -> None:
    if env == USERS_ENV:
        raise InputError(f"{where}: {who}: {USERS_ENV} is the users-only account: roles go in an environment account")
    known = [account.env for account in org.accounts]
    if env not in known:
        raise InputError(f"{where}: {who}: no environment {env!r} in CONST.inc (known: {', '.join(known) or 'none'})")


def _policy_file(users: UsersFile, given: str, where: Where, who: str) -> str:
    """A policy file named in the users file (relative to it), as canonical JSON text."""
    from bootstrap.org import pipelines

    path = Path(given)
    if not path.is_absolute():
        path = Path(users.source).parent / path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{where}: {who}: policy file {given} not found (looked for {path})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: {who}: cannot read {path}: {exc}") from None
    return pipelines.read_policy(text, str(path))


def _pipelines(org: Organisation, users: UsersFile) -> tuple[Pipeline, ...]:
    from bootstrap.org import pipelines

    entries: tuple[pipelines.PipelineEntry, ...] = users.sections.get(pipelines.SECTION, ())  # type: ignore[assignment]
    people = {p.name.lower() for p in users.users}
    found: list[Pipeline] = []
    for entry in entries:
        who = f"pipeline {entry.name}"
        _environment(org, entry.account, entry.where.get("account", entry.at), who)
        user = pipelines.PREFIX + entry.name
        if user.lower() in people:
            raise InputError(f"{entry.at}: {who}: its user {user} is also a person in users:")
        text = _policy_file(users, entry.role_policy, entry.where.get("role_policy", entry.at), who)
        found.append(Pipeline(entry.name, entry.account, entry.role_policy, text, entry.max_session, entry.github))
    return tuple(found)


def _service_roles(org: Organisation, users: UsersFile) -> tuple[ServiceRole, ...]:
    from bootstrap.org import pipelines, service_roles

    entries: tuple[service_roles.ServiceRoleEntry, ...] = users.sections.get(  # type: ignore[assignment]
        service_roles.SECTION, ()
    )
    declared: tuple[pipelines.PipelineEntry, ...] = users.sections.get(pipelines.SECTION, ())  # type: ignore[assignment]
    taken = {(p.account, (pipelines.PREFIX + p.name).lower()) for p in declared}
    taken |= {(a.env, name.lower()) for a in org.accounts for name in a.roles.values()}
    found: list[ServiceRole] = []
    for entry in entries:
        who = f"service role {entry.name}"
        _environment(org, entry.account, entry.where.get("account", entry.at), who)
        if (entry.account, entry.name.lower()) in taken:
            raise InputError(
                f"{entry.at}: {who}: {entry.account} has a role of that name already (CONST.inc, a pipeline)"
            )
        taken.add((entry.account, entry.name.lower()))
        text = _policy_file(users, entry.policy, entry.where.get("policy", entry.at), who)
        found.append(ServiceRole(entry.name, entry.account, entry.services, entry.policy, text, entry.max_session))
    return tuple(found)


def _check_grants(org: Organisation, entry: UserEntry) -> None:
    for env, kinds in entry.grants.items():
        where = entry.where.get(env, entry.at)
        for kind in kinds:
            _check_kind(org, env, kind, where, entry.name)


def _check_kind(org: Organisation, env: str, kind: str, where: Where, who: str) -> None:
    if env == USERS_ENV:
        raise InputError(f"{where}: {who}: {USERS_ENV} is the users-only account: it has no roles to grant")
    known = {account.env: account for account in org.accounts}
    if env not in known:
        names = ", ".join(known) or "none"
        raise InputError(f"{where}: {who}: no environment {env!r} in CONST.inc (known: {names})")
    roles = known[env].roles
    if kind not in roles:
        if kind not in naming.KINDS:
            raise InputError(
                f"{where}: {who}: {kind} is not a role kind the organisation manages ({', '.join(naming.KINDS)})"
            )
        has = ", ".join(roles) or "none"
        raise InputError(
            f"{where}: {who}: {env} has no {kind} role in CONST.inc (no {env}_IAM_{kind}_ROLE; it has {has})"
        )


def check_name(name: str) -> str:
    """A user name IAM accepts, else ``InputError``."""
    if not arns.IAM_NAME.fullmatch(name):
        raise InputError(f"{name!r} is not a name IAM accepts for a user (1-64 of letters, digits and +=,.@_-)")
    return name
