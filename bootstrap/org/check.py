"""``org check``: the rendered organisation checked before anything is deployed.

Two kinds of finding. The tool's own rules, on the account states (fast, pure): a human trust names neither
``*`` nor an account's root (but for the large-team pattern, where that is the point), requires MFA, names only
people of the users file; IAM's quotas that CloudFormation would only report half-way through a deployment (a
role's trust policy length, 2,048 characters unless raised, 4,096 at most; ten groups per user; inline policy
sizes); and what is dangerous by design said plainly (PowerG and OPS mean full IAM, which can escalate). Then
cfn-lint, offline, on the templates (once per template set: it costs a few seconds to start).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from bootstrap import arns
from bootstrap.errors import InputError
from bootstrap.org import documents, naming
from bootstrap.org.cloudformation import TEMPLATE_BODY_MAX
from bootstrap.org.model import USERS_ENV, Organisation
from bootstrap.org.state import AccountState, Policy, Role

Level = Literal["error", "warning", "note"]
GROUPS_PER_USER: Final = 10  # IAM quota: groups an IAM user can be a member of
GROUP_INLINE_MAX: Final = 5_120  # IAM quota: all inline policies of a group together
ROLE_INLINE_MAX: Final = 10_240  # IAM quota: all inline policies of a role together
CFN_LINT_HINT: Final = "cfn-lint is not installed: pip install 'aws-iam-bootstrap[org]' (or pass --no-lint)"


@dataclass(frozen=True)
class Finding:
    level: Level
    where: str  # "DEV infra-ReadR-..." or "roles-dev.yaml:12"
    text: str
    rule: str = "aws-iam-bootstrap"


def rules(org: Organisation, states: Mapping[str, AccountState]) -> list[Finding]:
    """The tool's own rules over every account state."""
    found: list[Finding] = []
    people = {p.name for p in org.people}
    for env, state in states.items():
        for role in state.roles:
            if role.kind in naming.KINDS:  # people's roles; pipelines' are proven by `pipeline check`
                found += _trust(org, env, role, people)
            found += _size(f"{env} role {role.name}", role.policies, ROLE_INLINE_MAX, "a role's inline policies")
        for group in state.groups:
            strangers = sorted(set(group.members) - people)
            if strangers:
                text = f"members not in the users file: {', '.join(strangers)}"
                found.append(Finding("error", f"{env} group {group.name}", text))
            found += _size(f"{env} group {group.name}", group.policies, GROUP_INLINE_MAX, "a group's inline policies")
    found += _people(org, states)
    found += _escalations(org)
    for env, state in states.items():
        from bootstrap.org.cloudformation import render

        size = len(render(state).encode())
        if size > TEMPLATE_BODY_MAX:
            found.append(
                Finding(
                    "warning",
                    f"{env} template",
                    f"{size:,} bytes: over CloudFormation's {TEMPLATE_BODY_MAX:,} for a template sent in the request; "
                    "deploy it from S3 (`aws cloudformation deploy --s3-bucket`) or use --via iam",
                )
            )
    return found


def _trust(org: Organisation, env: str, role: Role, people: set[str]) -> list[Finding]:
    where = f"{env} role {role.name}"
    found: list[Finding] = []
    length = documents.iam_length(role.trust.document)
    quota = org.settings.trust_policy_quota
    if length > quota:
        count = len(role.trusted_users(org.users_account_id))
        found.append(Finding("error", where, too_long(role, env, length, quota, count)))
    by_group = org.by_group(env, role.kind)
    for statement in documents.canonical(dict(role.trust.document)).get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        for principal in statement.get("Principal", {}).get("AWS", []):
            parsed = arns.parse(principal)
            if principal == "*":
                found.append(Finding("error", where, "the trust names '*': anyone in any account could assume it"))
            elif parsed is not None and parsed.kind == "root":
                if by_group and parsed.account == org.users_account_id:
                    found.append(
                        Finding(
                            "note",
                            where,
                            f"granted through group {naming.role_group(env, role.kind, org.group_suffix)}: the trust "
                            "names the users account, and only that group's policy lets its members in",
                        )
                    )
                elif parsed.account == org.account(env).id if env != USERS_ENV else False:
                    found.append(Finding("note", where, "nobody is granted it: the trust names only its own account"))
                else:
                    found.append(
                        Finding("error", where, f"the trust names account {parsed.account}'s root, not people")
                    )
            elif parsed is not None and parsed.kind == "user":
                if parsed.account != org.users_account_id:
                    found.append(Finding("error", where, f"the trust names {principal}, outside the users account"))
                elif parsed.name not in people:
                    text = f"the trust names {parsed.name}, who is not in the users file"
                    found.append(Finding("error", where, text))
        condition = statement.get("Condition", {}).get("Bool", {}).get("aws:MultiFactorAuthPresent")
        if condition != ["true"]:
            found.append(Finding("error", where, "the trust does not require MFA (aws:MultiFactorAuthPresent)"))
    return found


