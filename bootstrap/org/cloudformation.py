"""CloudFormation templates of the organisation: what platform teams review and what ``org apply`` deploys to
real AWS, one stack per account.

- ``users-account.yaml`` (stack ``infra-users``): the groups infra-AssumeRoleG, infra-ManageOwnUserG and
  infra-PowerG with their policies, and who is in each (``AWS::IAM::UserToGroupAddition``). The users themselves
  are not in it: their passwords and keys must never be in a template, and a template holds at most 500
  resources; ``org add-user`` creates them.
  Pipelines' users are not in it either, for the same reason; their one policy is (``AWS::IAM::Policy``).
- ``roles-<env>.yaml`` (stack ``infra-roles``), one per environment account: the infra roles, each with the trust
  that names exactly the people granted it (MFA required), its permissions and ``MaxSessionDuration``; then the
  roles of the pipelines and service roles declared for that environment, and GitHub's OIDC provider when a
  pipeline there trusts it.

Templates use no intrinsic function, so ``parse`` can read a deployed template (or the last rendered one) back
into an ``AccountState`` and ``plan`` can compare. Rendering is stable: the same model gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from bootstrap.errors import InputError
from bootstrap.org import naming, yamltext
from bootstrap.org.model import USERS_ENV, Organisation
from bootstrap.org.state import PIPELINE, SERVICE, AccountState, Group, Policy, Provider, Role, User, desired

FORMAT_VERSION: Final = "2010-09-09"
USERS_STACK: Final = f"{naming.STACK}-users"
ROLES_STACK: Final = f"{naming.STACK}-roles"
MEMBERS_SUFFIX: Final = "Members"
HEADER: Final = "# Rendered by `aws-iam-bootstrap org render` from CONST.inc and users.yaml: edit those instead.\n"
# CloudFormation's own limit on a template passed in the request (larger ones go through S3).
TEMPLATE_BODY_MAX: Final = 51_200


def file_name(env: str) -> str:
    return "users-account.yaml" if env == USERS_ENV else f"roles-{env.lower()}.yaml"


def stack_name(env: str) -> str:
    return USERS_STACK if env == USERS_ENV else ROLES_STACK


def render_all(org: Organisation) -> dict[str, str]:
    """Every account's template, file name -> text (USERS first, then CONST.inc's order)."""
    return {file_name(env): render(state) for env, state in desired(org).items()}


def render(state: AccountState) -> str:
    return HEADER + yamltext.dump(template(state))


def template(state: AccountState) -> dict[str, Any]:
    """The template of one account's state, as data."""
    resources: dict[str, Any] = {}
    for group in state.groups:
        resources[group.logical_id] = {
            "Type": "AWS::IAM::Group",
            "Properties": {"GroupName": group.name, "Policies": _policies(group.policies)},
        }
    for group in state.groups:
        if group.members:
            resources[group.logical_id + MEMBERS_SUFFIX] = {
                "Type": "AWS::IAM::UserToGroupAddition",
                "DependsOn": group.logical_id,
                "Properties": {"GroupName": group.name, "Users": list(group.members)},
            }
    for user in state.users:
        for policy in user.policies:
            # The user is made with IAM calls (no template holds users: their keys must never be in one); its
            # policy is here, so the user's permissions are reviewed with the rest.
            resources[user.logical_id] = {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyName": policy.name,
                    "PolicyDocument": dict(policy.document),
                    "Users": [user.name],
                },
            }
    for provider in state.providers:
        resources[provider.logical_id] = {
            "Type": "AWS::IAM::OIDCProvider",
            "Properties": {
                "Url": provider.url,
                "ClientIdList": list(provider.client_ids),
                "ThumbprintList": list(provider.thumbprints),
            },
        }
    for role in state.roles:
        properties: dict[str, Any] = {
            "RoleName": role.name,
            "Description": role.description or f"infra {role.kind} role of {state.account_name} ({state.env})",
            "MaxSessionDuration": role.max_session,
            "AssumeRolePolicyDocument": dict(role.trust.document),
            "Policies": _policies(role.policies),
        }
        if role.tags:
            properties["Tags"] = [{"Key": key, "Value": value} for key, value in role.tags]
        resources[role.logical_id] = {"Type": "AWS::IAM::Role", "Properties": properties}
        trusted = [p.logical_id for p in state.providers if f":oidc-provider/{p.host}" in role.trust.meaning]
        if trusted:
            # IAM refuses a trust naming a provider that does not exist yet: CloudFormation must make it first
            resources[role.logical_id]["DependsOn"] = trusted
    what = "the users-only account" if state.env == USERS_ENV else f"the {state.env} account"
    return {
        "AWSTemplateFormatVersion": FORMAT_VERSION,
        "Description": f"aws-iam-bootstrap: the infra IAM of {what}, {state.account_name} ({state.account_id})",
        "Metadata": {"AwsIamBootstrap": {"Env": state.env, "AccountId": state.account_id}},
        "Resources": resources,
    }


