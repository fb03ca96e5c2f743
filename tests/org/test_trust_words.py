"""`trust show`'s words: who may assume a role, by users.yaml's and CONST.inc's names, with its conditions."""

from __future__ import annotations

from pathlib import Path

from bootstrap.org import trust_words
from tests.org.test_pipelines_file import organisation

GITHUB = "arn:aws:iam::456789012345:oidc-provider/token.actions.githubusercontent.com"


def test_every_kind_of_principal_said_in_words_grouped(tmp_path: Path) -> None:
    org = organisation(tmp_path)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {
                    "AWS": [
                        "arn:aws:iam::210987654321:user/alice",
                        "arn:aws:iam::210987654321:user/pipeline-deploy-web",
                        "arn:aws:iam::210987654321:user/mallory",
                        "345678901234",
                        "arn:aws:iam::999999999999:role/ci",
                    ]
                },
                "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            },
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
            {
                "Effect": "Allow",
                "Principal": {"Federated": GITHUB},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                    "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/api:*"},
                },
            },
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:TagSession"},
        ],
    }
    said = [(w.group, w.text) for w in trust_words.describe(trust, org)]
    assert said == [
        ("humans", "alice (with MFA)"),
        ("humans", "mallory (user of the users account example-users (210987654321), not in users.yaml) (with MFA)"),
        ("pipelines", "pipeline deploy-web (user pipeline-deploy-web, with its key) (with MFA)"),
        ("accounts", "any identity of DEV's account example-dev (345678901234) that its own policies allow (with MFA)"),
        ("roles", "sessions of role ci of account 999999999999 (with MFA)"),
        ("services", "the AWS service lambda.amazonaws.com"),
        ("identity providers", "GitHub Actions of acme/api (any branch, tag, environment or pull request)"),
    ]


def test_anyone_is_said_loudly() -> None:
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    assert [(w.group, w.text) for w in trust_words.describe(trust)] == [("anyone", "ANYONE, in any AWS account")]
