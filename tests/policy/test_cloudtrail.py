"""`policy from-cloudtrail` on real-format CloudTrail log files. moto has no CloudTrail events (no trail delivers
anything, and no LookupEvents), so the files are written here as a trail writes them to S3: gzipped JSON objects
with ``Records`` under ``AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/``, a digest file beside them, the records
as CloudTrail words them (``bucketName``, ``functionName``, Lambda's versioned event names, EC2's
``Client.UnauthorizedOperation``, an assumed role's ``sessionIssuer``, a console sign-in)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from bootstrap.policy.capture.files import Selection, read_calls
from tests.support.cli import invoke

ACCOUNT = "123456789012"
REGION = "eu-west-1"
CI = f"arn:aws:iam::{ACCOUNT}:user/ci"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/deployer"


def _user(arn: str) -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLEPRINCIPAL",
        "arn": arn,
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAEXAMPLEKEYID0001",
        "userName": arn.rsplit("/", 1)[-1],
    }


def _session(role: str) -> dict[str, Any]:
    name = role.rsplit("/", 1)[-1]
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLEROLEID:{name}-session",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/{name}-session",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEKEYID0001",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEROLEID",
                "arn": role,
                "accountId": ACCOUNT,
                "userName": name,
            },
            "attributes": {"creationDate": "2026-01-31T08:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def _event(
    when: str, source: str, name: str, identity: dict[str, Any], params: dict[str, Any] | None, error: str | None = None
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": when,
        "eventSource": source,
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": params,
        "responseElements": None,
        "requestID": "0f0e0d0c-0000-4000-8000-000000000000",
        "eventID": "1a2b3c4d-0000-4000-8000-000000000000",
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
    }
    if error:
        event["errorCode"] = error
        event["errorMessage"] = f"User: {identity['arn']} is not authorized to perform this operation"
    return event


@pytest.fixture
def trail(tmp_path: Path) -> Path:
    day = tmp_path / "AWSLogs" / ACCOUNT / "CloudTrail" / REGION / "2026" / "01" / "31"
    day.mkdir(parents=True)
    ci = _user(CI)
    morning = [
        _event(
            "2026-01-31T07:59:00Z",
            "lambda.amazonaws.com",
            "GetFunction20150331v2",
            ci,
            {"functionName": "acme-early"},
            "AccessDeniedException",
        ),  # before --since
        _event(
            "2026-01-31T09:05:00Z",
            "s3.amazonaws.com",
            "PutObject",
            ci,
            {"bucketName": "acme-data", "Host": "acme-data.s3.eu-west-1.amazonaws.com", "key": "in/a.csv"},
        ),
        _event(
            "2026-01-31T09:06:00Z",
            "lambda.amazonaws.com",
            "CreateFunction20150331",
            ci,
            {
                "functionName": "acme-fn",
                "role": f"arn:aws:iam::{ACCOUNT}:role/acme-fn-role",
                "runtime": "python3.12",
                "handler": "index.handler",
            },
            "AccessDeniedException",
        ),
        _event(
            "2026-01-31T09:07:00Z",
            "lambda.amazonaws.com",
            "GetFunction20150331v2",
            ci,
            {"functionName": "acme-fn"},
            "AccessDeniedException",
        ),
        _event(
            "2026-01-31T09:08:00Z",
            "ec2.amazonaws.com",
            "DescribeInstances",
            ci,
            {"instancesSet": {}, "filterSet": {}},
            "Client.UnauthorizedOperation",
        ),
        _event(
            "2026-01-31T09:09:00Z",
            "sqs.amazonaws.com",
            "SendMessage",
            ci,
            {"queueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/acme-jobs"},
            "AccessDenied",
        ),
        _event(
            "2026-01-31T09:10:00Z",
            "s3.amazonaws.com",
            "DeleteBucket",
            _user(f"arn:aws:iam::{ACCOUNT}:user/other"),
            {"bucketName": "acme-data"},
            "AccessDenied",
        ),
        {
            **_event("2026-01-31T09:11:00Z", "signin.amazonaws.com", "ConsoleLogin", ci, None),
            "eventType": "AwsConsoleSignIn",
        },
    ]
    afternoon = [
        _event(
            "2026-01-31T14:00:00Z",
            "ssm.amazonaws.com",
            "GetParameter",
            _session(DEPLOYER),
            {"name": "/acme/db-url", "withDecryption": True},
            "AccessDeniedException",
        ),
    ]
    for stamp, records in (("0910Z", morning), ("1400Z", afternoon)):
        name = f"{ACCOUNT}_CloudTrail_{REGION}_20260131T{stamp}_Ab12Cd34Ef56Gh78.json.gz"
        (day / name).write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
    digest = tmp_path / "AWSLogs" / ACCOUNT / "CloudTrail-Digest" / REGION / "2026" / "01" / "31"
    digest.mkdir(parents=True)
    (digest / f"{ACCOUNT}_CloudTrail-Digest_{REGION}_x_20260131T1000Z.json.gz").write_bytes(
        gzip.compress(json.dumps({"awsAccountId": ACCOUNT, "digestStartTime": "2026-01-31T09:00:00Z"}).encode())
    )
    return tmp_path / "AWSLogs"


def test_the_denied_calls_of_one_user_since_a_time_become_its_policy(trail: Path) -> None:
    run = invoke(
        "policy", "from-cloudtrail", str(trail), "--principal", CI, "--since", "2026-01-31T09:00:00Z", "--denied-only"
    )
    assert run.returncode == 0, run.output
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:acme-fn"
    assert json.loads(run.stdout)["Statement"] == [
        {
            "Sid": "IamRolePassedToLambda",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": f"arn:aws:iam::{ACCOUNT}:role/acme-fn-role",
            "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
        },
        {
            "Sid": "LambdaFunction",
            "Effect": "Allow",
            "Action": ["lambda:CreateFunction", "lambda:GetFunction"],
            "Resource": function,
        },
        {
            "Sid": "SqsQueue",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": f"arn:aws:sqs:{REGION}:{ACCOUNT}:acme-jobs",
        },
        {"Sid": "Ec2Any", "Effect": "Allow", "Action": ["ec2:DescribeInstances"], "Resource": "*"},
    ]
    assert "4 calls -> 5 actions in 4 statements" in run.stderr


def test_all_calls_and_a_role_s_sessions(trail: Path) -> None:
    every = invoke("policy", "from-cloudtrail", str(trail), "--principal", CI, "--prefix", "acme")
    assert every.returncode == 0, every.output
    statements = {s["Sid"]: s for s in json.loads(every.stdout)["Statement"]}
    assert statements["S3Object"] == {
        "Sid": "S3Object",
        "Effect": "Allow",
        "Action": ["s3:PutObject"],
        "Resource": "arn:aws:s3:::acme*/*",
    }
    assert statements["LambdaFunction"]["Resource"] == f"arn:aws:lambda:*:{ACCOUNT}:function:acme*"
    role = invoke("policy", "from-cloudtrail", str(trail), "--principal", DEPLOYER)
    assert json.loads(role.stdout)["Statement"] == [
        {
            "Sid": "SsmParameter",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter"],
            "Resource": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/acme/db-url",
        }
    ]


def test_reading_skips_digests_and_sign_ins_and_names_versioned_lambda_calls(trail: Path) -> None:
    calls = read_calls([trail])
    assert [(c.service, c.operation) for c in calls] == [
        ("lambda", "GetFunction"),
        ("s3", "PutObject"),
        ("lambda", "CreateFunction"),
        ("lambda", "GetFunction"),
        ("ec2", "DescribeInstances"),
        ("sqs", "SendMessage"),
        ("s3", "DeleteBucket"),
        ("ssm", "GetParameter"),
    ]
    assert calls[1].params == {"Bucket": "acme-data", "Key": "in/a.csv"}
    assert [c.denied for c in calls] == [True, False, True, True, True, True, True, True]
    session = calls[-1]
    assert session.role == DEPLOYER
    assert session.made_by(DEPLOYER)
    assert session.made_by(session.principal)
    assert len(read_calls([trail], Selection(until=_at("2026-01-31T09:06:00Z")))) == 3


def _at(text: str) -> Any:
    from bootstrap.policy.capture.files import parse_time

    return parse_time(text)


def test_an_operation_that_cannot_be_mapped_is_reported_never_guessed(trail: Path, tmp_path: Path) -> None:
    odd = _event("2026-01-31T09:30:00Z", "lambda.amazonaws.com", "FrobnicateWidgets", _user(CI), {})
    (tmp_path / "odd.json").write_text(json.dumps({"Records": [odd]}))
    run = invoke("policy", "from-cloudtrail", str(trail), str(tmp_path / "odd.json"), "--principal", CI)
    assert run.returncode == 1
    assert "unmapped: lambda:FrobnicateWidgets at 2026-01-31T09:30:00Z (odd.json#1): no IAM action" in run.stderr
    assert "lambda:FrobnicateWidgets" not in run.stdout  # the policy, still printed, leaves it out
    assert json.loads(run.stdout)["Statement"]


def test_unreadable_input_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"eventName": "x"}\nnot json\n')
    run = invoke("policy", "generate", "--from", str(tmp_path / "bad.jsonl"))
    assert run.returncode == 2
    assert "bad.jsonl:2: not a JSON record" in run.stderr
    nothing = invoke("policy", "from-cloudtrail", str(tmp_path / "missing"))
    assert nothing.returncode == 2
    assert "no such file or directory" in nothing.stderr
    bad_time = invoke("policy", "from-cloudtrail", str(tmp_path / "bad.jsonl"), "--since", "yesterday")
    assert bad_time.returncode == 2
    assert "--since 'yesterday': not an ISO 8601 time" in bad_time.stderr
