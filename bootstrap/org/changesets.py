"""Deploying one account's template to real AWS through a CloudFormation change set: created, shown, confirmed,
executed, waited on with the stack's events as progress, and on failure reported with the events that caused it.

A change set changes nothing until executed, so declining (or Ctrl-C before) leaves the stack as it was; a stack
update that fails is rolled back by CloudFormation itself. A stack left mid-operation by someone else is not
touched: the admin is told to wait and run again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from bootstrap.aws.errors import calling
from bootstrap.errors import AwsError, CheckFailed, StateError

CAPABILITIES: Final = ["CAPABILITY_NAMED_IAM"]
NO_CHANGES: Final = ("didn't contain changes", "No updates are to be performed")
DONE: Final = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE"})
FAILED_END: Final = frozenset(
    {"CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED"}
)
POLL_SECONDS: Final = 5.0
TIMEOUT_SECONDS: Final = 30 * 60


@dataclass(frozen=True)
class ResourceChange:
    action: str  # Add, Modify, Remove
    logical_id: str
    resource_type: str
    replacement: str  # True, False, Conditional, "" for Add/Remove


@dataclass(frozen=True)
class ChangeSetReady:
    """A change set to look at before it is executed."""

    env: str
    stack: str
    name: str
    changes: tuple[ResourceChange, ...]


@dataclass(frozen=True)
class StackEvent:
    env: str
    stack: str
    logical_id: str
    status: str
    reason: str


@dataclass(frozen=True)
class Unchanged:
    env: str
    stack: str


Sink = Callable[[object], None]
Confirm = Callable[[str], bool]


def stack_status(cfn: Any, stack: str) -> str | None:
    """The stack's status, None when there is none (or only a deleted one)."""
    try:
        with calling("cloudformation:DescribeStacks"):
            stacks = cfn.describe_stacks(StackName=stack)["Stacks"]
    except AwsError as exc:
        if exc.code == "ValidationError":
            return None
        raise
    status = str(stacks[0]["StackStatus"]) if stacks else None
    return None if status == "DELETE_COMPLETE" else status


def deploy(
    cfn: Any,
    env: str,
    stack: str,
    template: str,
    on_event: Sink,
    confirm: Confirm | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> bool:
    """Create a change set for ``template`` on ``stack``, show it, execute it once confirmed; False when there was
    nothing to change."""
    status = stack_status(cfn, stack)
    if status is not None and status.endswith("_IN_PROGRESS"):
        raise StateError(f"stack {stack} in {env} is {status}: wait for it to finish, then run again")
    if status == "ROLLBACK_COMPLETE":
        raise StateError(
            f"stack {stack} in {env} failed to create and is ROLLBACK_COMPLETE: CloudFormation can only delete it "
            f"(aws cloudformation delete-stack --stack-name {stack}), then run again"
        )
    name = f"aws-iam-bootstrap-{int(time.time())}"
    with calling("cloudformation:CreateChangeSet"):
        cfn.create_change_set(
            StackName=stack,
            ChangeSetName=name,
            TemplateBody=template,
            ChangeSetType="UPDATE" if status is not None else "CREATE",
            Capabilities=CAPABILITIES,
            Description="aws-iam-bootstrap org apply",
        )
    described = _wait_for_change_set(cfn, stack, name, sleep, clock)
    if described is None:
        with calling("cloudformation:DeleteChangeSet"):
            cfn.delete_change_set(StackName=stack, ChangeSetName=name)
        on_event(Unchanged(env, stack))
        return False
    changes = tuple(
        ResourceChange(
            str(c["ResourceChange"].get("Action", "")),
            str(c["ResourceChange"].get("LogicalResourceId", "")),
            str(c["ResourceChange"].get("ResourceType", "")),
            str(c["ResourceChange"].get("Replacement", "")),
        )
        for c in described.get("Changes", [])
        if "ResourceChange" in c
    )
    on_event(ChangeSetReady(env, stack, name, changes))
    if confirm is not None and not confirm(f"Execute change set {name} on stack {stack} in {env}?"):
        with calling("cloudformation:DeleteChangeSet"):
            cfn.delete_change_set(StackName=stack, ChangeSetName=name)
        raise CheckFailed(f"change set on {stack} in {env} not executed (declined); nothing was changed there")
    started = clock()
    with calling("cloudformation:ExecuteChangeSet"):
        cfn.execute_change_set(StackName=stack, ChangeSetName=name)
    _wait_for_stack(cfn, env, stack, on_event, sleep, clock, started)
    return True


def _wait_for_change_set(
    cfn: Any, stack: str, name: str, sleep: Callable[[float], None], clock: Callable[[], float]
) -> dict[str, Any] | None:
    """The described change set once created; None when it holds no change."""
    deadline = clock() + TIMEOUT_SECONDS
    while True:
        with calling("cloudformation:DescribeChangeSet"):
            described: dict[str, Any] = cfn.describe_change_set(StackName=stack, ChangeSetName=name)
        status = described.get("Status")
        if status == "CREATE_COMPLETE":
            return described
        if status == "FAILED":
            reason = str(described.get("StatusReason", ""))
            if any(words in reason for words in NO_CHANGES):
                return None
            raise AwsError(f"the change set for {stack} failed: {reason}", code="ChangeSetFailed")
        if clock() > deadline:
            raise AwsError(f"the change set for {stack} is still {status}; look in the console", code="Timeout")
        sleep(1.0)


def _wait_for_stack(
    cfn: Any,
    env: str,
    stack: str,
    on_event: Sink,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    started: float,
) -> None:
    seen: set[str] = set()
    failures: list[StackEvent] = []
    first = True
    while True:
        status = stack_status(cfn, stack) or "DELETE_COMPLETE"
        for event in _new_events(cfn, stack, seen, skip_old=first):
            shown = StackEvent(
                env,
                stack,
                str(event.get("LogicalResourceId", "")),
                str(event.get("ResourceStatus", "")),
                str(event.get("ResourceStatusReason", "")),
            )
            on_event(shown)
            if shown.status.endswith("_FAILED"):
                failures.append(shown)
        first = False
        if status in DONE:
            return
        if status in FAILED_END or status == "DELETE_COMPLETE":
            causes = "; ".join(f"{f.logical_id}: {f.status}: {f.reason}" for f in failures) or "no event said why"
            raise AwsError(
                f"stack {stack} in {env} ended {status} (CloudFormation rolled back what it had changed): {causes}",
                code=status,
                action="cloudformation:ExecuteChangeSet",
            )
        if clock() - started > TIMEOUT_SECONDS:
            raise AwsError(f"stack {stack} in {env} is still {status}; look in the console", code="Timeout")
        sleep(POLL_SECONDS)


def _new_events(cfn: Any, stack: str, seen: set[str], *, skip_old: bool) -> list[dict[str, Any]]:
    """The stack's events not seen yet, oldest first (the first call skips none: the execution just began, and
    the events of earlier deployments come after the first of this one, newest first)."""
    with calling("cloudformation:DescribeStackEvents"):
        events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
    fresh: list[dict[str, Any]] = []
    for event in events:  # newest first
        event_id = str(event.get("EventId", ""))
        if event_id in seen:
            break
        fresh.append(event)
        # an earlier deployment's last event: this one's start is the stack's own *_IN_PROGRESS after it
        if (
            skip_old
            and event.get("LogicalResourceId") == stack
            and str(event.get("ResourceStatus", "")).endswith("_IN_PROGRESS")
            and event.get("ResourceStatusReason") == "User Initiated"
        ):
            break
    for event in fresh:
        seen.add(str(event.get("EventId", "")))
    return list(reversed(fresh))
