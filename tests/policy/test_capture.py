"""Capture outside the sandbox's journal: botocore's real client-side monitoring datagrams (actions only, and never
the session token botocore puts in its per-attempt datagrams), and the SDK hook `policy record` loads into Python
workloads (resources too, never a parameter's value, and the interpreter's own sitecustomize still run)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from bootstrap.credentials import Credentials
from bootstrap.policy.capture.calls import RecordedCall
from bootstrap.policy.capture.csm import Listener, parse
from bootstrap.policy.capture.files import from_record
from bootstrap.policy.capture.record import records, run
from bootstrap.policy.generate import generate
from bootstrap.sandbox import Sandbox, backend
from tests.support import workload
from tests.support.cli import record
from tests.support.sandbox import refused

SECRET = "Csm-test-parameter-value-never-sent-0x5e"


def test_csm_datagrams_from_real_botocore_give_actions_without_resources(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = workload.admin(sandbox)
    # temporary credentials: botocore's per-attempt datagrams then carry the session token
    got = sandbox.client("sts", admin.key).get_session_token(DurationSeconds=900)["Credentials"]
    temporary = Credentials(got["AccessKeyId"], got["SecretAccessKey"], got["SessionToken"])
    nobody_name = f"csm-nobody-{os.getpid()}"
    backend.create_user(sandbox.users_account_id, nobody_name, ())
    nobody = Credentials(*backend.create_access_key(sandbox.users_account_id, nobody_name))
    prefix = workload.new_prefix()
    with Listener() as listener:
        for name, value in listener.environ(sdk_hook=False).items():
            monkeypatch.setenv(name, value)

        def client(service: str, key: Credentials) -> Any:
            # botocore reads AWS_CSM_* when a session is made
            session: Any = boto3.Session(
                aws_access_key_id=key.access_key_id,
                aws_secret_access_key=key.secret_access_key,
                aws_session_token=key.session_token,
                region_name=sandbox.region,
            )
            return session.client(service, endpoint_url=sandbox.endpoint_url)

        ssm, logs = client("ssm", temporary), client("logs", temporary)
        ssm.put_parameter(Name=f"/{prefix}/db", Value=SECRET, Type="String")
        logs.describe_log_groups()
        code, _, _ = refused(lambda: client("sqs", nobody).list_queues())
        listener.settle()
        datagrams = listener.datagrams
        assert listener.ignored >= 3  # the attempts, dropped unread
    assert [(d.via, d.service, d.operation, d.region, d.status, d.error) for d in datagrams] == [
        ("csm", "SSM", "PutParameter", sandbox.region, 200, None),
        ("csm", "CloudWatch Logs", "DescribeLogGroups", sandbox.region, 200, None),
        ("csm", "SQS", "ListQueues", sandbox.region, 403, code),
    ]
    lines = records(datagrams, account=sandbox.users_account_id, principal=admin.arn)
    text = json.dumps(lines)
    record(text)
    assert temporary.session_token is not None
    assert temporary.session_token not in text
    assert SECRET not in text
    assert prefix not in text
    assert [line["capture"] for line in lines] == [
        {"via": "csm", "service": "ssm", "httpStatus": 200},
        {"via": "csm", "service": "logs", "httpStatus": 200},
        {"via": "csm", "service": "sqs", "httpStatus": 403},
    ]
    generated = generate(run_calls(lines))
    assert generated.document["Statement"] == [
        {
            "Sid": "LogsSqsSsmAny",
            "Effect": "Allow",
            "Action": ["logs:DescribeLogGroups", "sqs:ListQueues", "ssm:PutParameter"],
            "Resource": "*",
        }
    ]
    assert generated.notes == ("ssm:PutParameter: granted on * because CSM records actions only, never resources",)


def run_calls(lines: list[dict[str, Any]]) -> list[RecordedCall]:
    return [c for c in (from_record(line) for line in lines) if c is not None]


def test_csm_attempt_datagrams_and_garbage_are_not_calls() -> None:
    attempt = {"Version": 1, "Type": "ApiCallAttempt", "Service": "S3", "Api": "ListBuckets", "SessionToken": "t"}
    assert parse(json.dumps(attempt).encode()) is None
    assert parse(b"not json") is None
    assert parse(b"[1, 2]") is None


def test_the_sdk_hook_records_resources_and_runs_the_existing_sitecustomize(sandbox: Sandbox, tmp_path: Path) -> None:
    admin = workload.admin(sandbox)
    prefix = workload.new_prefix()
    site = tmp_path / "site"
    site.mkdir()
    mark = tmp_path / "mark"
    (site / "sitecustomize.py").write_text(
        "import os, pathlib\npathlib.Path(os.environ['WORKLOAD_MARK']).write_text('ran')\n"
    )
    script = tmp_path / "workload.py"
    script.write_text(
        "import boto3\n"
        f"ssm = boto3.client('ssm')\n"
        f"ssm.put_parameter(Name='/{prefix}/db', Value='{SECRET}', Type='String', Overwrite=True)\n"
        f"ssm.get_parameter(Name='/{prefix}/db')\n"
        "boto3.client('s3').list_buckets()\n"
    )
    env = workload.cli_environ(sandbox, admin.key, dict(os.environ), Path(sys.executable).parent)
    env.update({"PYTHONPATH": str(site), "WORKLOAD_MARK": str(mark)})
    recording = run([sys.executable, str(script)], account=sandbox.users_account_id, principal=admin.arn, environ=env)
    assert recording.returncode == 0
    assert mark.read_text() == "ran"
    text = json.dumps(recording.records)
    record(text)
    assert SECRET not in text
    assert [(r["capture"]["via"], r["eventName"], r["requestParameters"]) for r in recording.records] == [
        ("sdk", "PutParameter", {"Name": f"/{prefix}/db"}),
        ("sdk", "GetParameter", {"Name": f"/{prefix}/db"}),
        ("sdk", "ListBuckets", {}),
    ]
    assert recording.actions_only == 0  # CSM saw the same three calls: kept once, with their resources
    parameter = f"arn:aws:ssm:{sandbox.region}:{sandbox.users_account_id}:parameter/{prefix}/db"
    statements = generate(recording.calls).document["Statement"]
    assert statements == [
        {
            "Sid": "SsmParameter",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:PutParameter"],
            "Resource": parameter,
        },
        {"Sid": "S3Any", "Effect": "Allow", "Action": ["s3:ListAllMyBuckets"], "Resource": "*"},
    ]


def test_without_the_hook_a_python_workload_gives_actions_only(sandbox: Sandbox, tmp_path: Path) -> None:
    admin = workload.admin(sandbox)
    env = workload.cli_environ(sandbox, admin.key, dict(os.environ), Path(sys.executable).parent)
    script = "import boto3; boto3.client('s3').list_buckets(); boto3.client('sqs').list_queues()"
    recording = run(
        [sys.executable, "-c", script],
        account=sandbox.users_account_id,
        principal=admin.arn,
        environ=env,
        sdk_hook=False,
    )
    assert recording.actions_only == 2
    assert [(r["capture"]["via"], r["eventName"]) for r in recording.records] == [
        ("csm", "ListBuckets"),
        ("csm", "ListQueues"),
    ]
