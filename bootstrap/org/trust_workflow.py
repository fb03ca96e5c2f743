"""What each `trust` command does: find the role, read its trust, edit it (``trust_edit``), and change it the way
its owner wants it changed.

- A service role declared in users.yaml (``service_roles:``): the edit goes into users.yaml and is applied like
  any change of the organisation (plan first), or the next `org apply` would undo it.
- A role the organisation renders from people or pipelines (the infra roles, pipelines' roles): refused, with
  the command that changes who may assume it (`org grant`, `pipeline create`).
- Any other role (made by a tool such as Zappa, or by hand): ``UpdateAssumeRolePolicy`` with the merged
  document, shown as a diff first, then read back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bootstrap import arns
from bootstrap.aws import codes
from bootstrap.aws.errors import calling
from bootstrap.errors import AwsError, InputError
from bootstrap.org.model import USERS_ENV, Organisation

Owner = Literal["users.yaml", "organisation", "none"]


@dataclass(frozen=True)
class RoleRef:
    """A role as the command names it, placed: its environment, account and name, and who owns its trust."""

    env: str
    account_id: str
    name: str
    owner: Owner
    why: str = ""  # for a role the organisation renders: the command that changes its trust

    @property
    def arn(self) -> str:
        return arns.role(self.account_id, self.name)


def locate(org: Organisation, role: str, env: str | None) -> RoleRef:
    """``role`` (a name or an ARN) placed in an account: by the ARN's account, by ``env``, or by the organisation
    knowing a role of that name in exactly one account."""
    name = role
    parsed = arns.parse(role)
    if parsed is not None:
        if parsed.kind != "role":
            raise InputError(f"{role}: not a role's ARN")
        name = parsed.name
        matching = [a.env for a in org.accounts if a.id == parsed.account]
        if not matching:
            raise InputError(f"{role}: account {parsed.account} is not an environment of CONST.inc")
        env = env or matching[0]
    if env is None:
        known = sorted(
            {a.env for a in org.accounts if name in a.roles.values()}
            | {p.env for p in org.pipelines if p.role_name == name}
            | {r.env for r in org.service_roles if r.name == name}
        )
        if len(known) != 1:
            where = f"it is in {', '.join(known)}" if known else "users.yaml and CONST.inc do not name it"
            raise InputError(f"role {name}: say which account with --account ENV ({where})")
        env = known[0]
    if env == USERS_ENV:
        raise InputError("the users account holds no roles of the organisation: give an environment")
    account = org.account(env)
    if name in account.roles.values():
        return RoleRef(env, account.id, name, "organisation", "its trust names people: `org grant` / `org revoke`")
    if any(p.env == env and p.role_name == name for p in org.pipelines):
        return RoleRef(env, account.id, name, "organisation", "a pipeline's role trusts only its pipeline")
    if any(r.env == env and r.name == name for r in org.service_roles):
        return RoleRef(env, account.id, name, "users.yaml")
    return RoleRef(env, account.id, name, "none")


def read_trust(iam: Any, ref: RoleRef) -> dict[str, Any]:
    """The role's trust document as IAM holds it (``InputError`` when there is no such role)."""
    try:
        with calling("iam:GetRole"):
            document: dict[str, Any] = iam.get_role(RoleName=ref.name)["Role"]["AssumeRolePolicyDocument"]
    except AwsError as exc:
        if exc.code in codes.NOT_FOUND:
            raise InputError(f"no role {ref.name} in {ref.env}'s account {ref.account_id}") from None
        raise
    return document


def write_trust(iam: Any, ref: RoleRef, document: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateAssumeRolePolicy, then the document read back (what IAM now holds)."""
    import json

    with calling("iam:UpdateAssumeRolePolicy"):
        iam.update_assume_role_policy(RoleName=ref.name, PolicyDocument=json.dumps(document))
    return read_trust(iam, ref)


def check_services(names: tuple[str, ...], *, allow_unknown: bool) -> tuple[str, ...]:
    """The services as IAM spells them (``lambda`` -> ``lambda.amazonaws.com``); ``InputError`` for a name that
    is not a service principal, unless ``allow_unknown``."""
    from bootstrap.policy import service_principals

    found: list[str] = []
    for name in names:
        normal = service_principals.normalise(name)
        if not service_principals.is_service_principal(normal) and not allow_unknown:
            raise InputError(
                f"{service_principals.why_not(name)}; nothing was changed (--allow-unknown-service if AWS documents it)"
            )
        found.append(normal)
    return tuple(dict.fromkeys(found))
