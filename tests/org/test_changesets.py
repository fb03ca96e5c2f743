"""The real-AWS path. moto's CloudFormation creates the role stacks (roles with their trust and policies), so
the rendered environment template is deployed there for real; it cannot do change sets on an existing stack
(it shows every resource as Add) nor groups, so the change-set flow (create, show, confirm, execute, wait with
events, failure with the events that caused it) is driven with botocore's Stubber."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from bootstrap.errors import AwsError, CheckFailed
from bootstrap.org import changesets, cloudformation, load, state

if TYPE_CHECKING:
    from bootstrap.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]


def example_dev_template() -> str:
    org = load.load(load.Sources(ROOT / "CONST.inc.example", ROOT / "users.yaml.example"))
    return cloudformation.render(state.desired(org)["DEV"])


def test_moto_cloudformation_creates_the_role_stack_as_rendered(sandbox: Sandbox) -> None:
    # Through the sandbox, over HTTP, as the admin of an account of its own (the shared sandbox's state is kept).
    from bootstrap.org import observe

    account = str(secrets.randbelow(9 * 10**11) + 10**11)
    cfn = sandbox._admin_client("cloudformation", account)
    cfn.create_stack(
        StackName="infra-roles", TemplateBody=example_dev_template(), Capabilities=["CAPABILITY_NAMED_IAM"]
    )
    iam = sandbox._admin_client("iam", account)
    role = iam.get_role(RoleName="infra-AdminR-1R5T9WQ3Z8XA")["Role"]
    principals = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"]
    assert sorted(principals) == ["arn:aws:iam::210987654321:user/alice", "arn:aws:iam::210987654321:user/bob"]
    assert role["MaxSessionDuration"] == 43200
    policy = iam.get_role_policy(RoleName="infra-OpsR-1R5T9WQ3Z8XA", PolicyName="OpsPermissions")
    assert "iam:*" in json.dumps(policy["PolicyDocument"])
    # What the plan reads back from the deployed stack is what was rendered.
    wanted = state.desired(load.load(load.Sources(ROOT / "CONST.inc.example", ROOT / "users.yaml.example")))["DEV"]
    assert observe.from_stack(cfn, wanted).state == wanted


def stubbed() -> tuple[Any, Stubber]:
    client = boto3.client(
        "cloudformation", region_name="eu-west-1", aws_access_key_id="x" * 20, aws_secret_access_key="y" * 40
    )
    return client, Stubber(client)


def _event(event_id: str, logical: str, status: str, reason: str = "") -> dict[str, Any]:
    return {
        "StackId": "arn:aws:cloudformation:eu-west-1:345678901234:stack/infra-roles/1",
        "EventId": event_id,
        "StackName": "infra-roles",
        "LogicalResourceId": logical,
        "ResourceStatus": status,
        "ResourceStatusReason": reason,
        "Timestamp": datetime.now(UTC),
    }


def _stack(status: str) -> dict[str, Any]:
    return {"Stacks": [{"StackName": "infra-roles", "CreationTime": datetime.now(UTC), "StackStatus": status}]}


def _change_set(stub: Stubber, changes: list[dict[str, Any]]) -> None:
    stub.add_response("describe_stacks", _stack("UPDATE_COMPLETE"), {"StackName": "infra-roles"})
    stub.add_response(
        "create_change_set",
        {"Id": "cs-1"},
        {
            "StackName": "infra-roles",
            "ChangeSetName": ANY,
            "TemplateBody": ANY,
            "ChangeSetType": "UPDATE",
            "Capabilities": ["CAPABILITY_NAMED_IAM"],
            "Description": ANY,
        },
    )
    stub.add_response(
        "describe_change_set",
        {"Status": "CREATE_COMPLETE", "Changes": changes},
        {"StackName": "infra-roles", "ChangeSetName": ANY},
    )


MODIFY = [
    {
        "Type": "Resource",
        "ResourceChange": {
            "Action": "Modify",
            "LogicalResourceId": "AdminRole",
            "ResourceType": "AWS::IAM::Role",
            "Replacement": "False",
        },
    }
]


def test_a_change_set_is_shown_confirmed_executed_and_waited_on() -> None:
    client, stub = stubbed()
    _change_set(stub, MODIFY)
    stub.add_response("execute_change_set", {}, {"StackName": "infra-roles", "ChangeSetName": ANY})
    stub.add_response("describe_stacks", _stack("UPDATE_IN_PROGRESS"), {"StackName": "infra-roles"})
    stub.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                _event("2", "infra-roles", "UPDATE_IN_PROGRESS", "User Initiated"),
                _event("1", "infra-roles", "CREATE_COMPLETE"),
            ]
        },
        {"StackName": "infra-roles"},
    )
    stub.add_response("describe_stacks", _stack("UPDATE_COMPLETE"), {"StackName": "infra-roles"})
    stub.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                _event("4", "infra-roles", "UPDATE_COMPLETE"),
                _event("3", "AdminRole", "UPDATE_COMPLETE"),
                _event("2", "infra-roles", "UPDATE_IN_PROGRESS", "User Initiated"),
            ]
        },
        {"StackName": "infra-roles"},
    )
    events: list[object] = []
    asked: list[str] = []
    with stub:
        changed = changesets.deploy(
            client,
            "DEV",
            "infra-roles",
            example_dev_template(),
            events.append,
            lambda question: bool(asked.append(question) or True),  # type: ignore[func-returns-value]
            sleep=lambda s: None,
        )
    stub.assert_no_pending_responses()
    assert changed
    ready = events[0]
    assert isinstance(ready, changesets.ChangeSetReady)
    assert ready.changes == (changesets.ResourceChange("Modify", "AdminRole", "AWS::IAM::Role", "False"),)
    assert asked
    assert asked[0].startswith("Execute change set aws-iam-bootstrap-")
    shown = [(e.logical_id, e.status) for e in events if isinstance(e, changesets.StackEvent)]
    assert shown == [
        ("infra-roles", "UPDATE_IN_PROGRESS"),
        ("AdminRole", "UPDATE_COMPLETE"),
        ("infra-roles", "UPDATE_COMPLETE"),
    ]


def test_declining_deletes_the_change_set_and_changes_nothing() -> None:
    client, stub = stubbed()
    _change_set(stub, MODIFY)
    stub.add_response("delete_change_set", {}, {"StackName": "infra-roles", "ChangeSetName": ANY})
    with stub, pytest.raises(CheckFailed, match="not executed \\(declined\\); nothing was changed there"):
        changesets.deploy(client, "DEV", "infra-roles", example_dev_template(), lambda e: None, lambda q: False)
    stub.assert_no_pending_responses()


def test_a_failed_update_is_reported_with_the_events_that_caused_it() -> None:
    client, stub = stubbed()
    _change_set(stub, MODIFY)
    stub.add_response("execute_change_set", {}, {"StackName": "infra-roles", "ChangeSetName": ANY})
    stub.add_response("describe_stacks", _stack("UPDATE_ROLLBACK_COMPLETE"), {"StackName": "infra-roles"})
    stub.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                _event("5", "infra-roles", "UPDATE_ROLLBACK_COMPLETE"),
                _event(
                    "4",
                    "AdminRole",
                    "UPDATE_FAILED",
                    'Invalid principal in policy: "AWS":"arn:aws:iam::210987654321:user/ghost"',
                ),
                _event("3", "infra-roles", "UPDATE_IN_PROGRESS", "User Initiated"),
            ]
        },
        {"StackName": "infra-roles"},
    )
    with stub, pytest.raises(AwsError) as raised:
        changesets.deploy(
            client, "DEV", "infra-roles", example_dev_template(), lambda e: None, None, sleep=lambda s: None
        )
    assert "stack infra-roles in DEV ended UPDATE_ROLLBACK_COMPLETE" in str(raised.value)
    assert "AdminRole: UPDATE_FAILED: Invalid principal in policy" in str(raised.value)


def test_nothing_to_change_is_said_and_the_empty_change_set_removed() -> None:
    client, stub = stubbed()
    stub.add_response("describe_stacks", _stack("UPDATE_COMPLETE"), {"StackName": "infra-roles"})
    stub.add_response(
        "create_change_set",
        {"Id": "cs-1"},
        {
            "StackName": "infra-roles",
            "ChangeSetName": ANY,
            "TemplateBody": ANY,
            "ChangeSetType": "UPDATE",
            "Capabilities": ["CAPABILITY_NAMED_IAM"],
            "Description": ANY,
        },
    )
    stub.add_response(
        "describe_change_set",
        {
            "Status": "FAILED",
            "StatusReason": "The submitted information didn't contain changes. Submit different information.",
        },
        {"StackName": "infra-roles", "ChangeSetName": ANY},
    )
    stub.add_response("delete_change_set", {}, {"StackName": "infra-roles", "ChangeSetName": ANY})
    events: list[object] = []
    with stub:
        assert not changesets.deploy(client, "DEV", "infra-roles", example_dev_template(), events.append)
    assert events == [changesets.Unchanged("DEV", "infra-roles")]
