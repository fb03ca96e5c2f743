"""The issue's scripted workload, run against the sandbox twice over: through boto3 in this process, and through the
real aws CLI as a shell script (for ``policy record``). Under one name prefix it creates and uses an S3 bucket, a
Lambda function with its role, an SQS queue, an SSM parameter and a log group, lists log groups (an action
without resource types), then removes it all, so it can run again under the same names.

Also: ``admin``, a principal allowed everything (the workload's identity while it is recorded), and
``ADMIN_POLICY``.
"""

from __future__ import annotations

import io
import json
import shlex
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bootstrap.credentials import Credentials

if TYPE_CHECKING:
    from bootstrap.sandbox import Sandbox

ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}

# Every action the workload needs, as IAM names them (what the generated policy must hold, no more).
ACTIONS = (
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:PassRole",
    "lambda:CreateFunction",
    "lambda:DeleteFunction",
    "lambda:GetFunction",
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DeleteLogGroup",
    "logs:DescribeLogGroups",
    "logs:PutLogEvents",
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:DeleteObject",
    "s3:GetObject",
    "s3:ListBucket",
    "s3:PutObject",
    "sqs:CreateQueue",
    "sqs:DeleteQueue",
    "sqs:ReceiveMessage",
    "sqs:SendMessage",
    "ssm:DeleteParameter",
    "ssm:GetParameter",
    "ssm:PutParameter",
)
SECRET_VALUE = "Wl-parameter-value-never-recorded-7d1"  # the SSM parameter's value: must appear in no record


@dataclass(frozen=True)
class Admin:
    arn: str
    key: Credentials


def admin(sandbox: Sandbox, account: str | None = None) -> Admin:
    """A fresh user allowed everything (by one inline policy) in ``account`` (default: the users account)."""
    from bootstrap.sandbox import backend

    account = account or sandbox.users_account_id
    name = f"workload-admin-{uuid.uuid4().hex[:8]}"
    arn = backend.create_user(account, name, ())
    backend.put_user_policy(account, name, "everything", ADMIN_POLICY)
    return Admin(arn, Credentials(*backend.create_access_key(account, name)))


def new_prefix() -> str:
    return f"wl{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Names:
    prefix: str

    @property
    def bucket(self) -> str:
        return f"{self.prefix}-data"

    @property
    def role(self) -> str:
        return f"{self.prefix}-fn-role"

    @property
    def function(self) -> str:
        return f"{self.prefix}-fn"

    @property
    def queue(self) -> str:
        return f"{self.prefix}-jobs"

    @property
    def parameter(self) -> str:
        return f"/{self.prefix}/db-url"

    @property
    def log_group(self) -> str:
        return f"/{self.prefix}/app"


def function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


def run_boto3(sandbox: Sandbox, key: Credentials, prefix: str) -> Names:
    """The workload through boto3, as ``key``."""
    names = Names(prefix)
    s3, iam, lam = sandbox.client("s3", key), sandbox.client("iam", key), sandbox.client("lambda", key)
    sqs, ssm, logs = sandbox.client("sqs", key), sandbox.client("ssm", key), sandbox.client("logs", key)
    s3.create_bucket(Bucket=names.bucket, CreateBucketConfiguration={"LocationConstraint": sandbox.region})
    s3.put_object(Bucket=names.bucket, Key="reports/today.txt", Body=b"report")
    s3.get_object(Bucket=names.bucket, Key="reports/today.txt")["Body"].read()
    s3.list_objects_v2(Bucket=names.bucket)
    role = iam.create_role(RoleName=names.role, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    lam.create_function(
        FunctionName=names.function,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": function_zip()},
    )
    lam.get_function(FunctionName=names.function)
    url = sqs.create_queue(QueueName=names.queue)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="job 1")
    sqs.receive_message(QueueUrl=url)
    ssm.put_parameter(Name=names.parameter, Value=SECRET_VALUE, Type="String")
    ssm.get_parameter(Name=names.parameter)
    logs.create_log_group(logGroupName=names.log_group)
    logs.create_log_stream(logGroupName=names.log_group, logStreamName="run-1")
    event = {"timestamp": int(time.time() * 1000), "message": "started"}
    logs.put_log_events(logGroupName=names.log_group, logStreamName="run-1", logEvents=[event])
    logs.describe_log_groups(logGroupNamePrefix=f"/{prefix}")
    logs.delete_log_group(logGroupName=names.log_group)
    ssm.delete_parameter(Name=names.parameter)
    sqs.delete_queue(QueueUrl=url)
    lam.delete_function(FunctionName=names.function)
    iam.delete_role(RoleName=names.role)
    s3.delete_object(Bucket=names.bucket, Key="reports/today.txt")
    s3.delete_bucket(Bucket=names.bucket)
    return names


