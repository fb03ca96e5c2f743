"""`pipeline check` against the accounts: the pipeline's IAM read as it is deployed (what the three pure proofs
judge, so a policy edited by hand is judged too), and the fourth proof, made with real calls: out-of-scope calls
with the user's key and with its role's session are refused with AWS's own codes, a session longer than the
role's ``MaxSessionDuration`` is refused, and the users account's administrator, who may do anything, is still
refused the role.

The user's key: the administrator running the check does not hold the pipeline's secret (it went to the CI), so
the check makes a probe key for the user, uses it and deletes it, all within the run (the user is tagged with the
probe key's id meanwhile, so a check interrupted half-way is cleaned up by the next one). A user that already has
two keys (a rotation under way) leaves no room for one: the live proof then says so and does not hold.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from bootstrap import limits
from bootstrap.aws import clients, codes
from bootstrap.aws.errors import calling
from bootstrap.clock import Clock, SystemClock
from bootstrap.credentials import Credentials
from bootstrap.errors import AwsError
from bootstrap.org import pipelines
from bootstrap.org.accounts import Access
from bootstrap.org.model import USERS_ENV, Organisation
from bootstrap.org.pipeline_proof import Documents, Line, Proof
from bootstrap.org.pipelines import Pipeline
from bootstrap.policy import grants
from bootstrap.policy.grants import Labelled

PROBE_TAG: Final = "aws-iam-bootstrap:probe-key"
SESSION_NAME: Final = "aws-iam-bootstrap-check"
# Refusals as each protocol words them (SNS says AuthorizationError).
REFUSED: Final = codes.ACCESS_DENIED | {"AuthorizationError"}


@dataclass(frozen=True)
class Call:
    """A call that needs no resource to exist: (service, boto3 method, IAM action)."""

    service: str
    method: str
    action: str


# One per protocol first (query, rest-xml, ec2, json, rest-json, SNS's own refusal), so each way AWS words a
# refusal is seen; then more, for a role allowed some of the first.
OUT_OF_SCOPE: Final = (
    Call("iam", "list_users", "iam:ListUsers"),
    Call("s3", "list_buckets", "s3:ListAllMyBuckets"),
    Call("ec2", "describe_instances", "ec2:DescribeInstances"),
    Call("dynamodb", "list_tables", "dynamodb:ListTables"),
    Call("lambda", "list_functions", "lambda:ListFunctions"),
    Call("sns", "list_topics", "sns:ListTopics"),
    Call("sqs", "list_queues", "sqs:ListQueues"),
    Call("kms", "list_keys", "kms:ListKeys"),
    Call("logs", "describe_log_groups", "logs:DescribeLogGroups"),
    Call("cloudformation", "list_stacks", "cloudformation:ListStacks"),
)
PROBES: Final = 6  # calls per credentials: enough to see every protocol's refusal, few enough to stay quick


# --- reading ---------------------------------------------------------------------------------------------------------


def _pages(client: Any, method: str, key: str, **params: Any) -> list[Any]:
    with calling("iam:" + "".join(part.capitalize() for part in method.split("_"))):
        return [item for page in client.get_paginator(method).paginate(**params) for item in page[key]]


def _managed(iam: Any, arn: str) -> Mapping[str, Any]:
    with calling("iam:GetPolicy"):
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    with calling("iam:GetPolicyVersion"):
        document: Mapping[str, Any] = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"][
            "Document"
        ]
    return document


def _exists(action: str, call: Any) -> bool:
    try:
        with calling(action):
            call()
    except AwsError as exc:
        if exc.code in codes.NOT_FOUND:
            return False
        raise
    return True


def read(org: Organisation, pipeline: Pipeline, users_iam: Any, role_iam: Any) -> Documents:
    """The pipeline's IAM as deployed: its user's effective policies (inline, attached, its groups'), its role."""
    name = pipeline.user_name
    policies: list[Labelled] = []
    groups: list[str] = []
    console = False
    user_exists = _exists("iam:GetUser", lambda: users_iam.get_user(UserName=name))
    if user_exists:
        for policy in _pages(users_iam, "list_user_policies", "PolicyNames", UserName=name):
            with calling("iam:GetUserPolicy"):
                document = users_iam.get_user_policy(UserName=name, PolicyName=policy)["PolicyDocument"]
            policies.append(Labelled(f"inline policy {policy}", document))
        for attached in _pages(users_iam, "list_attached_user_policies", "AttachedPolicies", UserName=name):
            arn = attached["PolicyArn"]
            policies.append(Labelled(f"managed policy {arn}", _managed(users_iam, arn)))
        for group in _pages(users_iam, "list_groups_for_user", "Groups", UserName=name):
            group_name = group["GroupName"]
            groups.append(group_name)
            for policy in _pages(users_iam, "list_group_policies", "PolicyNames", GroupName=group_name):
                with calling("iam:GetGroupPolicy"):
                    doc = users_iam.get_group_policy(GroupName=group_name, PolicyName=policy)["PolicyDocument"]
                policies.append(Labelled(f"group {group_name}'s policy {policy}", doc))
            for attached in _pages(users_iam, "list_attached_group_policies", "AttachedPolicies", GroupName=group_name):
                arn = attached["PolicyArn"]
                policies.append(Labelled(f"group {group_name}'s managed policy {arn}", _managed(users_iam, arn)))
        console = _exists("iam:GetLoginProfile", lambda: users_iam.get_login_profile(UserName=name))
    try:
        with calling("iam:GetRole"):
            role = role_iam.get_role(RoleName=pipeline.role_name)["Role"]
    except AwsError as exc:
        if exc.code not in codes.NOT_FOUND:
            raise
        return Documents(user_exists, tuple(policies), tuple(groups), console, {}, (), 0, role_exists=False)
    role_policies: list[Labelled] = []
    for policy in _pages(role_iam, "list_role_policies", "PolicyNames", RoleName=pipeline.role_name):
        with calling("iam:GetRolePolicy"):
            document = role_iam.get_role_policy(RoleName=pipeline.role_name, PolicyName=policy)["PolicyDocument"]
        role_policies.append(Labelled(f"inline policy {policy}", document))
    for attached in _pages(role_iam, "list_attached_role_policies", "AttachedPolicies", RoleName=pipeline.role_name):
        arn = attached["PolicyArn"]
        role_policies.append(Labelled(f"managed policy {arn}", _managed(role_iam, arn)))
    return Documents(
        user_exists,
        tuple(policies),
        tuple(groups),
        console,
        role["AssumeRolePolicyDocument"],
        tuple(role_policies),
        int(role.get("MaxSessionDuration", 3600)),
    )


# --- the probe key ---------------------------------------------------------------------------------------------------


def clean_probe_keys(iam: Any, user: str) -> list[str]:
    """Delete a probe key an interrupted check left (named by the user's tag); the ids deleted."""
    with calling("iam:ListUserTags"):
        tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=user)["Tags"]}
    left = tags.get(PROBE_TAG)
    if left is None:
        return []
    with contextlib.suppress(AwsError), calling("iam:DeleteAccessKey"):
        iam.delete_access_key(UserName=user, AccessKeyId=left)
    with calling("iam:UntagUser"):
        iam.untag_user(UserName=user, TagKeys=[PROBE_TAG])
    return [left]


