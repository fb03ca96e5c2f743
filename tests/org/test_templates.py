"""The rendered templates: the same bytes every time, read back into the same organisation, each role's trust
naming exactly the people the file grants it, and (for the example organisation) clean under cfn-lint."""

from __future__ import annotations

import string
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from bootstrap.org import check, cloudformation, load, state, yamltext
from bootstrap.org.model import Organisation, Person
from bootstrap.org.users_file import Settings

ROOT = Path(__file__).resolve().parents[2]


def example() -> Organisation:
    return load.load(load.Sources(ROOT / "CONST.inc.example", ROOT / "users.yaml.example"))


@pytest.fixture(scope="session")
def linted() -> list[check.Finding]:
    """cfn-lint over the example organisation's templates, once (it takes seconds to start)."""
    org = example()
    templates = cloudformation.render_all(org)
    return check.lint(templates, org.region)


def test_the_example_templates_pass_cfn_lint(linted: list[check.Finding]) -> None:
    assert linted == []


def test_cfn_lint_does_find_a_broken_template() -> None:
    # The same call on a template IAM would refuse: the lint is not a no-op.
    org = example()
    text = cloudformation.render(state.desired(org)["DEV"]).replace(
        "MaxSessionDuration: 43200", "MaxSessionDuration: 99"
    )
    found = check.lint({"roles-dev.yaml": text}, org.region)
    assert any(f.level == "error" and f.where.startswith("roles-dev.yaml:") for f in found)


def test_rendering_twice_gives_the_same_bytes_whatever_the_file_order() -> None:
    org = example()
    shuffled = replace(org, people=tuple(reversed(org.people)))
    assert cloudformation.render_all(org) == cloudformation.render_all(shuffled)
    assert list(cloudformation.render_all(org)) == ["users-account.yaml", "roles-dev.yaml", "roles-prod.yaml"]


def test_templates_read_back_into_the_same_states() -> None:
    org = example()
    for env, wanted in state.desired(org).items():
        back = cloudformation.parse(cloudformation.render(wanted), env)
        assert replace(back, account_name=wanted.account_name) == wanted


def test_the_dev_template_says_what_a_reviewer_looks_for() -> None:
    text = cloudformation.render(state.desired(example())["DEV"])
    assert "RoleName: infra-AdminR-1R5T9WQ3Z8XA\n" in text
    assert "MaxSessionDuration: 43200\n" in text
    assert "                - arn:aws:iam::210987654321:user/alice\n" in text
    assert '                aws:MultiFactorAuthPresent: "true"\n' in text


names = st.text(alphabet=string.ascii_lowercase + string.digits + "+=,.@_-", min_size=1, max_size=20)
KINDS = ("ADMIN", "OPS", "READ")
grants = st.dictionaries(st.sampled_from(("DEV", "PROD")), st.sets(st.sampled_from(KINDS), min_size=1), max_size=2)
people = st.dictionaries(names, st.tuples(grants, st.booleans()), max_size=12).filter(
    lambda found: len({n.lower() for n in found}) == len(found)
)


@given(people)
def test_each_role_trusts_exactly_the_people_the_file_grants_it(found: dict[str, Any]) -> None:
    org = replace(
        example(),
        people=tuple(
            Person(name, {env: tuple(sorted(k)) for env, k in g.items()}, power) for name, (g, power) in found.items()
        ),
    )
    states = state.desired(org)
    for account in org.accounts:
        rendered = cloudformation.parse(cloudformation.render(states[account.env]), account.env)
        for role in rendered.roles:
            granted = {name for name, (g, _) in found.items() if role.kind in g.get(account.env, ())}
            assert set(role.trusted_users(org.users_account_id)) == granted
            condition = role.trust.document["Statement"][0]["Condition"]["Bool"]
            assert condition == {"aws:MultiFactorAuthPresent": "true"}
    users = states["USERS"]
    assert set(users.group(org.groups.assume_role).members) == set(found)  # type: ignore[union-attr]
    assert set(users.group(org.groups.power).members) == {n for n, (_, p) in found.items() if p}  # type: ignore[union-attr]


scalars = st.one_of(st.text(max_size=30), st.integers(), st.booleans())
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(min_size=1, max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(min_size=1, max_size=10), trees, min_size=1, max_size=5))
def test_yaml_text_reads_back_as_the_same_data(data: dict[str, Any]) -> None:
    assert YAML(typ="safe", pure=True).load(yamltext.dump(data)) == data


def test_group_granted_roles_trust_the_users_account_and_their_group_says_who() -> None:
    org = example()
    org = replace(org, settings=Settings(granted_by_group=(("PROD", "READ"),)))
    states = state.desired(org)
    role = states["PROD"].role("infra-ReadR-7H2M4PL6C0VB")
    assert role is not None
    assert role.trusts_account(org.users_account_id)
    assert role.tags == (("aws-iam-bootstrap:granted-by", "group"),)
    group = states["USERS"].group("infra-PROD-ReadRG-4N8J2K6D1S3F")
    assert group is not None
    assert group.members == ("alice", "bob")
    assert state.access(states, org.users_account_id)["alice"] == {("DEV", "ADMIN"), ("PROD", "READ")}
    assume = states["USERS"].group(org.groups.assume_role)
    assert assume is not None
    condition = assume.policies[0].document["Statement"][0]["Condition"]
    assert condition["StringNotEquals"] == {"aws:ResourceTag/aws-iam-bootstrap:granted-by": "group"}
