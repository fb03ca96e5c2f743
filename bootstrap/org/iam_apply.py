"""Making an account's IAM match its wanted state with IAM API calls: the sandbox's way (moto's CloudFormation
cannot create groups or change a trust), and ``--via iam`` on AWS.

``changes`` compares what was observed with what is wanted and lists the calls, each with a sentence saying what
it does; nothing is called until ``run``. Every call is one that a re-run after an interruption would either
repeat harmlessly or no longer need, because the next run observes again: applying is idempotent by
construction. Order inside an account follows IAM's needs: users before their group memberships, a group before
its policies and members, a role before its policies.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bootstrap.aws.errors import calling
from bootstrap.org.observe import OURS, PENDING_TAG, Observed
from bootstrap.org.state import AccountState, Group, Policy, Role


@dataclass(frozen=True)
class Change:
    """One IAM call to make in one account: boto3's ``method`` with ``params`` (a value: tests compare them)."""

    env: str
    text: str  # what it does, for the plan and the progress ("add alice to infra-AssumeRoleG-...")
    method: str  # the boto3 IAM client's method, create_user
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def action(self) -> str:
        """The IAM action: ``iam:CreateUser``."""
        return "iam:" + "".join(part.capitalize() for part in self.method.split("_"))


def _doc(policy: Policy) -> str:
    return json.dumps(dict(policy.document), separators=(",", ":"))


def changes(observed: Observed, wanted: AccountState) -> list[Change]:
    """The IAM calls that turn ``observed`` into ``wanted`` (empty when they already match)."""
    found: list[Change] = []
    env = wanted.env
    people = sorted({m for g in wanted.groups for m in g.members} - observed.users) if wanted.groups else []
    for name in people:
        found.append(
            Change(
                env,
                f"create user {name} (no password or key yet: `org add-user {name}` hands them over)",
                "create_user",
                {"UserName": name, "Tags": [{"Key": PENDING_TAG, "Value": "pending"}]},
            )
        )
    for user in wanted.users:
        if user.name not in observed.users:
            found.append(
                Change(
                    env,
                    f"create pipeline user {user.name} (no password, MFA or group; "
                    f"`pipeline create {user.name.removeprefix('pipeline-')}` hands over its key)",
                    "create_user",
                    {"UserName": user.name, "Tags": [{"Key": PENDING_TAG, "Value": "pending"}]},
                )
            )
        have = observed.state.user(user.name)
        found += _policies(env, "user", user.name, have.policies if have else (), user.policies)
    for provider in wanted.providers:
        if observed.state.provider(provider.url) is None:
            found.append(
                Change(
                    env,
                    f"create the OIDC identity provider {provider.host} (audience {', '.join(provider.client_ids)})",
                    "create_open_id_connect_provider",
                    {
                        "Url": provider.url,
                        "ClientIDList": list(provider.client_ids),
                        "ThumbprintList": list(provider.thumbprints),
                    },
                )
            )
    for group in wanted.groups:
        found += _group(env, observed.state.group(group.name), group)
    for role in wanted.roles:
        found += _role(env, observed.state.role(role.name), role)
    return found


def _group(env: str, have: Group | None, want: Group) -> list[Change]:
    out: list[Change] = []
    name = want.name
    if have is None:
        out.append(Change(env, f"create group {name}", "create_group", {"GroupName": name}))
    out += _policies(env, "group", name, have.policies if have else (), want.policies)
    current = set(have.members) if have else set()
    for user in sorted(set(want.members) - current):
        out.append(Change(env, f"add {user} to {name}", "add_user_to_group", {"GroupName": name, "UserName": user}))
    for user in sorted(current - set(want.members)):
        out.append(
            Change(env, f"remove {user} from {name}", "remove_user_from_group", {"GroupName": name, "UserName": user})
        )
    return out


def _policies(env: str, kind: str, owner: str, have: Iterable[Policy], want: Iterable[Policy]) -> list[Change]:
    """Inline policies of a group, role or user (``kind``) named ``owner``: put what differs, delete what is not
    wanted."""
    key = {"group": "GroupName", "role": "RoleName", "user": "UserName"}[kind]
    current = {p.name: p for p in have}
    out: list[Change] = []
    wanted_names = set()
    for policy in want:
        wanted_names.add(policy.name)
        if current.get(policy.name) != policy:
            verb = "set" if policy.name not in current else "update"
            out.append(
                Change(
                    env,
                    f"{verb} policy {policy.name} of {kind} {owner}",
                    f"put_{kind}_policy",
                    {key: owner, "PolicyName": policy.name, "PolicyDocument": _doc(policy)},
                )
            )
    for name in sorted(set(current) - wanted_names):
        out.append(
            Change(
                env,
                f"delete policy {name} of {kind} {owner} (not in the model)",
                f"delete_{kind}_policy",
                {key: owner, "PolicyName": name},
            )
        )
    return out


def _role(env: str, have: Role | None, want: Role) -> list[Change]:
    name = want.name
    trust = _doc(want.trust)
    out: list[Change] = []
    if have is None:
        tags = [{"Key": k, "Value": v} for k, v in want.tags]
        out.append(
            Change(
                env,
                f"create role {name} ({want.kind}), trusting {_who(want)}",
                "create_role",
                {
                    "RoleName": name,
                    "AssumeRolePolicyDocument": trust,
                    "MaxSessionDuration": want.max_session,
                    "Description": want.description or f"infra {want.kind} role (aws-iam-bootstrap)",
                    **({"Tags": tags} if tags else {}),
                },
            )
        )
    else:
        if have.trust != want.trust:
            out.append(
                Change(
                    env,
                    f"update the trust of {name}: {_who(want)}",
                    "update_assume_role_policy",
                    {"RoleName": name, "PolicyDocument": trust},
                )
            )
        if have.max_session != want.max_session:
            out.append(
                Change(
                    env,
                    f"set MaxSessionDuration of {name} to {want.max_session} s (was {have.max_session})",
                    "update_role",
                    {"RoleName": name, "MaxSessionDuration": want.max_session},
                )
            )
        if set(have.tags) != set(want.tags):
            gone = [k for k, _ in have.tags if k.startswith(OURS) and k not in dict(want.tags)]
            if want.tags:
                tags = [{"Key": k, "Value": v} for k, v in want.tags]
                out.append(Change(env, f"tag {name}", "tag_role", {"RoleName": name, "Tags": tags}))
            if gone:
                out.append(Change(env, f"untag {name}", "untag_role", {"RoleName": name, "TagKeys": gone}))
    out += _policies(env, "role", name, have.policies if have else (), want.policies)
    return out


def _who(role: Role) -> str:
    named = [
        principal.rsplit("/", 1)[-1] if ":user/" in principal or ":oidc-provider/" in principal else principal
        for statement in role.trust.document.get("Statement", [])
        for principal in _principals(statement)
    ]
    return ", ".join(named) or "nobody"


def _principals(statement: Any) -> list[str]:
    found: list[str] = []
    for key in ("AWS", "Service", "Federated"):
        value = statement.get("Principal", {}).get(key, [])
        found += [value] if isinstance(value, str) else list(value)
    return found


def run(iam: Any, change: Change) -> None:
    """Make one change (``AwsError`` naming its action when IAM refuses)."""
    with calling(change.action):
        getattr(iam, change.method)(**change.params)