def _policies(policies: tuple[Policy, ...]) -> list[dict[str, Any]]:
    return [{"PolicyName": p.name, "PolicyDocument": dict(p.document)} for p in policies]


# --- reading a template back ---------------------------------------------------------------------------------------


def parse(text: str, source: str, kinds: Mapping[str, str] | None = None) -> AccountState:
    """The account state a template of ours describes. ``kinds``: role name -> kind, for roles whose kind the
    logical id does not tell (default: read from ``<Kind>Role``)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    from bootstrap.org import yamltext

    data = yamltext.load_fast(text, typed=False)
    if data is None:
        try:
            data = YAML(typ="safe", pure=True).load(text)
        except YAMLError as exc:
            raise InputError(f"{source}: not a template this tool can read: {exc}") from None
    return from_template(data, source, kinds)


def from_template(data: Any, source: str, kinds: Mapping[str, str] | None = None) -> AccountState:
    if not isinstance(data, Mapping) or not isinstance(data.get("Resources"), Mapping):
        raise InputError(f"{source}: not a CloudFormation template (no Resources)")
    meta = data.get("Metadata", {}).get("AwsIamBootstrap", {}) if isinstance(data.get("Metadata"), Mapping) else {}
    env = str(meta.get("Env", ""))
    resources: Mapping[str, Any] = data["Resources"]
    members: dict[str, tuple[str, ...]] = {}
    for resource in resources.values():
        if resource.get("Type") == "AWS::IAM::UserToGroupAddition":
            props = resource.get("Properties", {})
            group_name = str(props.get("GroupName"))
            members[group_name] = tuple(sorted({*members.get(group_name, ()), *map(str, props.get("Users", []))}))
    groups: list[Group] = []
    roles: list[Role] = []
    users: list[User] = []
    providers: list[Provider] = []
    words = {f"{word}Role": kind for kind, word in naming.KIND_WORDS.items()}
    for logical_id, resource in resources.items():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::IAM::Policy":
            for name in props.get("Users", []):
                users.append(User(logical_id, str(name), (Policy(str(props["PolicyName"]), props["PolicyDocument"]),)))
        elif resource.get("Type") == "AWS::IAM::OIDCProvider":
            providers.append(
                Provider(
                    logical_id,
                    str(props.get("Url", "")),
                    tuple(map(str, props.get("ClientIdList", []))),
                    tuple(map(str, props.get("ThumbprintList", []))),
                )
            )
        elif resource.get("Type") == "AWS::IAM::Group":
            name = str(props.get("GroupName", logical_id))
            groups.append(Group(logical_id, name, _read_policies(props), members.get(name, ())))
        elif resource.get("Type") == "AWS::IAM::Role":
            name = str(props.get("RoleName", logical_id))
            kind = (kinds or {}).get(name) or words.get(logical_id) or _kind_of(logical_id)
            tags = tuple((str(t["Key"]), str(t["Value"])) for t in props.get("Tags", []))
            roles.append(
                Role(
                    logical_id,
                    name,
                    kind,
                    Policy("trust", props.get("AssumeRolePolicyDocument", {})),
                    _read_policies(props),
                    int(props.get("MaxSessionDuration", 3600)),
                    tags,
                    str(props.get("Description", "")),
                )
            )
    return AccountState(
        env, str(meta.get("AccountId", "")), "", tuple(groups), tuple(roles), tuple(users), tuple(providers)
    )


def _kind_of(logical_id: str) -> str:
    """A role's kind from its logical id when the model no longer names it (a pipeline or service role removed)."""
    if logical_id.startswith("Pipeline"):
        return PIPELINE
    if logical_id.startswith("ServiceRole"):
        return SERVICE
    return logical_id


def _read_policies(props: Mapping[str, Any]) -> tuple[Policy, ...]:
    return tuple(Policy(str(p["PolicyName"]), p["PolicyDocument"]) for p in props.get("Policies", []))
