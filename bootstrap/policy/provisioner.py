"""A provisioning role, with the least *permissions* rather than the least managed policies: a role whose
trust names individual users (MFA required: the organisation's own trust document, ``org.documents``) and whose
one managed policy is a least-privilege document (generated from a recording, ideally ``--prefix`` scoped for a
shared account), rendered as CloudFormation YAML and as Terraform JSON.

Terraform's JSON syntax reads every string as a template, so the policy documents are JSON strings with ``${``
and ``%{`` escaped (``$${``, ``%%{``): a policy variable such as ``${aws:username}`` reaches IAM as written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bootstrap import arns
from bootstrap.errors import InputError
from bootstrap.org.documents import trust_document
from bootstrap.policy import document

DESCRIPTION = "Least-privilege provisioning role (aws-iam-bootstrap policy provisioner)"


@dataclass(frozen=True)
class Provisioner:
    role_name: str
    trust: Mapping[str, Any] = field(repr=False)
    policy: Mapping[str, Any] = field(repr=False)
    max_session: int = 3600

    @property
    def resource_name(self) -> str:
        """The role's name as a Terraform resource label (``MinProvisioner`` -> ``min_provisioner``)."""
        snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", self.role_name)
        return re.sub(r"[^A-Za-z0-9_]", "_", snake).lower().strip("_") or "provisioner"


def build(
    policy: Mapping[str, Any], trusted: Sequence[str], *, role_name: str = "MinProvisioner", max_session: int = 3600
) -> Provisioner:
    """The provisioning role trusting exactly the ``trusted`` user ARNs (with MFA), holding ``policy``."""
    if not trusted:
        raise InputError("name at least one user the role trusts: --trust arn:aws:iam::ACCOUNT:user/NAME")
    for arn in trusted:
        parsed = arns.parse(arn)
        if parsed is None or parsed.kind != "user" or not arns.ACCOUNT_ID.fullmatch(parsed.account):
            raise InputError(f"--trust {arn!r}: give an IAM user's ARN (arn:aws:iam::123456789012:user/NAME)")
    if not arns.IAM_NAME.fullmatch(role_name):
        raise InputError(f"--role-name {role_name!r} is not a valid IAM role name")
    if not 3600 <= max_session <= 43200:
        raise InputError("--max-session must be between 3600 and 43200 seconds")
    document.statements(policy)
    return Provisioner(role_name, trust_document(trusted), dict(policy), max_session)


def cloudformation(role: Provisioner) -> str:
    """A CloudFormation template (YAML): the role and its managed policy, and the role's ARN as an output."""
    import yaml

    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": DESCRIPTION,
        "Resources": {
            "ProvisionerRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": role.role_name,
                    "Description": DESCRIPTION,
                    "MaxSessionDuration": role.max_session,
                    "AssumeRolePolicyDocument": role.trust,
                },
            },
            "ProvisionerPolicy": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "ManagedPolicyName": role.role_name,
                    "Description": DESCRIPTION,
                    "PolicyDocument": role.policy,
                    "Roles": [{"Ref": "ProvisionerRole"}],
                },
            },
        },
        "Outputs": {"RoleArn": {"Value": {"Fn::GetAtt": ["ProvisionerRole", "Arn"]}}},
    }
    # plain dicts and lists only: json round trip drops the Mapping types yaml cannot represent
    text: str = yaml.safe_dump(json.loads(json.dumps(template)), sort_keys=False, width=120)
    return text


def _literal(value: Mapping[str, Any]) -> str:
    """A document as a Terraform JSON string: JSON text with template sequences escaped."""
    return json.dumps(value, separators=(",", ":")).replace("${", "$${").replace("%{", "%%{")


def terraform(role: Provisioner) -> str:
    """A Terraform configuration in JSON syntax (``*.tf.json``): the role, its policy and the attachment."""
    name = role.resource_name
    config = {
        "//": f"{DESCRIPTION}. The trust names each user; assuming the role needs MFA.",
        "resource": {
            "aws_iam_role": {
                name: {
                    "name": role.role_name,
                    "description": DESCRIPTION,
                    "max_session_duration": role.max_session,
                    "assume_role_policy": _literal(role.trust),
                }
            },
            "aws_iam_policy": {
                name: {"name": role.role_name, "description": DESCRIPTION, "policy": _literal(role.policy)}
            },
            "aws_iam_role_policy_attachment": {
                name: {"role": f"${{aws_iam_role.{name}.name}}", "policy_arn": f"${{aws_iam_policy.{name}.arn}}"}
            },
        },
        "output": {"role_arn": {"value": f"${{aws_iam_role.{name}.arn}}"}},
    }
    return json.dumps(config, indent=2) + "\n"
