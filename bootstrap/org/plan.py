"""What applying the organisation would change, in people's terms first ("alice gains ADMIN on DEV; bob loses OPS
on PROD; carol is new"), then as a diff of the templates.

The two sides are account states (``org.state``), however they were obtained: read from the accounts, read from
the last rendered templates (``--offline``), or the model before and after an edit of the users file. A plan is a
value: showing it is the CLI's job.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from bootstrap.org import naming
from bootstrap.org.model import USERS_ENV
from bootstrap.org.state import AccountState, Policy, Role, access

# What a grant lets someone do that they may not expect: said next to it in the plan.
ESCALATES = {"OPS": "full IAM in that account: can grant themselves more"}
POWER_NOTE = "full IAM in the users account without a role: can grant themselves anything"


@dataclass(frozen=True)
class Plan:
    people: tuple[str, ...]  # one sentence per person whose access changes
    other: tuple[str, ...]  # groups, roles and policies that change, in IAM's words
    diffs: tuple[tuple[str, str], ...]  # (file, unified diff) per template that changes
    changed: tuple[str, ...]  # the environments (USERS too) whose state differs

    @property
    def empty(self) -> bool:
        return not self.changed


def make(
    old: Mapping[str, AccountState],
    new: Mapping[str, AccountState],
    users_account: str,
    *,
    old_texts: Mapping[str, str] | None = None,
    new_texts: Mapping[str, str] | None = None,
) -> Plan:
    """The plan that takes ``old`` to ``new`` (env -> state). ``*_texts``: file -> template text, for the diff."""
    envs = list(dict.fromkeys([*new, *old]))
    changed = tuple(env for env in envs if old.get(env) != new.get(env))
    people = _people(old, new, users_account, envs)
    other = tuple(line for env in changed for line in _other(env, old.get(env), new.get(env)))
    diffs = _diffs(old_texts or {}, new_texts or {})
    return Plan(people, other, diffs, changed)


def _members(state: AccountState | None, name: str) -> set[str]:
    group = state.group(name) if state is not None else None
    return set(group.members) if group is not None else set()


def _people(
    old: Mapping[str, AccountState],
    new: Mapping[str, AccountState],
    users_account: str,
    envs: list[str],
) -> tuple[str, ...]:
    before, after = access(old, users_account), access(new, users_account)
    old_users, new_users = old.get(USERS_ENV), new.get(USERS_ENV)
    power_group, assume_group = (
        _group_name(new_users, old_users, "PowerGroup"),
        _group_name(new_users, old_users, "AssumeRoleGroup"),
    )
    was = _members(old_users, assume_group) | set(before)
    now = _members(new_users, assume_group) | set(after)
    if new_users is None:  # the users account is not part of this plan: who exists is not in question
        was = now = was | now
    was_power, now_power = _members(old_users, power_group), _members(new_users, power_group)
    order = {env: i for i, env in enumerate(envs)}
    lines: list[str] = []
    for name in sorted(was | now):
        gains = after.get(name, set()) - before.get(name, set())
        losses = before.get(name, set()) - after.get(name, set())
        parts: list[str] = []
        if name not in was:
            what = f": {_grants(gains, order)}" if gains else " (no role granted)"
            parts.append(f"{name} is new{what}")
            gains = set()
        elif name not in now:
            what = f": loses {_grants(losses, order)}" if losses else ""
            parts.append(f"{name} leaves{what}")
            losses = set()
        if gains:
            _add(parts, name, f"gains {_grants(gains, order)}")
        if losses:
            _add(parts, name, f"loses {_grants(losses, order)}")
        if name in now_power and name not in was_power:
            _add(parts, name, f"joins {power_group} ({POWER_NOTE})")
        if name in was_power and name not in now_power and name in now:
            _add(parts, name, f"leaves {power_group}")
        if parts:
            lines.append("; ".join(parts))
    return tuple(lines)


def _group_name(new: AccountState | None, old: AccountState | None, logical_id: str) -> str:
    for state in (new, old):
        for group in state.groups if state is not None else ():
            if group.logical_id == logical_id:
                return group.name
    return ""


def _add(parts: list[str], name: str, text: str) -> None:
    """The first part of a person's sentence names them; the rest follow it."""
    parts.append(f"{name} {text}" if not parts else text)


