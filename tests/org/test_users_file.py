"""users.yaml as a platform team writes it: every mistake named by file and line, and the tool's edits keeping
the file's comments and order."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.errors import InputError
from bootstrap.org import load, users_file
from bootstrap.org.users_file import Editor
from bootstrap.team.const import load_const

ROOT = Path(__file__).resolve().parents[2]


def organisation(text: str) -> object:
    return load.organisation(load_const(ROOT / "CONST.inc.example"), users_file.parse(text, "users.yaml"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "users:\n  alice:\n    QA: [ADMIN]\n",
            "users.yaml:3: alice: no environment 'QA' in CONST.inc (known: DEV, PROD)",
        ),
        ("users:\n  alice:\n    DEV: [SUPER]\n", "users.yaml:3: alice: SUPER is not a role kind the organisation"),
        ("users:\n  alice:\n    DEV: [ADMIN, ADMIN]\n", "users.yaml:3: alice: DEV: ADMIN is listed twice"),
        ("users:\n  alice:\n    USERS: [ADMIN]\n", "users.yaml:3: alice: USERS is the users-only account"),
        ("users:\n  al ice:\n    DEV: [ADMIN]\n", "users.yaml:2: 'al ice' is not a name IAM accepts for a user"),
        ("users:\n  alice: {}\n  alice: {}\n", "users.yaml:3: a key is given twice"),
        ("users:\n  alice: {}\n  Alice: {}\n", "users.yaml:3: 'Alice' and 'alice' are the same user to IAM"),
        ("users:\n  alice:\n    dev: [ADMIN]\n", "users.yaml:3: alice: unknown key 'dev'"),
        ("users:\n  alice:\n    power: yes\n", "users.yaml:3: alice: power must be true or false, not 'yes'"),
        ("people:\n  alice: {}\n", "users.yaml:1: unknown section 'people' (known: users, settings, pipelines"),
        ("users:\n  alice:\n    DEV: [ADMIN\n", "users.yaml:4:"),
        ("users: {}\nsettings:\n  trust_policy_quota: 9000\n", "users.yaml:3: trust_policy_quota must be a whole"),
        ("users: {}\nsettings:\n  granted_by_group: [DEV-READ]\n", "users.yaml:3: granted_by_group: 'DEV-READ'"),
        ("users: {}\nsettings:\n  granted_by_group: [QA:READ]\n", "users.yaml:3: settings: no environment 'QA'"),
    ],
)
def test_each_mistake_is_named_by_file_and_line(text: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        organisation(text)
    assert str(raised.value).startswith(message), str(raised.value)


def test_a_kind_the_environment_lacks_names_the_missing_const_key(tmp_path: Path) -> None:
    const = (ROOT / "CONST.inc.example").read_text().replace("PROD_IAM_OPS_ROLE=infra-OpsR-7H2M4PL6C0VB\n", "")
    (tmp_path / "CONST.inc").write_text(const)
    (tmp_path / "users.yaml").write_text("users:\n  bob:\n    PROD: [OPS]\n")
    with pytest.raises(
        InputError, match=r"users.yaml:3: bob: PROD has no OPS role in CONST.inc \(no PROD_IAM_OPS_ROLE"
    ):
        load.load(load.Sources(tmp_path / "CONST.inc", tmp_path / "users.yaml"))


def test_const_without_the_group_suffix_says_which_line_to_add(tmp_path: Path) -> None:
    const = (ROOT / "CONST.inc.example").read_text().replace("USERS_IAM_GROUP_SUFFIX=4N8J2K6D1S3F\n", "")
    (tmp_path / "CONST.inc").write_text(const)
    (tmp_path / "users.yaml").write_text("users: {}\n")
    with pytest.raises(InputError, match=r"no USERS_IAM_GROUP_SUFFIX.*add a line such as USERS_IAM_GROUP_SUFFIX="):
        load.load(load.Sources(tmp_path / "CONST.inc", tmp_path / "users.yaml"))


def test_other_sections_can_be_registered_by_later_features(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(users_file.SECTIONS, "pipelines", lambda value, at: dict(value))
    read = users_file.parse("users: {}\npipelines:\n  deployer: {}\n")
    assert read.sections == {"pipelines": {"deployer": {}}}


EDITED = """\
# Who may assume what.
users:
    alice:            # the new engineer
        DEV: [ADMIN]
        PROD: [READ]
    # bob runs the platform
    bob:
        DEV: [ADMIN, OPS, READ]
        power: true
settings:
    trust_policy_quota: 4096   # raised in every account
"""


def test_edits_keep_comments_order_and_indentation() -> None:
    editor = Editor(EDITED)
    editor.add_user("carol", {"DEV": ("READ",)})
    editor.set_grants("bob", "PROD", ("READ",))
    editor.set_grants("alice", "DEV", ("ADMIN", "OPS"))
    editor.set_grants("alice", "PROD", ())
    text = editor.text()
    assert text == (
        "# Who may assume what.\n"
        "users:\n"
        "    alice:            # the new engineer\n"
        "        DEV: [ADMIN, OPS]\n"
        "    # bob runs the platform\n"
        "    bob:\n"
        "        DEV: [ADMIN, OPS, READ]\n"
        "        PROD: [READ]\n"
        "        power: true\n"
        "    carol:\n"
        "        DEV: [READ]\n"
        "settings:\n"
        "    trust_policy_quota: 4096   # raised in every account\n"
    )
    assert editor.check().user("carol") is not None


def test_removing_a_user_leaves_the_others_untouched() -> None:
    editor = Editor(EDITED)
    editor.remove_user("alice")
    text = editor.text()
    assert "alice" not in text
    assert "    # bob runs the platform\n    bob:\n" in text
    assert text.startswith("# Who may assume what.\nusers:\n")


def test_the_example_file_is_the_sandbox_organisation() -> None:
    org = load.load(load.Sources(ROOT / "CONST.inc.example", ROOT / "users.yaml.example"))
    assert {p.name: (dict(p.grants), p.power) for p in org.people} == {
        "alice": ({"DEV": ("ADMIN",), "PROD": ("READ",)}, False),
        "bob": ({"DEV": ("ADMIN", "OPS", "READ"), "PROD": ("OPS", "READ")}, True),
    }
