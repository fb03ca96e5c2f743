"""Identity policies enforced for every service, through real boto3 clients against the running sandbox: each call
is allowed by the narrowest policy AWS would accept, refused without it with AWS's code, status and message, and
journaled with its action and resource.

Each test makes its own principals (plain users with one inline policy, no groups) and its own resources, set up
by an ``admin`` user allowed everything.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bootstrap.credentials import Credentials
from bootstrap.sandbox import Sandbox, backend
from tests.support.sandbox import refused

Records = Callable[[], list[dict[str, Any]]]


@dataclass(frozen=True)
class User:
    arn: str
    key: Credentials


def make_user(sandbox: Sandbox, statements: list[dict[str, Any]] | None) -> User:
    account = sandbox.users_account_id
    name = f"svc-{uuid.uuid4().hex[:12]}"
    arn = backend.create_user(account, name, ())
    if statements:
        document = {"Version": "2012-10-17", "Statement": statements}
        backend.iam(account).put_user_policy(name, "narrow", json.dumps(document))
    return User(arn, Credentials(*backend.create_access_key(account, name)))


def allow(action: str, resource: str) -> list[dict[str, Any]]:
    return [{"Effect": "Allow", "Action": action, "Resource": resource}]


@pytest.fixture(scope="module")
def admin(sandbox: Sandbox) -> User:
    return make_user(sandbox, allow("*", "*"))


@pytest.fixture
def name() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def denied_message(user: User, action: str, resource: str) -> str:
    return (
        f"User: {user.arn} is not authorized to perform: {action} on resource: {resource} because no "
        f"identity-based policy allows the {action} action"
    )


def check(
    sandbox: Sandbox,
    service: str,
    call: Callable[[Any], Any],
    action: str,
    resource: str,
    expected: tuple[str, int],
    *,
    message: str | None = None,
) -> None:
    """``call`` works for a user allowed exactly ``action`` on ``resource``, and is refused for a user without."""
    narrow = make_user(sandbox, allow(action, resource))
    call(sandbox.client(service, narrow.key))
    nobody = make_user(sandbox, allow("sts:GetCallerIdentity", "*"))
    code, status, text = refused(lambda: call(sandbox.client(service, nobody.key)))
    assert (code, status) == expected
    assert text == (message or denied_message(nobody, action, resource)).format(arn=nobody.arn)


def test_s3(sandbox: Sandbox, admin: User, name: str) -> None:
    sandbox.client("s3", admin.key).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": sandbox.region}
    )
    obj = f"arn:aws:s3:::{name}/dir/file.txt"
    message = (
        f'User: {{arn}} is not authorized to perform: s3:PutObject on resource: "{obj}" because no identity-based '
        "policy allows the s3:PutObject action"
    )
    put = lambda s3: s3.put_object(Bucket=name, Key="dir/file.txt", Body=b"hello")  # noqa: E731
    check(sandbox, "s3", put, "s3:PutObject", obj, ("AccessDenied", 403), message=message)
    listing = lambda s3: s3.list_objects_v2(Bucket=name)  # noqa: E731
    message = message.replace("s3:PutObject", "s3:ListBucket").replace(obj, f"arn:aws:s3:::{name}")
    check(sandbox, "s3", listing, "s3:ListBucket", f"arn:aws:s3:::{name}", ("AccessDenied", 403), message=message)
    reader = make_user(sandbox, allow("s3:GetObject", f"arn:aws:s3:::{name}/dir/*"))
    body = sandbox.client("s3", reader.key).get_object(Bucket=name, Key="dir/file.txt")["Body"].read()
    assert body == b"hello"
    code, status, _ = refused(lambda: sandbox.client("s3", reader.key).head_bucket(Bucket=name))
    assert (code, status) == ("403", 403)  # HEAD: no body, as AWS


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


def test_lambda(sandbox: Sandbox, admin: User, name: str) -> None:
    account = sandbox.users_account_id
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = sandbox.client("iam", admin.key).create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    role_arn = role["Role"]["Arn"]
    function = f"arn:aws:lambda:{sandbox.region}:{account}:function:{name}"

    def create(client: Any) -> None:
        client.create_function(
            FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="index.handler", Code={"ZipFile": _zip()}
        )

    creator = make_user(sandbox, allow("lambda:CreateFunction", function))  # but not iam:PassRole
    code, status, message = refused(lambda: create(sandbox.client("lambda", creator.key)))
    assert (code, status) == ("AccessDeniedException", 403)
    assert message == denied_message(creator, "iam:PassRole", role_arn)
    create(sandbox.client("lambda", admin.key))
    get = lambda client: client.get_function(FunctionName=name)  # noqa: E731
    check(sandbox, "lambda", get, "lambda:GetFunction", function, ("AccessDeniedException", 403))
    check(sandbox, "lambda", lambda c: c.list_functions(), "lambda:ListFunctions", "*", ("AccessDeniedException", 403))


def test_cloudwatch_logs(sandbox: Sandbox, name: str) -> None:
    group = f"arn:aws:logs:{sandbox.region}:{sandbox.users_account_id}:log-group:/app/{name}"
    create = lambda logs: logs.create_log_group(logGroupName=f"/app/{name}")  # noqa: E731
    check(sandbox, "logs", create, "logs:CreateLogGroup", group, ("AccessDeniedException", 400))


def test_ssm(sandbox: Sandbox, admin: User, name: str) -> None:
    sandbox.client("ssm", admin.key).put_parameter(Name=f"/app/{name}", Value="v", Type="String")
    parameter = f"arn:aws:ssm:{sandbox.region}:{sandbox.users_account_id}:parameter/app/{name}"
    get = lambda ssm: ssm.get_parameter(Name=f"/app/{name}")  # noqa: E731
    check(sandbox, "ssm", get, "ssm:GetParameter", parameter, ("AccessDeniedException", 400))


def test_kms(sandbox: Sandbox, admin: User) -> None:
    check(sandbox, "kms", lambda kms: kms.create_key(), "kms:CreateKey", "*", ("AccessDeniedException", 400))
    key = sandbox.client("kms", admin.key).create_key()["KeyMetadata"]
    describe = lambda kms: kms.describe_key(KeyId=key["KeyId"])  # noqa: E731
    check(sandbox, "kms", describe, "kms:DescribeKey", key["Arn"], ("AccessDeniedException", 400))


def test_sqs(sandbox: Sandbox, admin: User, name: str) -> None:
    url = sandbox.client("sqs", admin.key).create_queue(QueueName=name)["QueueUrl"]
    queue = f"arn:aws:sqs:{sandbox.region}:{sandbox.users_account_id}:{name}"
    send = lambda sqs: sqs.send_message(QueueUrl=url, MessageBody="arn:aws:sqs:x:1:elsewhere")  # noqa: E731
    check(sandbox, "sqs", send, "sqs:SendMessage", queue, ("AccessDenied", 403))
    batch = lambda sqs: sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "m"}])  # noqa: E731
    check(sandbox, "sqs", batch, "sqs:SendMessage", queue, ("AccessDenied", 403))


def test_sns(sandbox: Sandbox, admin: User, name: str) -> None:
    topic = sandbox.client("sns", admin.key).create_topic(Name=name)["TopicArn"]
    message = (
        f"User: {{arn}} is not authorized to perform: SNS:Publish on resource: {topic} because no identity-based "
        "policy allows the SNS:Publish action"
    )
    publish = lambda sns: sns.publish(TopicArn=topic, Message="m")  # noqa: E731
    check(sandbox, "sns", publish, "sns:Publish", topic, ("AuthorizationError", 403), message=message)


def test_dynamodb(sandbox: Sandbox, admin: User, name: str) -> None:
    sandbox.client("dynamodb", admin.key).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    table = f"arn:aws:dynamodb:{sandbox.region}:{sandbox.users_account_id}:table/{name}"
    put = lambda ddb: ddb.put_item(TableName=name, Item={"id": {"S": "1"}})  # noqa: E731
    check(sandbox, "dynamodb", put, "dynamodb:PutItem", table, ("AccessDeniedException", 400))


def test_cloudformation(sandbox: Sandbox, admin: User, name: str) -> None:
    template = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
    stack = f"arn:aws:cloudformation:{sandbox.region}:{sandbox.users_account_id}:stack/{name}/*"
    create = lambda cfn: cfn.create_stack(StackName=name, TemplateBody=template)  # noqa: E731
    check(sandbox, "cloudformation", create, "cloudformation:CreateStack", stack, ("AccessDenied", 403))
    stack_id = sandbox.client("cloudformation", admin.key).describe_stacks(StackName=name)["Stacks"][0]["StackId"]
    describe = lambda cfn: cfn.describe_stacks(StackName=name)  # noqa: E731
    check(sandbox, "cloudformation", describe, "cloudformation:DescribeStacks", stack_id, ("AccessDenied", 403))


def test_api_gateway(sandbox: Sandbox, admin: User, name: str) -> None:
    apis = f"arn:aws:apigateway:{sandbox.region}::/restapis"
    create = lambda apigw: apigw.create_rest_api(name=name)  # noqa: E731
    check(sandbox, "apigateway", create, "apigateway:POST", apis, ("AccessDeniedException", 403))
    api_id = sandbox.client("apigateway", admin.key).create_rest_api(name=name)["id"]
    get = lambda apigw: apigw.get_resources(restApiId=api_id)  # noqa: E731
    check(sandbox, "apigateway", get, "apigateway:GET", f"{apis}/{api_id}/resources", ("AccessDeniedException", 403))


def test_ec2_describes(sandbox: Sandbox) -> None:
    message = (
        "You are not authorized to perform this operation. User: {arn} is not authorized to perform: "
        "ec2:DescribeInstances because no identity-based policy allows the ec2:DescribeInstances action"
    )
    describe = lambda ec2: ec2.describe_instances()  # noqa: E731
    check(sandbox, "ec2", describe, "ec2:DescribeInstances", "*", ("UnauthorizedOperation", 403), message=message)


def test_iam(sandbox: Sandbox, admin: User, name: str) -> None:
    sandbox.client("iam", admin.key).create_group(GroupName=name)
    group = f"arn:aws:iam::{sandbox.users_account_id}:group/{name}"
    check(sandbox, "iam", lambda iam: iam.get_group(GroupName=name), "iam:GetGroup", group, ("AccessDenied", 403))


def test_sts(sandbox: Sandbox, name: str) -> None:
    dev = sandbox.accounts["DEV"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{sandbox.users_account_id}:root"}, "Action": "*"}
        ],
    }
    role = backend.iam(dev.id).create_role(
        role_name=name,
        assume_role_policy_document=json.dumps(trust),
        path="/",
        permissions_boundary=None,
        description="",
        tags=[],
        max_session_duration="3600",
    )
    assume = lambda sts: sts.assume_role(RoleArn=role.arn, RoleSessionName="session")  # noqa: E731
    message = f"User: {{arn}} is not authorized to perform: sts:AssumeRole on resource: {role.arn}"
    check(sandbox, "sts", assume, "sts:AssumeRole", str(role.arn), ("AccessDenied", 403), message=message)
    anyone = make_user(sandbox, None)
    assert sandbox.client("sts", anyone.key).get_caller_identity()["Arn"] == anyone.arn  # always allowed


def test_an_explicit_deny_wins(sandbox: Sandbox, name: str) -> None:
    statements = [
        {"Effect": "Allow", "Action": "logs:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "logs:CreateLogGroup", "Resource": "*"},
    ]
    user = make_user(sandbox, statements)
    code, status, message = refused(lambda: sandbox.client("logs", user.key).create_log_group(logGroupName=name))
    assert (code, status) == ("AccessDeniedException", 400)
    group = f"arn:aws:logs:{sandbox.region}:{sandbox.users_account_id}:log-group:{name}"
    assert message == (
        f"User: {user.arn} is not authorized to perform: logs:CreateLogGroup on resource: {group} with an explicit "
        "deny in an identity-based policy"
    )


def test_an_operation_the_mapping_cannot_map_is_refused_by_name(sandbox: Sandbox, admin: User) -> None:
    ddb = sandbox.client("dynamodb", admin.key)
    code, status, message = refused(lambda: ddb.execute_statement(Statement="SELECT * FROM t"))
    assert (code, status) == ("SandboxCannotAuthorize", 400)
    assert "dynamodb:ExecuteStatement" in message


def test_the_journal_records_each_call_with_its_action_and_resource(
    sandbox: Sandbox, admin: User, name: str, journal: Records
) -> None:
    s3 = sandbox.client("s3", admin.key)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": sandbox.region})
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    nobody = make_user(sandbox, None)
    refused(lambda: sandbox.client("s3", nobody.key).get_object(Bucket=name, Key="k"))
    records = [r for r in journal() if r["eventSource"] == "s3.amazonaws.com"]
    assert [r["eventName"] for r in records] == ["CreateBucket", "PutObject", "GetObject"]
    put, get = records[1], records[2]
    assert put["sandbox"]["authorizations"] == [
        {"action": "s3:PutObject", "resource": f"arn:aws:s3:::{name}/k", "decision": "allow"}
    ]
    assert put["requestParameters"] == {"Bucket": name, "Key": "k"}
    assert put["resources"] == [{"ARN": f"arn:aws:s3:::{name}/k", "accountId": ""}]
    assert put["userIdentity"]["arn"] == admin.arn
    assert put["userIdentity"]["type"] == "IAMUser"
    assert "errorCode" not in put
    assert get["errorCode"] == "AccessDenied"
    assert get["sandbox"]["decision"] == "refused"
    assert get["errorMessage"].startswith(f"User: {nobody.arn} is not authorized to perform: s3:GetObject")


def test_s3_sub_resources_as_boto3_names_them(sandbox: Sandbox, admin: User, name: str) -> None:
    """boto3 sends ``GET /bucket?policy`` (a bare name): read as the flag it is, and authorised as its action."""
    s3 = sandbox.client("s3", admin.key)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": sandbox.region})
    assert s3.get_bucket_acl(Bucket=name)["Grants"]
    bucket = f"arn:aws:s3:::{name}"
    action = "s3:GetBucketVersioning"
    message = (
        f'User: {{arn}} is not authorized to perform: {action} on resource: "{bucket}" because no identity-based '
        f"policy allows the {action} action"
    )
    versioning = lambda c: c.get_bucket_versioning(Bucket=name)  # noqa: E731
    check(sandbox, "s3", versioning, action, bucket, ("AccessDenied", 403), message=message)