@contextlib.contextmanager
def probe_key(iam: Any, user: str, clock: Clock) -> Iterator[Credentials | None]:
    """A key of ``user`` for the check's own calls, deleted afterwards; None when the user has two keys already."""
    from bootstrap.aws import iam as key_calls

    clean_probe_keys(iam, user)
    with calling("iam:ListAccessKeys"):
        if len(iam.list_access_keys(UserName=user)["AccessKeyMetadata"]) >= limits.MAX_KEYS:
            yield None
            return
    with calling("iam:CreateAccessKey"):
        made = iam.create_access_key(UserName=user)["AccessKey"]
    key = Credentials(str(made["AccessKeyId"]), str(made["SecretAccessKey"]))
    try:
        with calling("iam:TagUser"):
            iam.tag_user(UserName=user, Tags=[{"Key": PROBE_TAG, "Value": key.access_key_id}])
        key_calls.wait_until_works(key, clock)
        yield key
    finally:
        with calling("iam:DeleteAccessKey"):
            iam.delete_access_key(UserName=user, AccessKeyId=key.access_key_id)
        with calling("iam:UntagUser"):
            iam.untag_user(UserName=user, TagKeys=[PROBE_TAG])


# --- the live proof --------------------------------------------------------------------------------------------------


def _refused(label: str, call: Any) -> Line:
    """``call`` must be refused with an access-denied code of AWS's."""
    try:
        call()
    except AwsError as exc:
        if exc.code in REFUSED:
            return Line(True, f"{label}: refused ({exc.code})")
        return Line(False, f"{label}: failed with {exc.code or 'an error'}, not a refusal")
    return Line(False, f"{label}: ALLOWED")


def _try(credentials: Credentials, region: str, call: Call) -> Any:
    def run() -> Any:
        with calling(call.action):
            return getattr(clients.client(call.service, credentials, region=region), call.method)()

    return run


