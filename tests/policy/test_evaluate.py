"""The policy evaluator on the documents the tool ships, and on what it does not support (fails closed)."""

from __future__ import annotations

from typing import Any

import pytest

from bootstrap.org.documents import policy_document, trust_document
from bootstrap.policy.evaluate import Decision, Principal, evaluate

ALICE = {"aws:username": "alice", "aws:PrincipalArn": "arn:aws:iam::210987654321:user/alice"}
WITH_MFA = {**ALICE, "aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "60"}
NO_MFA_SESSION = {**ALICE, "aws:MultiFactorAuthPresent": "false"}
OWN = "arn:aws:iam::210987654321:user/alice"
BOBS = "arn:aws:iam::210987654321:user/bob"


@pytest.mark.parametrize(
    ("action", "resource", "context", "expected"),
    [
        ("iam:GetUser", OWN, ALICE, Decision.ALLOW),
        ("iam:CreateVirtualMFADevice", "arn:aws:iam::210987654321:mfa/alice", ALICE, Decision.ALLOW),
        ("iam:EnableMFADevice", OWN, ALICE, Decision.ALLOW),
        ("iam:CreateAccessKey", OWN, ALICE, Decision.DENY),  # long-term key: no MFA key at all -> IfExists
        ("iam:CreateAccessKey", OWN, NO_MFA_SESSION, Decision.DENY),
        ("iam:CreateAccessKey", OWN, WITH_MFA, Decision.ALLOW),
        ("iam:CreateAccessKey", BOBS, WITH_MFA, Decision.NONE),
        ("iam:ListUsers", "arn:aws:iam::210987654321:user/", WITH_MFA, Decision.NONE),
        ("iam:createaccesskey", OWN, WITH_MFA, Decision.ALLOW),  # action names are case-insensitive
        ("iam:GetUser", OWN, {}, Decision.NONE),  # ${aws:username} unresolved: matches nothing
    ],
)
def test_manage_own_user_policy(action: str, resource: str, context: dict[str, str], expected: Decision) -> None:
    assert evaluate([policy_document("manage-own-user-group")], action, resource, context) is expected


def test_trust_names_users_and_requires_recent_mfa() -> None:
    doc = trust_document([OWN])
    role = "arn:aws:iam::345678901234:role/infra-AdminR-1R5T9WQ3Z8XA"

    def trust(context: dict[str, str], who: str = OWN) -> Decision:
        return evaluate([doc], "sts:AssumeRole", role, context, principal=Principal(who, "210987654321"))

    assert trust(WITH_MFA) is Decision.ALLOW
    assert trust(WITH_MFA, BOBS) is Decision.NONE
    assert trust(NO_MFA_SESSION) is Decision.NONE
    assert trust(ALICE) is Decision.NONE
    assert trust({**WITH_MFA, "aws:MultiFactorAuthAge": "43200"}) is Decision.NONE


def test_account_root_names_every_principal_of_the_account() -> None:
    doc = trust_document(["arn:aws:iam::210987654321:root"])
    for who in (OWN, "arn:aws:sts::210987654321:assumed-role/R/s"):
        decision = evaluate([doc], "sts:AssumeRole", "r", WITH_MFA, principal=Principal(who, "210987654321"))
        assert decision is Decision.ALLOW
    other = evaluate([doc], "sts:AssumeRole", "r", WITH_MFA, principal=Principal("arn:aws:iam::1:user/x", "1"))
    assert other is Decision.NONE


def test_unsupported_condition_operators_fail_closed() -> None:
    def statement(effect: str) -> dict[str, Any]:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": effect,
                    "Action": "iam:GetUser",
                    "Resource": "*",
                    "Condition": {"StringMatchesRegex": {"aws:username": "alice"}},
                }
            ],
        }

    assert evaluate([statement("Allow")], "iam:GetUser", OWN, ALICE) is Decision.NONE
    assert evaluate([statement("Deny")], "iam:GetUser", OWN, ALICE) is Decision.DENY


def test_role_permission_documents() -> None:
    read, admin = policy_document("role-read"), policy_document("role-admin")
    assert evaluate([read], "iam:ListRoles", "*", {}) is Decision.ALLOW
    assert evaluate([read], "iam:CreateUser", "arn:aws:iam::1:user/x", {}) is Decision.NONE
    assert evaluate([admin], "iam:CreateUser", "arn:aws:iam::1:user/x", {}) is Decision.ALLOW


