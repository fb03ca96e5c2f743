"""What an account holds today, read into the same ``AccountState`` the model renders: from IAM itself (the
sandbox, and ``--via iam``), or from the template of the account's deployed stack (``--via cloudformation``).

Only the organisation's own things are read: the groups and roles the wanted state names (their logical ids and
kinds are taken from it), and the users account's users. Reading is never a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bootstrap.aws import codes
from bootstrap.aws.errors import calling
from bootstrap.errors import AwsError
from bootstrap.org import cloudformation
from bootstrap.org.state import AccountState, Group, Policy, Provider, Role, User

OURS = "aws-iam-bootstrap:"  # the prefix of the tags the tool manages
PENDING_TAG = OURS + "handover"  # on a user created by the tool whose credentials were not handed over


@dataclass(frozen=True)
class Observed:
    """An account as found: its state, and (users account) the users that exist, and those still pending."""

    state: AccountState
    users: frozenset[str] = frozenset()
    deployed: bool = True  # False: no stack yet (cloudformation), or none of the organisation's things (iam)


def from_iam(iam: Any, wanted: AccountState) -> Observed:
    """The account as IAM says it is, for the groups and roles ``wanted`` names."""
    if wanted.groups:
        return _users_account(iam, wanted)
    roles: list[Role] = []
    for role in wanted.roles:
        found = _role(iam, role)
        if found is not None:
            roles.append(found)
    providers = _providers(iam, wanted) if wanted.providers else ()
    state = AccountState(
        wanted.env, wanted.account_id, wanted.account_name, roles=tuple(roles), providers=tuple(providers)
    )
    return Observed(state, deployed=bool(roles))


def _providers(iam: Any, wanted: AccountState) -> list[Provider]:
    """The wanted OIDC providers the account has (by URL)."""
    with calling("iam:ListOpenIDConnectProviders"):
        listed = [str(p["Arn"]) for p in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", [])]
    found: list[Provider] = []
    for provider in wanted.providers:
        arn = next((a for a in listed if a.endswith(f":oidc-provider/{provider.host}")), None)
        if arn is None:
            continue
        with calling("iam:GetOpenIDConnectProvider"):
            got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        found.append(
            Provider(
                provider.logical_id,
                provider.url,
                tuple(sorted(map(str, got.get("ClientIDList", [])))),
                tuple(map(str, got.get("ThumbprintList", []))),
            )
        )
    return found


def _users_account(iam: Any, wanted: AccountState) -> Observed:
    users: set[str] = set()
    members: dict[str, list[str]] = {}
    groups: dict[str, list[Policy]] = {}
    user_policies: dict[str, list[Policy]] = {}
    wanted_names = {g.name for g in wanted.groups}
    wanted_users = {u.name for u in wanted.users}
    with calling("iam:GetAccountAuthorizationDetails"):
        pages = iam.get_paginator("get_account_authorization_details").paginate(Filter=["User", "Group"])
        for page in pages:
            for user in page.get("UserDetailList", []):
                users.add(user["UserName"])
                for group in user.get("GroupList", []):
                    members.setdefault(group, []).append(user["UserName"])
                if user["UserName"] in wanted_users:
                    user_policies[user["UserName"]] = [
                        Policy(p["PolicyName"], p["PolicyDocument"]) for p in user.get("UserPolicyList", [])
                    ]
            for group in page.get("GroupDetailList", []):
                if group["GroupName"] in wanted_names:
                    groups[group["GroupName"]] = [
                        Policy(p["PolicyName"], p["PolicyDocument"]) for p in group.get("GroupPolicyList", [])
                    ]
    found = tuple(
        Group(
            g.logical_id,
            g.name,
            tuple(sorted(groups[g.name], key=lambda p: p.name)),
            tuple(sorted(members.get(g.name, ()))),
        )
        for g in wanted.groups
        if g.name in groups
    )
    found_users = tuple(
        User(u.logical_id, u.name, tuple(sorted(user_policies[u.name], key=lambda p: p.name)))
        for u in wanted.users
        if u.name in user_policies
    )
    state = AccountState(wanted.env, wanted.account_id, wanted.account_name, found, users=found_users)
    return Observed(state, frozenset(users), deployed=bool(found))


def _role(iam: Any, wanted: Role) -> Role | None:
    try:
        with calling("iam:GetRole"):
            role = iam.get_role(RoleName=wanted.name)["Role"]
    except AwsError as exc:
        if exc.code in codes.NOT_FOUND:
            return None
        raise
    policies: list[Policy] = []
    with calling("iam:ListRolePolicies"):
        pages = iam.get_paginator("list_role_policies").paginate(RoleName=wanted.name)
        names = [name for page in pages for name in page["PolicyNames"]]
    for name in sorted(names):
        with calling("iam:GetRolePolicy"):
            document = iam.get_role_policy(RoleName=wanted.name, PolicyName=name)["PolicyDocument"]
        policies.append(Policy(name, document))
    tags = tuple(sorted((t["Key"], t["Value"]) for t in role.get("Tags", []) if t["Key"].startswith(OURS)))
    return Role(
        wanted.logical_id,
        wanted.name,
        wanted.kind,
        Policy("trust", role["AssumeRolePolicyDocument"]),
        tuple(policies),
        int(role.get("MaxSessionDuration", 3600)),
        tags,
        str(role.get("Description", "")),
    )


def from_stack(cloudformation_client: Any, wanted: AccountState) -> Observed:
    """The account as its deployed stack's template says (empty when there is no stack yet)."""
    stack = cloudformation.stack_name(wanted.env)
    try:
        with calling("cloudformation:GetTemplate"):
            body = cloudformation_client.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
    except AwsError as exc:
        if exc.code == "ValidationError":  # "Stack with id infra-roles does not exist"
            return Observed(AccountState(wanted.env, wanted.account_id, wanted.account_name), deployed=False)
        raise
    kinds = {role.name: role.kind for role in wanted.roles}
    if isinstance(body, dict):
        state = cloudformation.from_template(body, f"stack {stack}", kinds)
    else:
        state = cloudformation.parse(str(body), f"stack {stack}", kinds)
    return Observed(
        AccountState(
            wanted.env, wanted.account_id, wanted.account_name, state.groups, state.roles, state.users, state.providers
        )
    )


def user_tags(iam: Any, name: str) -> dict[str, str] | None:
    """A user's tags, or None when the user does not exist."""
    try:
        with calling("iam:ListUserTags"):
            tags = iam.list_user_tags(UserName=name)["Tags"]
    except AwsError as exc:
        if exc.code in codes.NOT_FOUND:
            return None
        raise
    return {t["Key"]: t["Value"] for t in tags}


def existing_users(iam: Any) -> frozenset[str]:
    """The names of the account's users."""
    with calling("iam:ListUsers"):
        return frozenset(u["UserName"] for page in iam.get_paginator("list_users").paginate() for u in page["Users"])
