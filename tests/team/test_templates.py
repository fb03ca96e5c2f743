"""Templates: ${NAME} placeholders, loops over accounts and roles, and every missing name reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.errors import InputError
from bootstrap.team.const import parse_const
from bootstrap.team.templates import Template, check_defined, placeholders, render

CONST = (
    "DEV_AWS_ACCOUNT_ID=123456789012\nDEV_AWS_ACCOUNT_NAME=dev\nDEV_IAM_READ_ROLE=dev-read\nDEV_IAM_OPS_ROLE=dev-ops\n"
    "PROD_AWS_ACCOUNT_ID=210987654321\nPROD_AWS_ACCOUNT_NAME=prod\nPROD_IAM_READ_ROLE=prod-read\n"
)


def test_placeholders_render_and_the_final_newline_is_kept() -> None:
    template = Template(Path("t.tpl"), "[profile ${NAME}]\nregion = ${REGION}\n")
    assert render(template, {"NAME": "me", "REGION": "eu-west-1"}) == "[profile me]\nregion = eu-west-1\n"


def test_text_without_placeholders_is_unchanged_byte_for_byte() -> None:
    text = "# { not jinja } $HOME {brace}\n[default]\ns3 =\n  signature_version = s3v4\nno_final_newline = 1"
    assert render(Template(Path("t.tpl"), text), {}) == text


def test_a_loop_renders_every_account_and_role() -> None:
    variables = parse_const(CONST)
    template = Template(
        Path("loop.tpl"),
        "{% for account in accounts %}\n"
        "{% for role in account.roles %}\n"
        "[profile ${account.name}_${role.profile_suffix}]\n"
        "role_arn = ${role.arn}\n"
        "{% endfor %}\n"
        "{% endfor %}\n",
    )
    assert render(template, {"accounts": variables.accounts}) == (
        "[profile dev_read]\nrole_arn = arn:aws:iam::123456789012:role/dev-read\n"
        "[profile dev_ops]\nrole_arn = arn:aws:iam::123456789012:role/dev-ops\n"
        "[profile prod_read]\nrole_arn = arn:aws:iam::210987654321:role/prod-read\n"
    )


def test_every_missing_placeholder_is_reported_at_once_with_file_and_line() -> None:
    config = Template(Path("aws-cli.config.tpl"), "[default]\nregion = ${REGOIN}\n\nx = ${A} ${B}\n")
    credentials = Template(Path("aws-cli.credentials.tpl"), "[x]\n\n\nkey = ${KEY_ID}\n")
    with pytest.raises(InputError) as caught:
        check_defined([config, credentials], ["A"])
    message = caught.value.format_message()
    assert "3 placeholder(s) have no value (nothing was written)" in message
    assert "aws-cli.config.tpl:2: ${REGOIN}" in message
    assert "aws-cli.config.tpl:4: ${B}" in message
    assert "aws-cli.credentials.tpl:4: ${KEY_ID}" in message
    assert "${A}" not in message


def test_loop_variables_are_not_reported_missing() -> None:
    template = Template(Path("t.tpl"), "{% for account in accounts %}${account.name}{% set x = 1 %}${x}{% endfor %}")
    assert [p.name for p in placeholders(template)] == ["accounts"]
    check_defined([template], ["accounts"])


def test_syntax_error_names_file_and_line() -> None:
    template = Template(Path("aws-cli.config.tpl"), "[default]\n{% for a in accounts %}\nx = 1\n")
    with pytest.raises(InputError, match=r"aws-cli.config.tpl:\d+: template syntax error"):
        placeholders(template)
    with pytest.raises(InputError, match=r"aws-cli.config.tpl:\d+: template syntax error"):
        render(template, {"accounts": ()})


def test_unknown_attribute_names_template_line() -> None:
    variables = parse_const(CONST)
    template = Template(Path("t.tpl"), "[a]\n\n{% for account in accounts %}\n${account.nmae}\n{% endfor %}\n")
    with pytest.raises(InputError, match=r"t.tpl:4: .*has no attribute 'nmae'"):
        render(template, {"accounts": variables.accounts})


def test_a_template_cannot_reach_python_internals() -> None:
    template = Template(Path("evil.tpl"), "[x]\nx = ${''.__class__.__mro__[1].__subclasses__()}\n")
    with pytest.raises(InputError, match=r"^evil.tpl:2: "):
        render(template, {})


def test_a_literal_placeholder_can_be_written_with_raw() -> None:
    template = Template(Path("t.tpl"), "[x]\ncredential_process = sh -c 'run {% raw %}${HOME}{% endraw %}'\n")
    assert placeholders(template) == ()
    assert render(template, {}) == "[x]\ncredential_process = sh -c 'run ${HOME}'\n"


def test_the_accounts_and_roles_are_read_quickly_but_still_lead_nowhere_else() -> None:
    # Their public fields and properties skip the sandbox's per-access checks; anything else about them, or about
    # what they hold, is still the sandbox's to refuse.
    variables = parse_const(CONST)
    context = {"accounts": variables.accounts}
    fine = Template(
        Path("t.tpl"), "{% for a in accounts %}{% for r in a.roles %}${r.arn} ${a.is_prod}\n{% endfor %}{% endfor %}"
    )
    assert "arn:aws:iam::" in render(fine, context)
    for reach in ("accounts[0].__class__.__mro__", "accounts[0].roles.__class__.__mro__", "accounts[0].__init__"):
        evil = Template(Path("evil.tpl"), f"[x]\nx = ${{{reach}}}\n")
        with pytest.raises(InputError, match=r"^evil.tpl:2: "):
            render(evil, context)