def _assume(credentials: Credentials, region: str, role_arn: str, duration: int) -> Credentials:
    from bootstrap.aws import sts

    return sts.assume_role(credentials, role_arn, session_name=SESSION_NAME, duration=duration, region=region)


def live(
    org: Organisation,
    pipeline: Pipeline,
    access: Mapping[str, Access],
    found: Documents,
    *,
    clock: Clock | None = None,
) -> Proof:
    """The fourth proof, on the accounts (see the module docstring)."""
    region = org.region
    role_arn = org.pipeline_role_arn(pipeline)
    title = "on the accounts: out-of-scope calls refused, long sessions refused"
    lines: list[Line] = []
    if not found.role_exists:
        return Proof("live", title, (Line(False, f"role {pipeline.role_name} does not exist in {pipeline.env}"),))
    lines.append(
        Line(
            found.max_session == pipeline.max_session,
            f"MaxSessionDuration {found.max_session} s"
            + ("" if found.max_session == pipeline.max_session else f", but users.yaml says {pipeline.max_session} s"),
        )
    )
    admin = access[USERS_ENV]

    def admin_assumes() -> None:
        with calling("sts:AssumeRole"):
            admin.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=SESSION_NAME, DurationSeconds=900)

    lines.append(
        _refused(f"the users account's administrator ({admin.caller or admin.label}) assuming it", admin_assumes)
    )
    if pipeline.github is not None:
        lines += _provider(access[pipeline.env].client("iam"), org.account(pipeline.env).id)
        return Proof("live", title, tuple(lines))
    if not found.user_exists:
        return Proof("live", title, (*lines, Line(False, f"user {pipeline.user_name} does not exist")))
    role_allows = {g.action.lower() for g in grants.grants(found.role_policies)}
    with probe_key(admin.client("iam"), pipeline.user_name, clock or SystemClock()) as key:
        if key is None:
            lines.append(
                Line(False, f"{pipeline.user_name} has two keys (a rotation under way?): no room for a probe key")
            )
            return Proof("live", title, tuple(lines))
        for call in OUT_OF_SCOPE[:PROBES]:
            lines.append(_refused(f"{call.action} with the user's key", _try(key, region, call)))
        infra = next(iter(org.account(pipeline.env).roles.items()), None)
        if infra is not None:  # a role the user must not reach: the account's first infra role (ADMIN, usually)
            kind, name = infra
            other = org.account(pipeline.env).role_arn(kind)
            label = f"assuming {pipeline.env}'s {kind} role {name} with the user's key"
            lines.append(_refused(label, lambda: _assume(key, region, other, limits.ROLE_MIN)))
        try:
            session = _assume(key, region, role_arn, limits.ROLE_MIN)
        except AwsError as exc:
            lines.append(Line(False, f"assuming its role with the user's key: refused ({exc.code})"))
            return Proof("live", title, tuple(lines))
        lines.append(Line(True, f"assuming its role with the user's key: a {limits.ROLE_MIN} s session"))
        tried = [call for call in OUT_OF_SCOPE if call.action.lower() not in role_allows][:PROBES]
        for call in tried:
            lines.append(_refused(f"{call.action} with the role's session", _try(session, region, call)))
        if not tried:
            lines.append(Line(True, "the role may make every probe call: none is out of its scope"))
        longer = pipeline.max_session + 900
        lines.append(_too_long(key, region, role_arn, longer))
    return Proof("live", title, tuple(lines))


def _too_long(key: Credentials, region: str, role_arn: str, duration: int) -> Line:
    label = f"a {duration} s session (longer than users.yaml's MaxSessionDuration)"
    try:
        _assume(key, region, role_arn, duration)
    except AwsError as exc:
        if exc.code == "ValidationError":
            return Line(True, f"{label}: refused ({exc.code})")
        return Line(False, f"{label}: failed with {exc.code}, not the refusal expected")
    return Line(False, f"{label}: GRANTED")


def _provider(iam: Any, account_id: str) -> list[Line]:
    arn = pipelines.github_provider_arn(account_id)
    try:
        with calling("iam:GetOpenIDConnectProvider"):
            found = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    except AwsError as exc:
        if exc.code in codes.NOT_FOUND:
            return [Line(False, f"no OIDC identity provider {pipelines.GITHUB_HOST} in the account")]
        raise
    audiences = sorted(map(str, found.get("ClientIDList", [])))
    ok = audiences == [pipelines.GITHUB_AUDIENCE]
    return [Line(ok, f"OIDC identity provider {pipelines.GITHUB_HOST}, audience {', '.join(audiences) or 'none'}")]
