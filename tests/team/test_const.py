"""CONST.inc is read as data: what a team writes there becomes exactly these values, accounts and roles."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bootstrap.errors import InputError
from bootstrap.team.const import Account, Role, load_const, parse_const
from tests.support.depth import examples

FIXTURES = Path(__file__).parents[1] / "fixtures" / "seed001"
ROOT = Path(__file__).resolve().parents[2]


def test_seed_001_const_gives_its_account_and_read_role() -> None:
    variables = load_const(FIXTURES / "CONST.inc")
    assert variables.region == "eu-west-1"
    assert variables.accounts == (
        Account(
            env="DEV",
            id="123456789012",
            name="myawsaccount",
            roles=(
                Role(
                    env="DEV",
                    kind="READ",
                    name="infra-ReadR-1234567890",
                    account_id="123456789012",
                    account_name="myawsaccount",
                ),
            ),
        ),
    )
    role = variables.roles[0]
    assert role.arn == "arn:aws:iam::123456789012:role/infra-ReadR-1234567890"
    assert role.profile_suffix == "read"
    assert role.profile == "myawsaccount_read"


def test_seed_001_ten_digit_account_id_is_refused_naming_key_and_line() -> None:
    path = FIXTURES / "CONST.original.inc"
    with pytest.raises(InputError) as caught:
        load_const(path)
    message = caught.value.format_message()
    assert f"{path}:2:" in message
    assert "DEV_AWS_ACCOUNT_ID" in message
    assert "12 digits" in message


def test_example_const_describes_users_dev_and_prod() -> None:
    variables = load_const(ROOT / "CONST.inc.example")
    assert [(a.env, a.id, a.name) for a in variables.accounts] == [
        ("USERS", "210987654321", "example-users"),
        ("DEV", "345678901234", "example-dev"),
        ("PROD", "456789012345", "example-prod"),
    ]
    assert [r.profile for r in variables.roles] == [
        "example-dev_admin",
        "example-dev_ops",
        "example-dev_read",
        "example-prod_admin",
        "example-prod_ops",
        "example-prod_read",
    ]
    assert variables.accounts[0].roles == ()
    assert variables.accounts[2].is_prod


def test_comments_export_quotes_and_earlier_references() -> None:
    text = (
        "# a comment\n"
        "\n"
        "export BASE=infra\n"
        'QUOTED="a value # not a comment"\n'
        "ROLE=${BASE}-ReadR  # trailing comment\n"
        "LITERAL='${BASE}'\n"
        "DEFAULTED=${NOPE:-fallback}\n"
    )
    values = parse_const(text).values
    assert values == {
        "BASE": "infra",
        "QUOTED": "a value # not a comment",
        "ROLE": "infra-ReadR",
        "LITERAL": "${BASE}",  # single quotes are literal, as in bash
        "DEFAULTED": "fallback",
    }


def test_reference_to_a_later_key_is_refused_with_its_line() -> None:
    with pytest.raises(InputError, match=r"CONST.inc:2: \$\{LATER\} refers to a name not set on an earlier line"):
        parse_const("A=1\nB=${LATER}\nLATER=2\n", source=Path("CONST.inc"))


def test_the_process_environment_is_never_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME_OF_SECRETS", "leaked")
    with pytest.raises(InputError, match="HOME_OF_SECRETS"):
        parse_const("A=${HOME_OF_SECRETS}\n")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("A=1\n\n\nNOT A BINDING\n", 4),
        ('A=1\nB="unterminated\n', 2),
        ("A=1\n=value\n", 2),
        ("A=1\nJUSTAKEY\n", 2),
    ],
)
def test_syntax_error_names_file_and_line(text: str, line: int) -> None:
    with pytest.raises(InputError, match=rf"^CONST.inc:{line}: "):
        parse_const(text, source=Path("CONST.inc"))


@pytest.mark.parametrize("name", ["AWS_USER", "AWS_ACCOUNT_NAME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
def test_names_the_tool_supplies_cannot_be_set_in_const(name: str) -> None:
    with pytest.raises(InputError, match=rf"CONST.inc:2: {name} is supplied by the tool"):
        parse_const(f"A=1\n{name}=mine\n", source=Path("CONST.inc"))


@pytest.mark.parametrize("value", ['"a\\nb"', '"a\\rb"', '"line one\nline two"'])
def test_value_with_newline_or_cr_is_refused(value: str) -> None:
    with pytest.raises(InputError, match="newline, carriage return or NUL"):
        parse_const(f"A={value}\n")


def test_value_with_nul_is_refused() -> None:
    with pytest.raises(InputError, match="newline, carriage return or NUL"):
        parse_const("A=a\x00b\n")


def test_set_override_with_newline_is_refused() -> None:
    with pytest.raises(InputError, match=r"--set A: .*newline"):
        parse_const("A=1\n", overrides={"A": "x\n[profile evil]"})


def test_set_overrides_replace_the_value_and_later_references_see_it() -> None:
    variables = parse_const(
        "DEV_AWS_ACCOUNT_ID=123456789012\nDEV_AWS_ACCOUNT_NAME=dev\nCOPY=${DEV_AWS_ACCOUNT_ID}\nDEV_IAM_READ_ROLE=r\n",
        overrides={"DEV_AWS_ACCOUNT_ID": "999999999999", "NEW": "x"},
    )
    assert variables.values["COPY"] == "999999999999"
    assert variables.values["NEW"] == "x"
    assert variables.roles[0].arn == "arn:aws:iam::999999999999:role/r"


def test_set_of_a_supplied_name_points_at_its_flag() -> None:
    with pytest.raises(InputError, match="pass --user"):
        parse_const("A=1\n", overrides={"AWS_USER": "bob"})


@pytest.mark.parametrize("region", ["eu-west", "EU-WEST-1", "eu_west_1", "eu-west-1 ", "europe"])
def test_malformed_region_is_refused(region: str) -> None:
    with pytest.raises(InputError, match=r"CONST.inc:1: GLOBAL_AWS_REGION=.* is not an AWS region"):
        parse_const(f"GLOBAL_AWS_REGION='{region}'\n", source=Path("CONST.inc"))


@pytest.mark.parametrize("region", ["eu-west-1", "us-gov-west-1", "cn-north-1", "ap-southeast-4", "il-central-1"])
def test_real_regions_are_accepted(region: str) -> None:
    assert parse_const(f"GLOBAL_AWS_REGION={region}\n").region == region


def test_malformed_role_name_is_refused() -> None:
    with pytest.raises(InputError, match=r"DEV_IAM_READ_ROLE=.* is not an IAM role name"):
        parse_const("DEV_AWS_ACCOUNT_ID=123456789012\nDEV_AWS_ACCOUNT_NAME=dev\nDEV_IAM_READ_ROLE=has space\n")


def test_role_without_account_is_refused() -> None:
    with pytest.raises(InputError, match="QA_IAM_READ_ROLE names a role in an account with no QA_AWS_ACCOUNT_ID"):
        parse_const("QA_IAM_READ_ROLE=r\n")


def test_account_id_without_name_is_refused() -> None:
    with pytest.raises(InputError, match="QA_AWS_ACCOUNT_ID has no matching QA_AWS_ACCOUNT_NAME"):
        parse_const("QA_AWS_ACCOUNT_ID=123456789012\n")


def test_env_names_with_underscores() -> None:
    variables = parse_const(
        "PROD_EU_AWS_ACCOUNT_ID=123456789012\nPROD_EU_AWS_ACCOUNT_NAME=prod-eu\nPROD_EU_IAM_READ_ONLY_ROLE=ro\n"
    )
    (role,) = variables.roles
    assert (role.env, role.kind, role.profile) == ("PROD_EU", "READ_ONLY", "prod-eu_read_only")
    assert variables.accounts[0].is_prod


def test_a_bad_set_value_is_blamed_on_set_not_on_the_file_line() -> None:
    with pytest.raises(InputError, match=r"^--set DEV_AWS_ACCOUNT_ID: DEV_AWS_ACCOUNT_ID='42' is not an AWS account"):
        parse_const(
            "DEV_AWS_ACCOUNT_ID=123456789012\nDEV_AWS_ACCOUNT_NAME=dev\n",
            source=Path("CONST.inc"),
            overrides={"DEV_AWS_ACCOUNT_ID": "42"},
        )


def test_a_key_set_twice_keeps_the_later_value_and_line() -> None:
    with pytest.raises(InputError, match=r"^CONST.inc:3: DEV_AWS_ACCOUNT_ID="):
        parse_const(
            "DEV_AWS_ACCOUNT_ID=123456789012\nDEV_AWS_ACCOUNT_NAME=dev\nDEV_AWS_ACCOUNT_ID=12\n",
            source=Path("CONST.inc"),
        )


def test_reserved_template_names_cannot_be_set() -> None:
    with pytest.raises(InputError, match="reserved"):
        parse_const("accounts=1\n")
    with pytest.raises(InputError, match="reserved"):
        parse_const("A=1\n", overrides={"roles": "x"})


def test_windows_line_endings_and_a_byte_order_mark_are_read() -> None:
    variables = parse_const("\ufeffGLOBAL_AWS_REGION=eu-west-1\r\n\r\nA=1\r\nB=${A}\r\n", source=Path("CONST.inc"))
    assert variables.values == {"GLOBAL_AWS_REGION": "eu-west-1", "A": "1", "B": "1"}
    assert variables.lines["A"] == 3


# Lines a CONST.inc may hold: the plain ones the tool splits itself, and every neighbour python-dotenv reads
# differently (quotes, spaces, comments after a value, export, escapes, a key alone, multi-line quoted values).
_CONST_LINES = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}=[A-Za-z0-9_.,:/@+=${}-]{0,12}", fullmatch=True),
    st.sampled_from(
        [
            "", "# a comment", "#", "  # indented comment", "   ", "A=1 # trailing", "B='x y'", 'C="a\\nb"', "D=a b",
            "export E=1", "F", "=G", "H= spaced", ' I="open', 'J=end"', "K=${A}", "L='${A}'", "M=a\\tb", "N=#x",
            "9O=1", "P.Q=1", "R=x'y", "S=\t1", "T=\u00e9",
        ]
    ),
)  # fmt: skip


@settings(max_examples=examples(300))
@given(lines=st.lists(_CONST_LINES, max_size=12), final_newline=st.booleans())
def test_plain_lines_split_by_the_tool_read_exactly_as_python_dotenv_reads_them(
    lines: list[str], final_newline: bool
) -> None:
    from bootstrap.team.const import bindings

    text = "\n".join(lines) + ("\n" if final_newline else "")
    quick = [(b.key, b.value, b.line, b.error) for b in bindings(text)]
    dotenv = [(b.key, b.value, b.line, b.error) for b in bindings(text, plain=False)]
    # Blank lines and comments are no bindings for the reader (python-dotenv folds them into the next one).
    assert [b for b in quick if b[0] is not None or b[3]] == [b for b in dotenv if b[0] is not None or b[3]]
    assert _outcome(text, plain=True) == _outcome(text, plain=False)


def _outcome(text: str, *, plain: bool) -> object:
    """What parse_const makes of the text: its values, or its error; ``plain=False`` reads every line with dotenv."""
    from unittest import mock

    from bootstrap.team import const

    with mock.patch.object(const, "_plain", return_value=False) if not plain else contextlib.nullcontext():
        try:
            return parse_const(text).values
        except InputError as exc:
            return str(exc)