def too_long(role: Role, env: str, length: int, quota: int, count: int) -> str:
    """The message for a trust over IAM's quota, with the tool's answers for a large team."""
    hint = (
        "raise the quota to 4,096 (Service Quotas: IAM 'Role trust policy length') and set "
        "settings: trust_policy_quota: 4096 in users.yaml"
        if quota < 4096
        else "the quota cannot go above 4,096"
    )
    return (
        f"its trust policy would be {length:,} characters for {count} people, over IAM's quota of {quota:,}: "
        f"IAM would refuse it. Either {hint}, or grant it through a group: add {env}:{role.kind} to "
        "settings: granted_by_group in users.yaml (the role then trusts the users account, with MFA, and only "
        f"members of {naming.STACK}-{env}-{naming.KIND_WORDS.get(role.kind, role.kind)}RG-<suffix> may assume it; "
        "a user can be in at most 10 groups)"
    )


def _size(where: str, policies: Iterable[Policy], limit: int, what: str) -> list[Finding]:
    total = sum(documents.iam_length(dict(p.document)) for p in policies)
    if total > limit:
        return [Finding("error", where, f"{total:,} characters of inline policy, over IAM's {limit:,} for {what}")]
    return []


def _people(org: Organisation, states: Mapping[str, AccountState]) -> list[Finding]:
    found: list[Finding] = []
    users = states.get(USERS_ENV)
    for person in org.people:
        if person.power:
            found.append(
                Finding(
                    "warning",
                    f"user {person.name}",
                    f"in {org.groups.power}: full IAM in the users account without assuming a role, so they can "
                    "grant themselves anything",
                )
            )
        ops = [env for env, kinds in person.grants.items() if "OPS" in kinds]
        if ops:
            found.append(
                Finding(
                    "note",
                    f"user {person.name}",
                    f"OPS on {', '.join(ops)}: full IAM in that account, so they can grant themselves more",
                )
            )
        if users is not None:
            count = sum(1 for g in users.groups if person.name in g.members)
            if count > GROUPS_PER_USER:
                found.append(
                    Finding(
                        "error",
                        f"user {person.name}",
                        f"in {count} groups, over IAM's {GROUPS_PER_USER}: grant fewer roles through groups",
                    )
                )
    return found


def _escalations(org: Organisation) -> list[Finding]:
    """The privilege-escalation paths of each pipeline's and service role's permissions, as warnings: deploying
    them is the team's call, and `pipeline check` fails on the errors among them."""
    from bootstrap.policy import escalation, grants

    found: list[Finding] = []
    owners = [(f"pipeline {p.name}", p.role_policy_file, p.role_policy) for p in org.pipelines]
    owners += [(f"service role {r.name}", r.policy_file, r.policy) for r in org.service_roles]
    for who, source, document in owners:
        for path in escalation.lint(grants.grants([grants.Labelled(source, document)])):
            found.append(Finding("warning", f"{who} ({source})", f"{path.name}: {path.text}"))
    return found


def require_deployable(org: Organisation, states: Mapping[str, AccountState]) -> None:
    """``InputError`` for the first rule a deployment would trip on (run before anything is changed)."""
    errors = [f for f in rules(org, states) if f.level == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more: run `aws-iam-bootstrap org check`)" if len(errors) > 1 else ""
        raise InputError(f"{first.where}: {first.text}{more}; nothing was changed")


def lint(templates: Mapping[str, str], region: str) -> list[Finding]:
    """cfn-lint on each template, offline (its bundled resource specifications; no AWS call)."""
    try:
        from cfnlint.api import ManualArgs
        from cfnlint.api import lint as cfn_lint
    except ImportError:
        raise InputError(CFN_LINT_HINT) from None
    found: list[Finding] = []
    for name, text in templates.items():
        for match in cfn_lint(text, config=ManualArgs(regions=[region])):
            level: Level = "error" if match.rule.id.startswith("E") else "warning"
            message = match.message if len(match.message) < 300 else match.message[:300] + "…"
            found.append(Finding(level, f"{name}:{match.linenumber}", message, f"cfn-lint {match.rule.id}"))
    return found
