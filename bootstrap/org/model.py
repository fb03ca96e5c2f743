"""The organisation as one value: the users account and its groups, the environment accounts and their roles, and
the people with what each may assume where. Every trust document is computed from it, here, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bootstrap import arns
from bootstrap.errors import InputError
from bootstrap.org import documents, naming
from bootstrap.org.pipelines import Pipeline
from bootstrap.org.service_roles import ServiceRole
from bootstrap.org.users_file import Settings

USERS_ENV = "USERS"  # CONST.inc's prefix for the users-only account (USERS_AWS_ACCOUNT_ID, USERS_IAM_GROUP_SUFFIX)


@dataclass(frozen=True)
class EnvAccount:
    """An environment account (dev, prod, ...) and its infra roles, kind -> role name."""

    env: str
    id: str
    name: str
    roles: Mapping[str, str]

    def role_arn(self, kind: str) -> str:
        return arns.role(self.id, self.roles[kind])


@dataclass(frozen=True)
class Person:
    """A human in the users account: the role kinds they may assume per environment, and membership of the
    PowerG group (full IAM without assuming a role)."""

    name: str
    grants: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    power: bool = False


@dataclass(frozen=True)
class Organisation:
    region: str
    users_account_id: str
    users_account_name: str
    group_suffix: str
    accounts: tuple[EnvAccount, ...] = ()
    people: tuple[Person, ...] = ()
    settings: Settings = field(default_factory=Settings)
    pipelines: tuple[Pipeline, ...] = ()
    service_roles: tuple[ServiceRole, ...] = ()

    @property
    def groups(self) -> naming.Groups:
        return naming.groups(self.group_suffix)

    def by_group(self, env: str, kind: str) -> bool:
        """Whether ``env``'s ``kind`` role is granted through a per-role group (the large-team pattern)."""
        return (env, kind) in self.settings.granted_by_group

    def granted(self, env: str, kind: str) -> tuple[str, ...]:
        """The names of the people granted ``kind`` in ``env``, sorted."""
        return tuple(sorted(p.name for p in self.people if kind in p.grants.get(env, ())))

    def account(self, env: str) -> EnvAccount:
        for account in self.accounts:
            if account.env == env:
                return account
        known = ", ".join(a.env for a in self.accounts) or "none"
        raise InputError(f"no account for environment {env!r} (known: {known})")

    def person(self, name: str) -> Person | None:
        return next((p for p in self.people if p.name == name), None)

    def pipeline(self, name: str) -> Pipeline | None:
        return next((p for p in self.pipelines if p.name == name), None)

    def service_role(self, name: str) -> ServiceRole | None:
        return next((r for r in self.service_roles if r.name == name), None)

    def pipeline_role_arn(self, pipeline: Pipeline) -> str:
        return arns.role(self.account(pipeline.env).id, pipeline.role_name)

    def pipeline_user_arn(self, pipeline: Pipeline) -> str:
        return self.user_arn(pipeline.user_name)

    def user_arn(self, name: str) -> str:
        return arns.user(self.users_account_id, name)

    def trusted(self, env: str, kind: str) -> tuple[str, ...]:
        """The ARNs of the people granted ``kind`` in ``env``, sorted."""
        return tuple(sorted(self.user_arn(p.name) for p in self.people if kind in p.grants.get(env, ())))

    def trust(self, env: str, kind: str) -> dict[str, Any]:
        """The trust document of ``env``'s ``kind`` role: exactly the people granted it, with MFA. With nobody
        granted, the account's own root (which lets nobody in without an identity policy of that account).
        Granted through a group, the users account (its per-role group's policy says who)."""
        if self.by_group(env, kind):
            return documents.trust_document((arns.root(self.users_account_id),))
        principals = self.trusted(env, kind) or (arns.root(self.account(env).id),)
        return documents.trust_document(principals)

    def check_grants(self, grants: Mapping[str, tuple[str, ...]]) -> None:
        """Refuse a grant of an unknown environment or of a role kind the environment does not have."""
        for env, kinds in grants.items():
            account = self.account(env)
            missing = [k for k in kinds if k not in account.roles]
            if missing:
                raise InputError(f"{env} has no role of kind {', '.join(missing)} (it has {', '.join(account.roles)})")

    def with_person(self, person: Person) -> Organisation:
        """The organisation with ``person`` added, or replacing the one of the same name."""
        self.check_grants(person.grants)
        others = tuple(p for p in self.people if p.name != person.name)
        return replace(self, people=(*others, person))

    def with_account(self, account: EnvAccount) -> Organisation:
        return replace(self, accounts=(*(a for a in self.accounts if a.env != account.env), account))

    def const_inc(self, *, header: str = "") -> str:
        """A CONST.inc describing this organisation (the keys and order of CONST.inc.example)."""
        lines = [header] if header else []
        lines += [
            f"GLOBAL_AWS_REGION={self.region}",
            "",
            f"USERS_AWS_ACCOUNT_ID={self.users_account_id}",
            f"USERS_AWS_ACCOUNT_NAME={self.users_account_name}",
            f"USERS_IAM_GROUP_SUFFIX={self.group_suffix}",
        ]
        for account in self.accounts:
            lines += [
                "",
                f"{account.env}_AWS_ACCOUNT_ID={account.id}",
                f"{account.env}_AWS_ACCOUNT_NAME={account.name}",
            ]
            lines += [f"{account.env}_IAM_{kind}_ROLE={role}" for kind, role in account.roles.items()]
        return "\n".join(lines) + "\n"
