"""The trust merge of `trust add-service`/`remove-service`: seed 003's edit exactly, a string becoming a list, no
duplicate, every other principal, statement and condition kept, idempotent; a property test over generated trusts;
and a role left to no one refused."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bootstrap.org import documents, trust_edit
from bootstrap.org.trust_edit import RefusedEdit
from bootstrap.policy import assume

LAMBDA, APIGW = "lambda.amazonaws.com", "apigateway.amazonaws.com"
# Seed 003's "Before" and "After", as its authors wrote them.
BEFORE: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": LAMBDA}, "Action": "sts:AssumeRole"}],
}
AFTER: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": [APIGW, LAMBDA]}, "Action": "sts:AssumeRole"}],
}


def test_seed_003s_edit_gives_seed_003s_after() -> None:
    assert trust_edit.add_services(BEFORE, [APIGW]) == AFTER
    assert BEFORE["Statement"][0]["Principal"] == {"Service": LAMBDA}  # the input is left as it was


def test_adding_again_changes_nothing_and_a_duplicate_is_never_written() -> None:
    assert trust_edit.add_services(AFTER, [APIGW]) == AFTER
    assert trust_edit.add_services(BEFORE, [APIGW, APIGW, LAMBDA]) == AFTER
    assert trust_edit.diff(AFTER, trust_edit.add_services(AFTER, [APIGW]), "r") == ""


def test_removing_gives_the_string_back() -> None:
    assert trust_edit.remove_services(AFTER, [APIGW]) == BEFORE


def test_every_other_principal_statement_and_condition_is_kept() -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "People",
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::1:user/a", "arn:aws:iam::1:user/b"]},
                "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            },
            {
                "Sid": "Lambda",
                "Effect": "Allow",
                "Principal": {"Service": LAMBDA, "AWS": "arn:aws:iam::1:role/x"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            },
            {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::1:user/c"}, "Action": "sts:AssumeRole"},
        ],
    }
    added = trust_edit.add_services(trust, [APIGW])
    statements = added["Statement"]
    assert statements[0] == trust["Statement"][0]
    assert statements[1]["Principal"] == {"Service": [APIGW, LAMBDA], "AWS": "arn:aws:iam::1:role/x"}
    assert statements[1]["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert statements[2] == trust["Statement"][2]
    removed = trust_edit.remove_services(added, [APIGW, LAMBDA])
    assert removed["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::1:role/x"}  # the statement stays: x is in it


def test_a_conditioned_service_statement_is_never_widened() -> None:
    conditioned = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": LAMBDA},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
            }
        ],
    }
    added = trust_edit.add_services(conditioned, [APIGW])
    assert added["Statement"][0] == conditioned["Statement"][0]
    assert added["Statement"][1] == {"Effect": "Allow", "Principal": {"Service": APIGW}, "Action": "sts:AssumeRole"}


def test_a_lone_statement_object_stays_one_when_it_can() -> None:
    lone = {"Version": "2012-10-17", "Statement": copy.deepcopy(BEFORE["Statement"][0])}
    assert trust_edit.add_services(lone, [APIGW])["Statement"] == AFTER["Statement"][0]


def test_an_edit_leaving_the_role_to_no_one_is_refused() -> None:
    with pytest.raises(RefusedEdit, match="would leave the role assumable by no one"):
        trust_edit.remove_services(AFTER, [APIGW, LAMBDA])
    with pytest.raises(RefusedEdit):
        trust_edit.remove_services(BEFORE, [LAMBDA])


# --- the property --------------------------------------------------------------------------------------------------

SERVICES = st.sampled_from(
    [LAMBDA, APIGW, "ec2.amazonaws.com", "states.amazonaws.com", "events.amazonaws.com", "ecs-tasks.amazonaws.com"]
)
USERS = st.sampled_from([f"arn:aws:iam::111111111111:user/u{n}" for n in range(4)] + ["222222222222"])


def _one_or_many(items: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.one_of(items, st.lists(items, min_size=1, max_size=3, unique=True))


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    principal: dict[str, Any] = {}
    if draw(st.booleans()):
        principal["AWS"] = draw(_one_or_many(USERS))
    if draw(st.booleans()) or not principal:
        principal["Service"] = draw(_one_or_many(SERVICES))
    statement: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])),
        "Principal": principal,
        "Action": draw(st.sampled_from(["sts:AssumeRole", ["sts:AssumeRole", "sts:TagSession"], "sts:TagSession"])),
    }
    if draw(st.booleans()):
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": draw(st.sampled_from(["1", "2"]))}}
    if draw(st.booleans()):
        statement["Sid"] = draw(st.sampled_from(["A", "B"]))
    return statement


trusts = st.builds(lambda s: {"Version": "2012-10-17", "Statement": s}, st.lists(statements(), min_size=1, max_size=4))


def _named(trust: dict[str, Any], kinds: tuple[str, ...]) -> list[tuple[str, str, tuple[str, ...]]]:
    """Every (kind, value, conditions) the trust's Allow statements name for ``kinds``, with multiplicity."""
    return sorted((n.kind, n.value, tuple(map(str, n.conditions))) for n in assume.principals(trust) if n.kind in kinds)


@settings(max_examples=200, deadline=None)
@given(trusts, st.lists(SERVICES, min_size=1, max_size=3))
def test_adding_services_keeps_everything_else_and_is_idempotent(trust: dict[str, Any], added: list[str]) -> None:
    after = trust_edit.add_services(trust, added)
    # every service asked for may now assume the role (the evaluator says so, not only the text)
    assert set(added) <= trust_edit.allowed_services(after)
    # idempotent
    assert trust_edit.add_services(after, added) == after
    # no other principal lost or gained, with its conditions
    assert _named(after, ("aws", "anyone", "federated")) == _named(trust, ("aws", "anyone", "federated"))
    # services only gained, never lost, never twice in one statement
    before_services = _named(trust, ("service",))
    after_services = _named(after, ("service",))
    assert all(after_services.count(s) >= before_services.count(s) for s in before_services)
    for statement in after["Statement"]:
        listed = statement["Principal"].get("Service", [])
        assert isinstance(listed, str) or len(listed) == len(set(listed))
    # Deny statements and every condition untouched
    assert [s for s in after["Statement"] if s["Effect"] == "Deny"] == [
        s for s in trust["Statement"] if s["Effect"] == "Deny"
    ]
    conditions = [s.get("Condition") for s in trust["Statement"] if s.get("Condition")]
    assert [s.get("Condition") for s in after["Statement"] if s.get("Condition")] == conditions


@settings(max_examples=200, deadline=None)
@given(trusts, SERVICES)
def test_removing_a_service_just_added_means_the_same_document_again(trust: dict[str, Any], service: str) -> None:
    if service in trust_edit.allowed_services(trust):
        return  # already there: adding it changed nothing, removing it would change the original
    after = trust_edit.add_services(trust, [service])
    try:
        back = trust_edit.remove_services(after, [service])
    except RefusedEdit:
        # only when the original let no one assume the role
        assert not any(a.lower().startswith("sts:assumerole") for n in assume.principals(trust) for a in n.actions)
        return
    assert documents.canonical(back) == documents.canonical(trust)
