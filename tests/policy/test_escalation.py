"""The privilege-escalation lint: seed 004's "restricted" pipeline policy is an administrator many times over, each
path with its reason; policies without a path pass; PassRole's severity follows which roles may be passed."""

from __future__ import annotations

from typing import Any

import pytest

from bootstrap.policy import escalation, grants, iamdata
from bootstrap.policy.grants import Labelled

SEED_004 = {"Effect": "Allow", "Action": ["s3:*", "dynamodb:*", "ec2:*", "iam:*"], "Resource": "*"}


def _lint(*statements: dict[str, Any]) -> dict[str, escalation.Finding]:
    found = grants.grants([Labelled("p", {"Version": "2012-10-17", "Statement": list(statements)})])
    return {finding.name: finding for finding in escalation.lint(found)}


def test_seed_004s_example_is_an_administrator_with_a_reason_per_path() -> None:
    found = _lint(SEED_004)
    errors = {name for name, f in found.items() if f.severity == "error"}
    assert {
        "policy writes in iam",
        "PassRole to ec2:RunInstances",
        "access key of another user",
        "console password reset",
        "group membership",
    } <= errors
    writes = found["policy writes in iam"]
    assert {"iam:PutRolePolicy", "iam:AttachUserPolicy", "iam:UpdateAssumeRolePolicy"} <= set(writes.actions)
    assert "grant itself anything" in writes.reason
    assert found["PassRole to ec2:RunInstances"].resources == ("*",)
    assert "act with that role's permissions" in found["PassRole to ec2:RunInstances"].text
    # resource policies of the other services: said, but not an error (they open resources, not identities)
    assert found["resource policies of s3"].severity == "warning"
    assert "s3:PutBucketPolicy" in found["resource policies of s3"].actions


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::site/*"},
        {"Effect": "Allow", "Action": ["dynamodb:Query", "logs:PutLogEvents"], "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"},
    ],
)
def test_a_policy_without_a_path_passes(statement: dict[str, Any]) -> None:
    assert _lint(statement) == {}


def test_passrole_to_named_roles_is_a_warning_naming_them_and_to_any_role_an_error() -> None:
    execution = "arn:aws:iam::1:role/myproj-dev-ZappaLambdaExecutionRole"
    deploy = {"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:UpdateFunctionCode"], "Resource": "*"}
    named = _lint(deploy, {"Effect": "Allow", "Action": "iam:PassRole", "Resource": execution})
    assert named["PassRole to lambda:CreateFunction"].severity == "warning"
    assert named["PassRole to lambda:CreateFunction"].resources == (execution,)
    wild = _lint(deploy, {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::1:role/*"})
    assert wild["PassRole to lambda:CreateFunction"].severity == "error"
    assert "code of an existing function" in named  # no PassRole needed for that one


def test_assuming_any_role_is_said() -> None:
    found = _lint({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
    assert found["any role"].severity == "warning"
    assert _lint({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::1:role/x"}) == {}


def test_every_action_the_table_names_is_an_action_iam_has() -> None:
    for path in escalation.PATHS:
        for action in path.needs:
            assert iamdata.action(action) is not None, f"{path.name}: {action} is not in iamdata"