def aws_cli_script(sandbox: Sandbox, prefix: str, work: Path) -> str:
    """The same workload as a bash script of real ``aws`` CLI commands (files it needs written into ``work``).

    awscli v1 sends SQS to its own endpoint whatever AWS_ENDPOINT_URL says, so SQS commands name the endpoint."""
    names = Names(prefix)
    (work / "trust.json").write_text(json.dumps(LAMBDA_TRUST))
    (work / "fn.zip").write_bytes(function_zip())
    (work / "report.txt").write_text("report")
    q = shlex.quote
    bucket, region, sqs = q(names.bucket), q(sandbox.region), f"sqs --endpoint-url {q(sandbox.endpoint_url)}"
    events = q(json.dumps([{"timestamp": int(time.time() * 1000), "message": "started"}]))
    lines = [
        "set -euo pipefail",
        f"cd {q(str(work))}",
        f"aws s3api create-bucket --bucket {bucket} --create-bucket-configuration LocationConstraint={region}",
        f"aws s3api put-object --bucket {bucket} --key reports/today.txt --body report.txt",
        f"aws s3api get-object --bucket {bucket} --key reports/today.txt downloaded.txt",
        f"aws s3api list-objects-v2 --bucket {bucket}",
        f"role=$(aws iam create-role --role-name {q(names.role)} --assume-role-policy-document file://trust.json"
        " --query Role.Arn --output text)",
        f'aws lambda create-function --function-name {q(names.function)} --runtime python3.12 --role "$role"'
        " --handler index.handler --zip-file fileb://fn.zip",
        f"aws lambda get-function --function-name {q(names.function)}",
        f"url=$(aws {sqs} create-queue --queue-name {q(names.queue)} --query QueueUrl --output text)",
        f"aws {sqs} send-message --queue-url \"$url\" --message-body 'job 1'",
        f'aws {sqs} receive-message --queue-url "$url"',
        f"aws ssm put-parameter --name {q(names.parameter)} --value {q(SECRET_VALUE)} --type String",
        f"aws ssm get-parameter --name {q(names.parameter)}",
        f"aws logs create-log-group --log-group-name {q(names.log_group)}",
        f"aws logs create-log-stream --log-group-name {q(names.log_group)} --log-stream-name run-1",
        f"aws logs put-log-events --log-group-name {q(names.log_group)} --log-stream-name run-1 --log-events {events}",
        f"aws logs describe-log-groups --log-group-name-prefix {q('/' + prefix)}",
        f"aws logs delete-log-group --log-group-name {q(names.log_group)}",
        f"aws ssm delete-parameter --name {q(names.parameter)}",
        f'aws {sqs} delete-queue --queue-url "$url"',
        f"aws lambda delete-function --function-name {q(names.function)}",
        f"aws iam delete-role --role-name {q(names.role)}",
        f"aws s3api delete-object --bucket {bucket} --key reports/today.txt",
        f"aws s3api delete-bucket --bucket {bucket}",
    ]
    return "\n".join(lines) + "\n"


def cli_environ(sandbox: Sandbox, key: Credentials, base: dict[str, str], bin_dir: Path) -> dict[str, str]:
    """An environment for the aws CLI: the sandbox's endpoint and region, ``key``, no ambient AWS identity."""
    env = {k: v for k, v in base.items() if not k.startswith("AWS_")}
    env.update(sandbox.environ())
    env.update(
        {
            "AWS_ACCESS_KEY_ID": key.access_key_id,
            "AWS_SECRET_ACCESS_KEY": key.secret_access_key,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_PAGER": "",
            "PATH": f"{bin_dir}:{base.get('PATH', '')}",
        }
    )
    return env


def normalised(document: dict[str, Any], prefix: str) -> str:
    """A policy's text with the run's prefix replaced, to compare two runs under different prefixes."""
    return json.dumps(document, sort_keys=True).replace(prefix, "PREFIX")
