"""Seed 000's provisioning role: the least permissions of a recorded provisioning run, in a role whose trust names
individual users and requires MFA, as CloudFormation (checked by cfn-lint, deployed on the sandbox) and as
Terraform JSON (validated, and applied on the sandbox by the real terraform with the AWS provider from the local
mirror). The provisioning run itself is a real `terraform apply`/`destroy` pointed at the sandbox, whose journal
records Terraform's calls with their resources."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bootstrap.credentials import Credentials
from bootstrap.policy import document
from bootstrap.policy.capture.files import Selection, read_calls
from bootstrap.policy.prove import prove
from bootstrap.policy.provisioner import build, cloudformation
from bootstrap.sandbox import Sandbox, SandboxUser, backend
from tests.support import workload
from tests.support.cli import BIN, invoke, record
from tests.support.sandbox import enrol, get_session, refused

MIRROR = Path("/opt/tf-plugins")
needs_terraform = pytest.mark.skipif(
    shutil.which("terraform") is None or not MIRROR.is_dir(),
    reason="terraform and its local provider mirror (/opt/tf-plugins) are not on this machine",
)


def _journal(sandbox: Sandbox) -> Path:
    assert sandbox.layer.journal is not None
    path: Path = sandbox.layer.journal.path
    return path


def _terraform(directory: Path, sandbox: Sandbox, key: Credentials, *args: str) -> str:
    (directory / "cli.tfrc").write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{MIRROR}"\n  }}\n}}\n'
    )
    (directory / "provider.tf.json").write_text(
        json.dumps({"provider": {"aws": {"region": sandbox.region, "skip_metadata_api_check": True}}})
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update(
        {
            "AWS_ENDPOINT_URL": sandbox.endpoint_url,
            "AWS_ACCESS_KEY_ID": key.access_key_id,
            "AWS_SECRET_ACCESS_KEY": key.secret_access_key,
            "AWS_EC2_METADATA_DISABLED": "true",
            "TF_CLI_CONFIG_FILE": str(directory / "cli.tfrc"),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
        }
    )
    done = subprocess.run(
        ["terraform", *args, "-input=false", "-no-color"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    record(done.stdout + done.stderr)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def _mfa_session(sandbox: Sandbox, user: SandboxUser) -> Credentials:
    return get_session(sandbox, user, enrol(sandbox, user))


@needs_terraform
@pytest.mark.slow
def test_a_terraform_provisioning_run_gives_a_proven_role_terraform_can_deploy(
    sandbox: Sandbox, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    admin = workload.admin(sandbox)
    prefix = f"psoxy-{workload.new_prefix()}"
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "main.tf.json").write_text(
        json.dumps(
            {
                "resource": {
                    "aws_s3_bucket": {"data": {"bucket": f"{prefix}-data"}},
                    "aws_ssm_parameter": {"config": {"name": f"/{prefix}/config", "type": "String", "value": "v"}},
                    "aws_cloudwatch_log_group": {"app": {"name": f"/{prefix}/app", "retention_in_days": 7}},
                }
            }
        )
    )
    _terraform(infra, sandbox, admin.key, "init", "-backend=false")
    _terraform(infra, sandbox, admin.key, "apply", "-auto-approve")
    _terraform(infra, sandbox, admin.key, "destroy", "-auto-approve")
    calls = read_calls([_journal(sandbox)], Selection(principal=admin.arn))
    assert {c.operation for c in calls} >= {"CreateBucket", "GetBucketAcl", "PutParameter", "CreateLogGroup"}

    out = tmp_path / "role"
    args = ["--from", str(_journal(sandbox)), "--principal", admin.arn, "--prefix", prefix, "--trust", fresh_user.arn]
    run = invoke("policy", "provisioner", *args, "--role-name", f"{prefix}-provisioner", "--out-dir", str(out))
    assert run.returncode == 0, run.output
    template = yaml.safe_load((out / f"{prefix}-provisioner.cfn.yaml").read_text())
    policy = template["Resources"]["ProvisionerPolicy"]["Properties"]["PolicyDocument"]
    proof = prove(sandbox, policy, calls, prefix=prefix)
    assert proof.ok, (proof.refused, proof.idle, proof.leaks, proof.skipped)
    assert len(proof.ablations) > 20  # Terraform reads every bucket setting

    # the Terraform half, applied by terraform itself: the role exists, trusts the user with MFA, holds the policy
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    shutil.copy(out / f"{prefix}-provisioner.tf.json", deploy)
    _terraform(deploy, sandbox, admin.key, "init", "-backend=false")
    shown = _terraform(deploy, sandbox, admin.key, "apply", "-auto-approve")
    role_arn = f"arn:aws:iam::{sandbox.users_account_id}:role/{prefix}-provisioner"
    assert f'role_arn = "{role_arn}"' in shown
    assert backend.role_policies(sandbox.users_account_id, role_arn) == [policy]
    code, _, _ = refused(
        lambda: sandbox.client("sts", fresh_user.one_time_key).assume_role(RoleArn=role_arn, RoleSessionName="no-mfa")
    )
    assert code == "AccessDenied"  # no MFA
    session = _mfa_session(sandbox, fresh_user)
    sandbox.client("sts", session).assume_role(RoleArn=role_arn, RoleSessionName="provisioning")


@pytest.mark.slow
def test_the_cloudformation_template_passes_cfn_lint_and_deploys_on_the_sandbox(
    sandbox: Sandbox, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    admin = workload.admin(sandbox)
    prefix = workload.new_prefix()
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "S3Bucket", "Effect": "Allow", "Action": ["s3:CreateBucket"], "Resource": f"arn:aws:s3:::{prefix}*"}
        ],
    }
    role_name = f"{prefix}-provisioner"
    text = cloudformation(build(policy, [fresh_user.arn], role_name=role_name))
    path = tmp_path / "role.cfn.yaml"
    path.write_text(text)
    linted = subprocess.run([str(BIN / "cfn-lint"), str(path)], capture_output=True, text=True, check=False)
    assert linted.returncode == 0, linted.stdout + linted.stderr

    cfn = sandbox.client("cloudformation", admin.key)
    cfn.create_stack(StackName=f"{prefix}-stack", TemplateBody=text)
    role_arn = f"arn:aws:iam::{sandbox.users_account_id}:role/{role_name}"
    trust = backend.trust_policy(backend.role(sandbox.users_account_id, role_arn))
    assert trust["Statement"][0]["Principal"] == {"AWS": [fresh_user.arn]}
    assert trust["Statement"][0]["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
    session = _mfa_session(sandbox, fresh_user)
    got = sandbox.client("sts", session).assume_role(RoleArn=role_arn, RoleSessionName="provisioning")["Credentials"]
    as_role = Credentials(got["AccessKeyId"], got["SecretAccessKey"], got["SessionToken"])
    s3 = sandbox.client("s3", as_role)
    where = {"LocationConstraint": sandbox.region}
    s3.create_bucket(Bucket=f"{prefix}-mine", CreateBucketConfiguration=where)
    code, _, _ = refused(lambda: s3.create_bucket(Bucket=f"other-{prefix}", CreateBucketConfiguration=where))
    assert code == "AccessDenied"


def test_terraform_strings_keep_policy_variables_literal() -> None:
    from bootstrap.policy.provisioner import terraform

    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${aws:username}/*"}],
    }
    config: dict[str, Any] = json.loads(terraform(build(policy, ["arn:aws:iam::123456789012:user/erik"])))
    text = config["resource"]["aws_iam_policy"]["min_provisioner"]["policy"]
    assert "home/$${aws:username}/*" in text  # Terraform reads $${ as a literal ${
    attachment = config["resource"]["aws_iam_role_policy_attachment"]["min_provisioner"]
    assert attachment == {
        "role": "${aws_iam_role.min_provisioner.name}",
        "policy_arn": "${aws_iam_policy.min_provisioner.arn}",
    }


def test_dry_run_writes_nothing_and_the_trust_must_name_users(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(
        document.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}],
            }
        )
    )
    user = "arn:aws:iam::123456789012:user/erik"
    run = invoke(
        "policy", "provisioner", "--policy", str(policy), "--trust", user, "--out-dir", str(tmp_path / "o"), "--dry-run"
    )
    assert run.returncode == 0
    assert f"# {tmp_path / 'o' / 'MinProvisioner.cfn.yaml'}" in run.stdout
    assert "AWS::IAM::ManagedPolicy" in run.stdout
    assert not (tmp_path / "o").exists()
    bad = invoke("policy", "provisioner", "--policy", str(policy), "--trust", "arn:aws:iam::123456789012:role/ops")
    assert bad.returncode == 2
    assert "give an IAM user's ARN" in bad.stderr
    neither = invoke("policy", "provisioner", "--trust", user)
    assert neither.returncode == 2
    assert "--policy FILE, or --from a recording" in neither.stderr
