"""OIDC identity providers are authorised against their own ARN (the provider named by its URL without https://),
so the sandbox can create GitHub's provider for a pipeline as IAM would authorise it."""

from __future__ import annotations

from bootstrap.policy.mapping import Authorization, authorize_request

ARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def test_creating_a_provider_is_authorised_against_the_arn_it_will_have() -> None:
    params = {"Url": "https://token.actions.githubusercontent.com", "ClientIDList": ["sts.amazonaws.com"]}
    found = authorize_request("iam", "CreateOpenIDConnectProvider", params, "123456789012", "us-east-1")
    assert found == (Authorization("iam:CreateOpenIDConnectProvider", ARN),)


def test_reading_a_provider_is_authorised_against_its_arn() -> None:
    params = {"OpenIDConnectProviderArn": ARN}
    found = authorize_request("iam", "GetOpenIDConnectProvider", params, "123456789012", "us-east-1")
    assert found == (Authorization("iam:GetOpenIDConnectProvider", ARN),)