# --- the rest of the policy language ------------------------------------------------------------------------------


def _allow(condition: dict[str, Any], action: str = "s3:GetObject") -> dict[str, Any]:
    return {"Statement": [{"Effect": "Allow", "Action": action, "Resource": "*", "Condition": condition}]}


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "env"]}}, {"aws:TagKeys": ["env", "x"]}, True),
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}, {"aws:TagKeys": ["env"]}, False),
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}, {}, False),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}, {"aws:TagKeys": ["env", "team"]}, True),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, {"aws:TagKeys": ["env", "team"]}, False),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, {}, True),  # vacuously, as AWS documents
        ({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}}, {"aws:TagKeys": ["a", "b"]}, True),
        ({"ForAnyValue:StringLike": {"aws:TagKeys": ["te*"]}}, {"aws:TagKeys": ["team"]}, True),
        ({"StringEquals": {"aws:TagKeys": "team"}}, {"aws:TagKeys": ["team"]}, False),  # single op, multi key
        (
            {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
            {"aws:CurrentTime": "2026-06-01T00:00:00Z"},
            True,
        ),
        (
            {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
            {"aws:CurrentTime": "2026-06-01T00:00:00Z"},
            False,
        ),
        ({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, {"aws:SourceIp": "127.0.0.1"}, True),
        ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "127.0.0.1"}, True),
        ({"NumericLessThanEquals": {"aws:MultiFactorAuthAge": "3600"}}, {"aws:MultiFactorAuthAge": "60"}, True),
        ({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}, {}, True),
        ({"Null": {"aws:TokenIssueTime": "true"}}, {}, True),
        ({"StringEquals": {"AWS:UserName": "alice"}}, {"aws:username": "alice"}, True),  # keys are case-insensitive
        ({"StringEquals": {"s3:prefix": "${aws:username}/"}}, {"s3:prefix": "alice/", "aws:username": "alice"}, True),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/a*"}}, {"aws:PrincipalArn": OWN}, True),
        ({"BinaryEquals": {"k": "YWJj"}}, {"k": "YWJj"}, True),
    ],
)
def test_condition_operators(condition: dict[str, Any], context: dict[str, Any], expected: bool) -> None:
    decision = evaluate([_allow(condition)], "s3:GetObject", "arn:aws:s3:::b/k", context)
    assert (decision is Decision.ALLOW) is expected


def test_service_principals_in_a_trust_policy() -> None:
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ]
    }
    role = "arn:aws:iam::1:role/r"
    assert (
        evaluate([trust], "sts:AssumeRole", role, {}, principal=Principal(service="lambda.amazonaws.com"))
        is Decision.ALLOW
    )
    assert (
        evaluate([trust], "sts:AssumeRole", role, {}, principal=Principal(service="ec2.amazonaws.com")) is Decision.NONE
    )
    assert evaluate([trust], "sts:AssumeRole", role, {}, principal=Principal(OWN, "210987654321")) is Decision.NONE


def test_not_action_not_resource_and_resource_wildcards() -> None:
    doc = {
        "Statement": [
            {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret*"},
            {"Effect": "Deny", "Action": "s3:Delete*", "Resource": "arn:aws:s3:::keep/*"},
        ]
    }
    assert evaluate([doc], "s3:GetObject", "arn:aws:s3:::public/k", {}) is Decision.ALLOW
    assert evaluate([doc], "s3:GetObject", "arn:aws:s3:::secret-bucket/k", {}) is Decision.NONE
    assert evaluate([doc], "iam:GetUser", "*", {}) is Decision.NONE
    assert evaluate([doc], "s3:DeleteObject", "arn:aws:s3:::keep/k", {}) is Decision.DENY
    # a value substituted into a resource is never a wildcard
    own = {
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${aws:username}/*"}]
    }
    assert evaluate([own], "s3:GetObject", "arn:aws:s3:::home/bob/k", {"aws:username": "*"}) is Decision.NONE
    assert evaluate([own], "s3:GetObject", "arn:aws:s3:::home/*/k", {"aws:username": "*"}) is Decision.ALLOW
