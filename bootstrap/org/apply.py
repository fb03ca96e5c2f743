"""Deploying the organisation: read what each account holds, plan, and (once the plan is accepted) change it.

Two ways, one plan:
- ``iam``: IAM API calls (``iam_apply``). The sandbox's way, since moto's CloudFormation cannot create groups or
  change a trust; also for teams that keep no stacks.
- ``cloudformation``: one change set per account (``changesets``), shown and confirmed before it is executed.
  The users are created with IAM calls first either way: no template holds them.

Nothing is changed before every account is reached, checked to be the account CONST.inc says, read, and the
whole plan passes the rules a deployment would trip on (``check.require_deployable``). Accounts are changed in
an order IAM needs: the users account first (a trust may only name users that exist), then the environments.
Re-running after an interruption reads again and finishes the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from bootstrap.org import changesets, check, cloudformation, iam_apply, observe, plan
from bootstrap.org.accounts import Access
from bootstrap.org.iam_apply import Change
from bootstrap.org.model import USERS_ENV, Organisation
from bootstrap.org.observe import Observed
from bootstrap.org.state import AccountState, desired

Method = Literal["iam", "cloudformation"]
METHODS: tuple[Method, ...] = ("iam", "cloudformation")


@dataclass(frozen=True)
class Progress:
    """One thing done (or, in a dry run, that would be done) in one account."""

    env: str
    text: str


@dataclass(frozen=True)
class Prepared:
    """Everything read, and the plan; nothing changed yet."""

    org: Organisation
    method: Method
    wanted: Mapping[str, AccountState]
    observed: Mapping[str, Observed]
    plan: plan.Plan
    changes: tuple[Change, ...]  # the IAM calls (all of them for iam; the users' creation for cloudformation)
    access: Mapping[str, Access]

    @property
    def envs(self) -> tuple[str, ...]:
        """The accounts that change, users account first."""
        ordered = sorted(self.wanted, key=lambda env: env != USERS_ENV)
        calls = {c.env for c in self.changes}
        return tuple(env for env in ordered if env in self.plan.changed or env in calls)


def wanted_states(org: Organisation, envs: list[str] | None = None) -> dict[str, AccountState]:
    states = desired(org)
    return {env: state for env, state in states.items() if envs is None or env in envs}


def prepare(org: Organisation, access: Mapping[str, Access], method: Method, *, quotas: bool = True) -> Prepared:
    """Read every account in ``access``, and plan. Refuses (``InputError``) what a deployment would trip on;
    ``quotas=False`` only for the sandbox's own growth (moto enforces no IAM quota, and a test process adds
    hundreds of people to the same roles)."""
    wanted = wanted_states(org, list(access))
    if quotas:
        check.require_deployable(org, wanted)
    observed: dict[str, Observed] = {}
    for env, state in wanted.items():
        client = access[env].client
        if method == "iam":
            observed[env] = observe.from_iam(client("iam"), state)
        else:
            found = observe.from_stack(client("cloudformation"), state)
            users = observe.existing_users(client("iam")) if env == USERS_ENV else frozenset()
            observed[env] = Observed(found.state, users, found.deployed)
    changes: list[Change] = []
    for env, state in wanted.items():
        calls = iam_apply.changes(observed[env], state)
        changes += [c for c in calls if c.method == "create_user"] if method == "cloudformation" else calls
    made = plan.make(
        {env: o.state for env, o in observed.items() if o.deployed},
        wanted,
        org.users_account_id,
        old_texts={cloudformation.file_name(env): _text(o) for env, o in observed.items()},
        new_texts={cloudformation.file_name(env): cloudformation.render(s) for env, s in wanted.items()},
    )
    return Prepared(org, method, wanted, observed, made, tuple(changes), access)


def _text(found: Observed) -> str:
    return cloudformation.render(found.state) if found.deployed else ""


Confirm = Callable[[str], bool]
Sink = Callable[[object], None]


def execute(prepared: Prepared, on_event: Sink, confirm: Confirm | None = None) -> tuple[str, ...]:
    """Make the planned changes, account by account (users account first); return the accounts changed.
    ``confirm`` is asked before each change set (cloudformation); None: no question (the plan was accepted)."""
    done: list[str] = []
    for env in prepared.envs:
        access = prepared.access[env]
        calls = [c for c in prepared.changes if c.env == env]
        if calls:
            iam = access.client("iam")
            for change in calls:
                iam_apply.run(iam, change)
                on_event(Progress(env, change.text))
        if prepared.method == "cloudformation" and env in prepared.plan.changed:
            text = cloudformation.render(prepared.wanted[env])
            stack = cloudformation.stack_name(env)
            changesets.deploy(access.client("cloudformation"), env, stack, text, on_event, confirm)
        done.append(env)
    return tuple(done)


def apply(
    org: Organisation,
    access: Mapping[str, Access],
    method: Method,
    on_event: Sink,
    confirm: Confirm | None = None,
    *,
    quotas: bool = True,
) -> Prepared:
    """``prepare`` then ``execute``: for callers that need no look at the plan between (the sandbox)."""
    prepared = prepare(org, access, method, quotas=quotas)
    execute(prepared, on_event, confirm)
    return prepared


def changed_envs(before: Organisation, after: Organisation) -> list[str]:
    """The accounts whose wanted state differs between two versions of the model (USERS first): the only ones
    an edit of the users file needs to reach."""
    old, new = desired(before), desired(after)
    return [env for env in new if old.get(env) != new[env]]
