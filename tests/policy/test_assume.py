"""Trusts evaluated locally: every principal a trust names, the upper bound that no condition can hide, and web
identity tokens judged by their claims."""

from __future__ import annotations

from bootstrap.policy import assume
from bootstrap.policy.evaluate import Principal

USER = "arn:aws:iam::111111111111:user/pipeline-x"
PROVIDER = "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"
SUB = "token.actions.githubusercontent.com:sub"
AUD = "token.actions.githubusercontent.com:aud"


def _trust(*statements: dict[str, object]) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_a_trust_naming_one_user_lets_in_that_user_only() -> None:
    trust = _trust({"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole"})
    assert assume.allows(trust, Principal(USER, "111111111111"))
    assert not assume.allows(trust, Principal("arn:aws:iam::111111111111:user/other", "111111111111"))
    assert not assume.allows(trust, Principal("arn:aws:iam::111111111111:root", "111111111111"))
    assert not assume.allows(trust, Principal(service="lambda.amazonaws.com"))


def test_the_upper_bound_ignores_conditions_the_exact_evaluation_does_not() -> None:
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    trust = _trust({"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole", "Condition": mfa})
    who = Principal(USER, "111111111111")
    assert assume.allows(trust, who)  # someone with MFA could
    assert not assume.allows(trust, who, upper=False, context={"aws:PrincipalType": "User"})  # a key alone cannot


def test_principals_lists_everyone_named_including_not_principal_as_anyone() -> None:
    trust = _trust(
        {
            "Effect": "Allow",
            "Principal": {"AWS": [USER, "333333333333"], "Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        },
        {"Effect": "Allow", "NotPrincipal": {"AWS": USER}, "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"},
    )
    named = [(n.kind, n.value) for n in assume.principals(trust)]
    assert named == [("aws", USER), ("aws", "333333333333"), ("service", "ec2.amazonaws.com"), ("anyone", "*")]


def test_a_statement_mixing_a_provider_and_a_user_still_lets_the_user_in_the_upper_bound() -> None:
    # The evaluator refuses a whole statement naming a federated principal (it fails closed); a proof that someone
    # else cannot get in must still see the user there.
    trust = _trust({"Effect": "Allow", "Principal": {"AWS": USER, "Federated": PROVIDER}, "Action": "sts:AssumeRole"})
    assert assume.allows(trust, Principal(USER, "111111111111"))


def test_web_identity_tokens_are_judged_by_their_claims() -> None:
    statement: dict[str, object] = {
        "Effect": "Allow",
        "Principal": {"Federated": PROVIDER},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {AUD: "sts.amazonaws.com", SUB: "repo:acme/api:ref:refs/heads/main"}},
    }
    trust = _trust(statement)
    good = {AUD: "sts.amazonaws.com", SUB: "repo:acme/api:ref:refs/heads/main"}
    assert assume.web_identity_allows(trust, PROVIDER, good)
    assert not assume.web_identity_allows(trust, PROVIDER, {**good, SUB: "repo:acme/api:ref:refs/heads/dev"})
    assert not assume.web_identity_allows(trust, PROVIDER, {**good, AUD: "other"})
    assert not assume.web_identity_allows(trust, PROVIDER, {AUD: "sts.amazonaws.com"})
    assert not assume.web_identity_allows(trust, PROVIDER.replace("222222222222", "999999999999"), good)
    denied = _trust(statement, {"Effect": "Deny", "Principal": "*", "Action": "sts:*"})
    assert not assume.web_identity_allows(denied, PROVIDER, good)