def _grants(grants: set[tuple[str, str]], order: Mapping[str, int]) -> str:
    """``ADMIN and OPS on DEV, READ on PROD`` (escalating kinds noted)."""
    by_env: dict[str, list[str]] = {}
    for env, kind in sorted(grants, key=lambda g: (order.get(g[0], 99), _kind_order(g[1]))):
        by_env.setdefault(env, []).append(kind)
    parts = []
    for env, kinds in by_env.items():
        text = " and ".join(kinds) + f" on {env}"
        notes = [ESCALATES[k] for k in kinds if k in ESCALATES]
        parts.append(text + (f" ({'; '.join(notes)})" if notes else ""))
    return ", ".join(parts)


def _kind_order(kind: str) -> int:
    return naming.KINDS.index(kind) if kind in naming.KINDS else len(naming.KINDS)


def _other(env: str, old: AccountState | None, new: AccountState | None) -> list[str]:
    lines: list[str] = []
    if new is None:
        return [f"{env}: no longer in the model (left as it is)"]
    where = f"in {env} ({new.account_id})"
    for user in new.users:
        had_user = old.user(user.name) if old is not None else None
        if had_user is None:
            lines.append(f"pipeline user {user.name} is new {where}: {_may(user.policies)}")
        elif had_user.policies != user.policies:
            lines.append(f"the policy of pipeline user {user.name} changes {where}: {_may(user.policies)}")
    for provider in new.providers:
        if old is None or old.provider(provider.url) is None:
            lines.append(f"OIDC identity provider {provider.host} is new {where}")
    for group in new.groups:
        had = old.group(group.name) if old is not None else None
        if had is None:
            lines.append(f"group {group.name} is new {where}")
        elif had.policies != group.policies:
            lines.append(f"the policies of group {group.name} change {where}")
    for role in new.roles:
        was = old.role(role.name) if old is not None else None
        if was is None:
            lines.append(f"role {role.name} ({role.kind}) is new {where}{_trusting(role)}")
            continue
        if was.trust != role.trust and role.kind not in naming.KINDS:
            lines.append(f"the trust of role {role.name} changes {where}{_trusting(role)}")
        if was.policies != role.policies:
            lines.append(f"the permissions of role {role.name} change {where}")
        if was.max_session != role.max_session:
            lines.append(f"role {role.name}: MaxSessionDuration {was.max_session} -> {role.max_session} s")
        if was.tags != role.tags:
            how = "through its own group" if role.tags else "by its trust"
            lines.append(f"role {role.name} is granted {how} from now on")
    return lines


def _may(policies: tuple[Policy, ...]) -> str:
    """What a pipeline user's policy lets it do, in a few words: "may assume only arn:..."."""
    resources = [
        str(statement.get("Resource"))
        for policy in policies
        for statement in policy.document.get("Statement", [])
        if statement.get("Action") == "sts:AssumeRole"
    ]
    return f"may assume only {', '.join(resources)}" if resources else "its policy changes"


def _trusting(role: Role) -> str:
    """ ", trusting only pipeline-x" for a pipeline's or service's role (people's are said per person)."""
    if role.kind in naming.KINDS:
        return ""
    named: list[str] = []
    for statement in role.trust.document.get("Statement", []):
        principal = statement.get("Principal", {})
        for key in ("AWS", "Service", "Federated"):
            value = principal.get(key, [])
            named += [value] if isinstance(value, str) else list(value)
    who = ", ".join(n.rsplit("/", 1)[-1] if ":user/" in n else n for n in named) or "nobody"
    return f", trusting only {who}; sessions of at most {role.max_session} s"


def _diffs(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for name in dict.fromkeys([*new, *old]):
        before, after = old.get(name, ""), new.get(name, "")
        if before == after:
            continue
        diff = difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{name}" if before else "/dev/null",
            tofile=f"b/{name}" if after else "/dev/null",
            n=2,
        )
        out.append((name, "".join(diff)))
    return tuple(out)
