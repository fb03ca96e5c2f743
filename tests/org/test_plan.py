"""`org plan`'s words, as a platform team reads them before anything changes (golden: any change of wording is
a change a reader sees)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bootstrap.org import load, plan, state, workflow
from bootstrap.org.model import Organisation, Person
from tests.support.cli import invoke

ROOT = Path(__file__).resolve().parents[2]


def example() -> Organisation:
    return load.load(load.Sources(ROOT / "CONST.inc.example", ROOT / "users.yaml.example"))


def people_of(before: Organisation, after: Organisation) -> tuple[str, ...]:
    return plan.make(state.desired(before), state.desired(after), before.users_account_id).people


def test_people_s_terms_for_a_join_a_move_a_leave_and_a_promotion() -> None:
    before = example()
    after = replace(
        before,
        people=(
            Person("alice", {"DEV": ("ADMIN", "OPS"), "PROD": ("READ",)}),
            Person("bob", {"DEV": ("ADMIN", "OPS", "READ"), "PROD": ("READ",)}, power=False),
            Person("carol", {"DEV": ("READ",), "PROD": ("READ",)}, power=True),
        ),
    )
    assert people_of(before, after) == (
        "alice gains OPS on DEV (full IAM in that account: can grant themselves more)",
        "bob loses OPS on PROD (full IAM in that account: can grant themselves more); leaves infra-PowerG-4N8J2K6D1S3F",
        "carol is new: READ on DEV, READ on PROD; joins infra-PowerG-4N8J2K6D1S3F (full IAM in the users account "
        "without a role: can grant themselves anything)",
    )
    departed = replace(before, people=(before.people[1],))
    assert people_of(before, departed) == ("alice leaves: loses ADMIN on DEV, READ on PROD",)
    assert people_of(before, before) == ()


def test_offline_plan_against_the_last_render(tmp_path: Path) -> None:
    org = example()
    workflow.render(org, tmp_path)
    assert workflow.plan_offline(org, tmp_path).plan.empty
    grown = org.with_person(Person("carol", {"PROD": ("READ",)}))
    planned = workflow.plan_offline(grown, tmp_path).plan
    assert planned.people == ("carol is new: READ on PROD",)
    assert planned.changed == ("USERS", "PROD")
    (_name, diff), *_ = [d for d in planned.diffs if d[0] == "roles-prod.yaml"]
    assert "+                - arn:aws:iam::210987654321:user/carol\n" in diff
    assert diff.startswith("--- a/roles-prod.yaml\n+++ b/roles-prod.yaml\n")


def test_org_plan_offline_prints_people_first_then_the_diff(tmp_path: Path) -> None:
    for name in ("CONST.inc.example", "users.yaml.example"):
        (tmp_path / name.removesuffix(".example")).write_text((ROOT / name).read_text())
    assert invoke("org", "render", cwd=tmp_path).returncode == 0
    users = tmp_path / "users.yaml"
    users.write_text(users.read_text().replace("    DEV: [ADMIN]\n", "    DEV: [ADMIN, READ]\n", 1))
    run = invoke("org", "plan", "--offline", cwd=tmp_path)
    assert run.returncode == 0, run.output
    lines = run.stdout.splitlines()
    assert lines[:2] == [
        f"Plan against {tmp_path / 'cfn' / 'infra'} (the templates last rendered there):",
        "  • alice gains READ on DEV",
    ]
    assert "--- a/roles-dev.yaml" in run.stdout
    assert run.stdout.index("alice gains") < run.stdout.index("--- a/roles-dev.yaml")
