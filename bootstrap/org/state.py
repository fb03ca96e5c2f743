"""What each account should hold, as one value per account: the users account's groups (their policies and their
members), and each environment account's roles (trust, permissions, session length, tags).

Everything else works on these values: ``cloudformation`` renders one as a template and reads a template back
into one, ``apply`` reads one from IAM and makes IAM match another, ``plan`` says in people's terms how two differ.
Policy documents compare by meaning (``documents.canonical``), not by spelling, since IAM gives them back in its
own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bootstrap import arns
from bootstrap.org import documents, naming, pipelines, service_roles
from bootstrap.org.model import USERS_ENV, Organisation

PIPELINE = "PIPELINE"  # the kind of a pipeline's role
SERVICE = "SERVICE"  # the kind of a service role


@dataclass(frozen=True)
class Policy:
    """An inline policy: its name and document; equal when the documents mean the same."""

    name: str
    document: Mapping[str, Any] = field(compare=False)
    meaning: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "meaning", documents.canonical_text(self.document))


@dataclass(frozen=True)
class Group:
    logical_id: str
    name: str
    policies: tuple[Policy, ...]
    members: tuple[str, ...]  # user names, sorted


@dataclass(frozen=True)
class User:
    """A user the organisation gives permissions to by policy: a pipeline's (people get theirs from groups). The
    user itself is made with IAM calls (no template holds users); its inline policies are the state."""

    logical_id: str
    name: str
    policies: tuple[Policy, ...]


@dataclass(frozen=True)
class Provider:
    """An OIDC identity provider of an account (GitHub Actions'), which roles' trusts name."""

    logical_id: str
    url: str  # https://token.actions.githubusercontent.com
    client_ids: tuple[str, ...]
    thumbprints: tuple[str, ...] = field(default=(), compare=False)  # IAM no longer checks them for GitHub

    @property
    def host(self) -> str:
        return self.url.removeprefix("https://")


@dataclass(frozen=True)
class Role:
    logical_id: str
    name: str
    kind: str  # ADMIN, OPS, READ (infra roles), PIPELINE, SERVICE
    trust: Policy
    policies: tuple[Policy, ...]
    max_session: int
    tags: tuple[tuple[str, str], ...] = ()
    description: str = field(default="", compare=False)

    def trusted_users(self, users_account: str) -> tuple[str, ...]:
        """The user names of ``users_account`` the trust names."""
        names: list[str] = []
        for statement in documents.canonical(dict(self.trust.document)).get("Statement", []):
            if statement.get("Effect") != "Allow":
                continue
            for principal in statement.get("Principal", {}).get("AWS", []):
                parsed = arns.parse(principal)
                if parsed is not None and parsed.account == users_account and parsed.kind == "user":
                    names.append(parsed.name)
        return tuple(sorted(names))

    def trusts_account(self, account: str) -> bool:
        """Whether the trust names ``account``'s root (every identity of it its own policies allow)."""
        root = arns.root(account)
        for statement in documents.canonical(dict(self.trust.document)).get("Statement", []):
            if statement.get("Effect") == "Allow" and root in statement.get("Principal", {}).get("AWS", []):
                return True
        return False


@dataclass(frozen=True)
class AccountState:
    """One account's part of the organisation: ``env`` is CONST.inc's prefix (USERS for the users account)."""

    env: str
    account_id: str
    account_name: str
    groups: tuple[Group, ...] = ()
    roles: tuple[Role, ...] = ()
    users: tuple[User, ...] = ()
    providers: tuple[Provider, ...] = ()

    def group(self, name: str) -> Group | None:
        return next((g for g in self.groups if g.name == name), None)

    def user(self, name: str) -> User | None:
        return next((u for u in self.users if u.name == name), None)

    def provider(self, url: str) -> Provider | None:
        return next((p for p in self.providers if p.url == url), None)

    def role(self, name: str) -> Role | None:
        return next((r for r in self.roles if r.name == name), None)


def env_word(env: str) -> str:
    """``PROD_EU`` -> ``ProdEu``: an environment in a CloudFormation logical id (letters and digits only)."""
    return "".join(part.capitalize() for part in env.split("_"))


def role_logical_id(kind: str) -> str:
    return f"{naming.KIND_WORDS[kind]}Role"


def role_group_logical_id(env: str, kind: str) -> str:
    return f"{env_word(env)}{naming.KIND_WORDS[kind]}RoleGroup"


def desired(org: Organisation) -> dict[str, AccountState]:
    """Every account's state as the organisation wants it: USERS first, then the environments in CONST.inc order."""
    states = {USERS_ENV: users_account(org)}
    for account in org.accounts:
        states[account.env] = env_account(org, account.env)
    return states


def users_account(org: Organisation) -> AccountState:
    names = org.groups
    people = tuple(sorted(p.name for p in org.people))
    by_group = bool(org.settings.granted_by_group)
    groups = [
        Group(
            "AssumeRoleGroup",
            names.assume_role,
            (Policy("AssumeInfraRoles", documents.assume_role_group_policy(excludes_by_group=by_group)),),
            people,
        ),
        Group(
            "ManageOwnUserGroup",
            names.manage_own_user,
            (Policy("ManageOwnUser", documents.policy_document("manage-own-user-group")),),
            people,
        ),
        Group(
            "PowerGroup",
            names.power,
            (Policy("FullIam", documents.policy_document("power-group")),),
            tuple(sorted(p.name for p in org.people if p.power)),
        ),
    ]
    for env, kind in org.settings.granted_by_group:
        account = org.account(env)
        groups.append(
            Group(
                role_group_logical_id(env, kind),
                naming.role_group(env, kind, org.group_suffix),
                (Policy("AssumeThisRole", documents.role_group_policy(account.role_arn(kind))),),
                org.granted(env, kind),
            )
        )
    users = tuple(
        User(
            f"Pipeline{pipelines.word(p.name)}UserPolicy",
            p.user_name,
            (Policy(pipelines.USER_POLICY, pipelines.user_policy(org.pipeline_role_arn(p))),),
        )
        for p in org.pipelines
        if p.has_user
    )
    return AccountState(USERS_ENV, org.users_account_id, org.users_account_name, tuple(groups), users=users)


def env_account(org: Organisation, env: str) -> AccountState:
    account = org.account(env)
    roles = [
        Role(
            role_logical_id(kind),
            name,
            kind,
            Policy("trust", org.trust(env, kind)),
            (Policy(f"{naming.KIND_WORDS[kind]}Permissions", documents.role_policy(kind)),),
            org.settings.max_session_duration,
            (documents.BY_GROUP_TAG,) if org.by_group(env, kind) else (),
        )
        for kind, name in account.roles.items()
    ]
    providers: list[Provider] = []
    for pipeline in (p for p in org.pipelines if p.env == env):
        roles.append(
            Role(
                f"Pipeline{pipelines.word(pipeline.name)}Role",
                pipeline.role_name,
                PIPELINE,
                Policy("trust", pipelines.trust(pipeline, org.users_account_id, account.id)),
                (Policy(pipelines.ROLE_POLICY, pipeline.role_policy),),
                pipeline.max_session,
                ((pipelines.TAG, pipeline.name),),
                f"pipeline {pipeline.name}'s role: its permissions",
            )
        )
        if pipeline.github is not None and not providers:
            providers.append(github_provider())
    for service_role in (r for r in org.service_roles if r.env == env):
        roles.append(
            Role(
                f"ServiceRole{pipelines.word(service_role.name)}",
                service_role.name,
                SERVICE,
                Policy("trust", service_roles.trust(service_role.services)),
                (Policy(service_roles.POLICY_NAME, service_role.policy),),
                service_role.max_session,
                ((service_roles.TAG, "users.yaml"),),
                f"service role for {', '.join(service_role.services)}",
            )
        )
    return AccountState(env, account.id, account.name, roles=tuple(roles), providers=tuple(providers))


def github_provider() -> Provider:
    return Provider(
        "GithubOidcProvider",
        f"https://{pipelines.GITHUB_HOST}",
        (pipelines.GITHUB_AUDIENCE,),
        pipelines.GITHUB_THUMBPRINTS,
    )


def access(states: Mapping[str, AccountState], users_account: str) -> dict[str, set[tuple[str, str]]]:
    """Who may assume what, read off account states: user -> {(env, kind)}, through a trust that names them or
    through the group of a role whose trust names the users account."""
    found: dict[str, set[tuple[str, str]]] = {}
    users = states.get(USERS_ENV)
    members = {g.name: g.members for g in users.groups} if users is not None else {}
    for env, state in states.items():
        for role in state.roles:
            if role.kind not in naming.KINDS:
                continue  # pipelines' and services' roles: not people's access
            for name in role.trusted_users(users_account):
                found.setdefault(name, set()).add((env, role.kind))
    if users is not None:
        for group in users.groups:
            for statement in documents.canonical(dict(group.policies[0].document)).get("Statement", []):
                for resource in statement.get("Resource", []) if len(group.policies) == 1 else []:
                    target = _role_of(states, resource, users_account)
                    if target is not None:
                        for name in members.get(group.name, ()):
                            found.setdefault(name, set()).add(target)
    return found


def _role_of(states: Mapping[str, AccountState], arn: str, users_account: str) -> tuple[str, str] | None:
    """(env, kind) of the role ``arn`` names, when that role's trust names the users account (a group grant)."""
    parsed = arns.parse(arn)
    if parsed is None or parsed.kind != "role" or "*" in arn:
        return None
    for env, state in states.items():
        if state.account_id != parsed.account:
            continue
        role = state.role(parsed.name)
        if role is not None and role.trusts_account(users_account):
            return (env, role.kind)
    return None
