"""Who may assume a role, in words (`trust show`): the trust's principals read with what the organisation knows
of them, humans and pipelines by their users.yaml names, accounts by their CONST.inc names, services and
identity providers as what they are, each with its conditions said plainly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from bootstrap import arns
from bootstrap.org import pipelines
from bootstrap.org.model import Organisation
from bootstrap.policy import assume

GROUPS: Final = ("humans", "pipelines", "accounts", "roles", "services", "identity providers", "anyone", "others")


@dataclass(frozen=True)
class Who:
    group: str  # one of GROUPS
    text: str


def _account(org: Organisation | None, account: str) -> str:
    if org is not None:
        if account == org.users_account_id:
            return f"the users account {org.users_account_name} ({account})"
        for env in org.accounts:
            if env.id == account:
                return f"{env.env}'s account {env.name} ({account})"
    return f"account {account}"


def _conditions(named: assume.Named) -> str:
    said: list[str] = []
    for operator, key, values in named.conditions:
        lowered = key.lower()
        if lowered == "aws:multifactorauthpresent" and values == ("true",):
            said.append("with MFA")
        elif lowered == "aws:multifactorauthage":
            said.append(f"MFA at most {int(values[0]) // 3600} h old" if values[0].isdigit() else f"MFA age {values}")
        elif lowered.endswith(":aud") or lowered.endswith(":sub"):
            continue  # said with the provider
        else:
            said.append(f"{operator} {key} {', '.join(values)}")
    return f" ({'; '.join(said)})" if said else ""


def _aws(org: Organisation | None, value: str) -> Who:
    if arns.ACCOUNT_ID.fullmatch(value):
        value = arns.root(value)
    parsed = arns.parse(value)
    if parsed is None:
        return Who("others", f"{value} (not an ARN IAM would keep)")
    if parsed.kind == "root":
        return Who("accounts", f"any identity of {_account(org, parsed.account)} that its own policies allow")
    if parsed.kind == "user":
        if org is not None and parsed.account == org.users_account_id:
            pipeline = next((p for p in org.pipelines if p.user_name == parsed.name), None)
            if pipeline is not None:
                return Who("pipelines", f"pipeline {pipeline.name} (user {parsed.name}, with its key)")
            if org.person(parsed.name) is not None:
                return Who("humans", f"{parsed.name}")
            if parsed.name.startswith(pipelines.PREFIX):
                return Who("pipelines", f"user {parsed.name} (a pipeline's name, but not in users.yaml)")
            return Who("humans", f"{parsed.name} (user of {_account(org, parsed.account)}, not in users.yaml)")
        return Who("humans", f"user {parsed.name} of {_account(org, parsed.account)}")
    if parsed.kind in ("role", "assumed-role"):
        return Who("roles", f"sessions of role {parsed.name} of {_account(org, parsed.account)}")
    return Who("others", value)


def _federated(named: assume.Named) -> Who:
    if named.value.endswith(f":oidc-provider/{pipelines.GITHUB_HOST}"):
        subjects = [value for _, value in assume.condition_values(named, f"{pipelines.GITHUB_HOST}:sub")]
        audiences = [value for _, value in assume.condition_values(named, f"{pipelines.GITHUB_HOST}:aud")]
        if not subjects:
            return Who("identity providers", "ANY GitHub Actions workflow of any repository (no sub condition)")
        which = " or ".join(_github_words(s) for s in subjects)
        audience = "" if audiences == [pipelines.GITHUB_AUDIENCE] else f" (audience {audiences or 'not checked'})"
        return Who("identity providers", f"GitHub Actions of {which}{audience}")
    return Who("identity providers", f"identities of {named.value}")


def _github_words(claim: str) -> str:
    parts = claim.split(":", 2)
    if len(parts) < 3 or parts[0] != "repo":
        return claim
    where = parts[2]
    if where == "*":
        return f"{parts[1]} (any branch, tag, environment or pull request)"
    return f"{parts[1]} on {where.removeprefix('ref:')}"


def describe(trust: Mapping[str, Any], org: Organisation | None = None) -> list[Who]:
    """Everyone the trust lets assume the role, grouped (``GROUPS`` order), each with its conditions."""
    found: list[Who] = []
    for named in assume.principals(trust):
        if not any(a == "*" or a.lower().startswith("sts:assumerole") or a.lower() == "sts:*" for a in named.actions):
            continue
        if named.kind == "anyone":
            who = Who("anyone", "ANYONE, in any AWS account")
        elif named.kind == "service":
            who = Who("services", f"the AWS service {named.value}")
        elif named.kind == "federated":
            who = _federated(named)
        else:
            who = _aws(org, named.value)
        found.append(Who(who.group, who.text + _conditions(named)))
    return sorted(found, key=lambda w: GROUPS.index(w.group))
