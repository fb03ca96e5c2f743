"""``aws-iam-bootstrap render`` through the CLI: the original README's example files (tests/fixtures/seed001) and
the project's example files become AWS files that botocore and the real ``aws`` CLI read as meant; bad input is
refused with a clear message and nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import Run, aws_cli, invoke, record
from tests.support.team import KEY_ID, ROOT, SECRET, SEED, SERIAL, Workspace, workspace_from


@pytest.fixture
def seed(tmp_path: Path) -> Workspace:
    return workspace_from(tmp_path, SEED)


@pytest.fixture
def example(tmp_path: Path) -> Workspace:
    return workspace_from(tmp_path, ROOT, const="CONST.inc.example")


SEED_CONFIG = """\
[default]
region = eu-west-1
s3 =
  signature_version = s3v4
  max_concurrent_requests = 100
  max_queue_size = 1000
  multipart_threshold = 64MB
  multipart_chunksize = 16MB

[profile myawsaccount]
region = eu-west-1
source_profile = myawsaccount

[profile myawsaccount_read]
region = eu-west-1
role_arn = arn:aws:iam::123456789012:role/infra-ReadR-1234567890
source_profile = myawsaccount
"""

SEED_CREDENTIALS = f"""\
[myawsaccount]
aws_access_key_id = {KEY_ID}
aws_secret_access_key = {SECRET}

[myawsaccount_read]
aws_access_key_id = {KEY_ID}
aws_secret_access_key = {SECRET}
"""


# --- the original README's example (tests/fixtures/seed001) --------------------------------------------------


def test_seed_001_renders_exactly_as_its_authors_meant(seed: Workspace) -> None:
    run = seed.render(secret=SECRET)
    assert run.returncode == 0, run.stderr
    assert seed.config.read_text() == SEED_CONFIG
    assert seed.credentials.read_text() == SEED_CREDENTIALS
    assert "added default, myawsaccount, myawsaccount_read" in run.stdout


def test_seed_001_read_profile_resolves_in_botocore(seed: Workspace) -> None:
    assert seed.render(secret=SECRET).returncode == 0
    profiles = seed.profiles()
    read = profiles["myawsaccount_read"]
    assert read["role_arn"] == "arn:aws:iam::123456789012:role/infra-ReadR-1234567890"
    assert read["source_profile"] == "myawsaccount"
    assert read["region"] == "eu-west-1"
    assert profiles["myawsaccount"]["aws_access_key_id"] == KEY_ID
    assert profiles["default"]["s3"] == {
        "signature_version": "s3v4",
        "max_concurrent_requests": "100",
        "max_queue_size": "1000",
        "multipart_threshold": "64MB",
        "multipart_chunksize": "16MB",
    }


def test_seed_001_files_read_back_by_the_real_aws_cli(seed: Workspace) -> None:
    assert seed.render(secret=SECRET).returncode == 0
    get = aws_cli("configure", "get", "role_arn", "--profile", "myawsaccount_read", env=seed.env)
    assert get.stdout.strip() == "arn:aws:iam::123456789012:role/infra-ReadR-1234567890"
    source = aws_cli("configure", "get", "source_profile", "--profile", "myawsaccount_read", env=seed.env)
    assert source.stdout.strip() == "myawsaccount"
    nested = aws_cli("configure", "get", "default.s3.signature_version", env=seed.env)
    assert nested.stdout.strip() == "s3v4"
    listing = aws_cli("configure", "list", "--profile", "myawsaccount", env=seed.env).stdout
    assert "eu-west-1" in listing
    assert KEY_ID[-4:] in listing  # the key the tool wrote, shown the way the aws CLI masks it


def test_seed_001_ten_digit_account_id_is_refused_naming_key_and_line(tmp_path: Path) -> None:
    ws = workspace_from(tmp_path, SEED, const="CONST.original.inc")
    run = ws.render(secret=SECRET)
    assert run.returncode == 2
    assert f"{ws.repo / 'CONST.inc'}:2: DEV_AWS_ACCOUNT_ID='1234567890' is not an AWS account id" in run.stderr
    assert "12 digits" in run.stderr
    assert not ws.config.exists()
    assert not ws.credentials.exists()


# --- the example files: loops over every account and role -------------------------------------------------------


def test_example_renders_every_account_and_role_in_the_fixed_layout(example: Workspace) -> None:
    run = example.render("--mfa-serial", SERIAL, secret=SECRET)
    assert run.returncode == 0, run.stderr
    assert "reused" not in run.stdout  # everything came from the flags (the user name from the serial)
    profiles = example.profiles()
    expected_roles = {
        "example-dev_admin": "arn:aws:iam::345678901234:role/infra-AdminR-1R5T9WQ3Z8XA",
        "example-dev_ops": "arn:aws:iam::345678901234:role/infra-OpsR-1R5T9WQ3Z8XA",
        "example-dev_read": "arn:aws:iam::345678901234:role/infra-ReadR-1R5T9WQ3Z8XA",
        "example-prod_admin": "arn:aws:iam::456789012345:role/infra-AdminR-7H2M4PL6C0VB",
        "example-prod_ops": "arn:aws:iam::456789012345:role/infra-OpsR-7H2M4PL6C0VB",
        "example-prod_read": "arn:aws:iam::456789012345:role/infra-ReadR-7H2M4PL6C0VB",
    }
    for name, arn in expected_roles.items():
        role = profiles[name]
        assert role["role_arn"] == arn
        assert role["source_profile"] == "example-dev"
        assert role["region"] == "eu-west-1"
        assert role["role_session_name"] == "alice"  # the user, taken from the MFA serial
        assert "mfa_serial" not in role  # the session carries MFA; botocore would ask a code per role
    assert not any(name.startswith("example-users_") for name in profiles)  # the users account has no roles
    long_term = profiles["example-dev-long-term"]
    assert long_term["mfa_serial"] == SERIAL
    assert long_term["aws_access_key_id"] == KEY_ID
    assert profiles["example-dev"] == {"region": "eu-west-1"}  # the session is refresh's, never render's
    assert isinstance(profiles["default"]["s3"], dict)
    assert "{#" not in example.config.read_text()  # template notes stay in the template


def test_account_name_flag_names_your_own_profiles(example: Workspace) -> None:
    run = example.render("--mfa-serial", SERIAL, "--account-name", "me", secret=SECRET)
    assert run.returncode == 0, run.stderr
    profiles = example.profiles()
    assert profiles["example-prod_read"]["source_profile"] == "me"
    assert profiles["me-long-term"]["aws_access_key_id"] == KEY_ID


def test_re_render_after_const_change_reuses_your_key_and_never_asks_for_the_secret(example: Workspace) -> None:
    assert example.render("--mfa-serial", SERIAL, secret=SECRET).returncode == 0
    credentials_before = example.credentials.read_bytes()
    with (example.repo / "CONST.inc").open("a") as const:
        const.write(
            "\nQA_AWS_ACCOUNT_ID=567890123456\nQA_AWS_ACCOUNT_NAME=example-qa\nQA_IAM_READ_ROLE=infra-ReadR-QA\n"
        )

    run = example.render()  # no flags, no terminal, nothing on stdin
    assert run.returncode == 0, run.stderr
    assert "added example-qa_read" in run.stdout
    assert "AWS_SECRET_ACCESS_KEY" in run.stdout  # says it reused the key from your files
    qa = example.profiles()["example-qa_read"]
    assert qa["role_arn"] == "arn:aws:iam::567890123456:role/infra-ReadR-QA"
    assert qa["role_session_name"] == "alice"
    assert example.credentials.read_bytes() == credentials_before


def test_missing_key_without_a_terminal_names_every_flag(example: Workspace) -> None:
    run = example.render()
    assert run.returncode == 5
    for name, flag in (
        ("AWS_ACCESS_KEY_ID", "--access-key-id"),
        ("AWS_SECRET_ACCESS_KEY", "--secret-access-key-stdin"),
        ("AWS_MFA_SERIAL", "--mfa-serial"),
        ("AWS_USER", "--user, or from --mfa-serial"),
    ):
        assert f"{name} ({flag})" in run.stderr
    assert not example.config.exists()


def test_secret_is_never_accepted_as_an_argument(seed: Workspace) -> None:
    run = invoke("render", "--secret-access-key", SECRET, env=seed.env, cwd=seed.repo, input="")
    assert run.returncode == 2
    assert "No such option" in run.stderr
    assert not seed.config.exists()


# --- idempotence, dry run, diff -------------------------------------------------------------------------------------


def test_second_render_changes_no_byte(seed: Workspace) -> None:
    assert seed.render(secret=SECRET).returncode == 0
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (seed.config, seed.credentials)}
    run = seed.render()
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("no changes") == 2
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (seed.config, seed.credentials)} == before


def test_dry_run_writes_nothing(seed: Workspace) -> None:
    run = seed.render("--dry-run", secret=SECRET)
    assert run.returncode == 0, run.stderr
    assert "would change: added default, myawsaccount, myawsaccount_read" in run.stdout
    assert not seed.config.exists()
    assert not seed.credentials.exists()
    # Only awsfiles' (empty) lock files may appear: no AWS file, backup or state file.
    written = {p.name for p in (seed.home / ".aws").iterdir()} if (seed.home / ".aws").exists() else set()
    assert written <= {".config.lock", ".credentials.lock"}


def test_dry_run_leaves_existing_files_alone(seed: Workspace) -> None:
    assert seed.render(secret=SECRET).returncode == 0
    before = seed.config.read_bytes()
    (seed.repo / "CONST.inc").write_text((SEED / "CONST.inc").read_text().replace("eu-west-1", "us-east-2"))
    run = seed.render("--dry-run", "--diff")
    assert run.returncode == 0, run.stderr
    assert "-region = eu-west-1" in run.stdout
    assert "+region = us-east-2" in run.stdout
    assert seed.config.read_bytes() == before


def test_diff_masks_the_secret(seed: Workspace) -> None:
    run = seed.render("--diff", secret=SECRET)
    assert run.returncode == 0, run.stderr
    assert "+aws_secret_access_key = ****" in run.stdout
    assert f"+aws_access_key_id = {KEY_ID}" in run.stdout
    assert SECRET not in run.output


def test_unmanaged_lines_of_your_files_survive(seed: Workspace) -> None:
    seed.config.parent.mkdir(mode=0o700)
    mine = "# my notes\n[profile personal]\nregion = us-east-1\n\n[sso-session corp]\nsso_region = us-east-1\n"
    seed.config.write_text(mine)
    assert seed.render(secret=SECRET).returncode == 0
    assert seed.config.read_text().startswith(mine)
    assert seed.profiles()["personal"] == {"region": "us-east-1"}


# --- bad input: refused, nothing written ----------------------------------------------------------------------------


def refused(ws: Workspace, run: Run, *fragments: str) -> None:
    assert run.returncode == 2, run.output
    for fragment in fragments:
        assert fragment in run.stderr
    assert not ws.config.exists()
    assert not ws.credentials.exists()


def test_every_missing_placeholder_reported_at_once_with_file_and_line(seed: Workspace) -> None:
    config = seed.repo / "aws-cli.config.tpl"
    config.write_text(config.read_text() + "\n[profile extra]\nregion = ${REGOIN}\nx = ${ONE} ${TWO}\n")
    credentials = seed.repo / "aws-cli.credentials.tpl"
    credentials.write_text("[x]\naws_access_key_id = ${KEY}\n")
    run = seed.render(secret=SECRET)
    refused(
        seed,
        run,
        "4 placeholder(s) have no value (nothing was written)",
        f"{config}:20: ${{REGOIN}}",
        f"{config}:21: ${{ONE}}",
        f"{config}:21: ${{TWO}}",
        f"{credentials}:2: ${{KEY}}",
    )


def test_const_syntax_error_names_file_and_line(seed: Workspace) -> None:
    (seed.repo / "CONST.inc").write_text("GLOBAL_AWS_REGION=eu-west-1\n\nDEV_AWS_ACCOUNT_ID\n")
    refused(seed, seed.render(secret=SECRET), f"{seed.repo / 'CONST.inc'}:3: syntax error")


def test_template_syntax_error_names_file_and_line(seed: Workspace) -> None:
    config = seed.repo / "aws-cli.config.tpl"
    config.write_text("[default]\nregion = ${GLOBAL_AWS_REGION\n")
    refused(seed, seed.render(secret=SECRET), f"{config}:2: template syntax error")


@pytest.mark.parametrize("value", ["eu-west-1\n[profile evil]", "x\rcredential_process = /bin/evil"])
def test_set_value_with_newline_or_cr_is_refused(seed: Workspace, value: str) -> None:
    refused(seed, seed.render("--set", f"GLOBAL_AWS_REGION={value}", secret=SECRET), "newline, carriage return or NUL")


@pytest.mark.parametrize("raw", [b'X="a\\nb"\n', b"X=a\x00b\n", b'X="a\\rcredential_process = evil"\n'])
def test_const_value_with_newline_cr_or_nul_is_refused(seed: Workspace, raw: bytes) -> None:
    const = seed.repo / "CONST.inc"
    const.write_bytes(const.read_bytes() + raw)
    refused(seed, seed.render(secret=SECRET), f"{const}:5: X:", "newline, carriage return or NUL")


def test_supplied_value_with_newline_is_refused(seed: Workspace) -> None:
    refused(seed, seed.render("--account-name", "me\n[profile evil]", secret=SECRET), "--account-name")


def test_malformed_region_is_refused(seed: Workspace) -> None:
    refused(
        seed,
        seed.render("--set", "GLOBAL_AWS_REGION=eu-west", secret=SECRET),
        "GLOBAL_AWS_REGION='eu-west' is not an AWS region",
    )


def test_malformed_role_arn_is_refused(seed: Workspace) -> None:
    config = seed.repo / "aws-cli.config.tpl"
    config.write_text(
        config.read_text().replace("arn:aws:iam::${DEV_AWS_ACCOUNT_ID}", "arn:aws:iam:${DEV_AWS_ACCOUNT_ID}")
    )
    refused(
        seed,
        seed.render(secret=SECRET),
        f"{config}: profile 'myawsaccount_read': role_arn 'arn:aws:iam:123456789012:role/infra-ReadR-1234567890' "
        "is not a role ARN",
    )


def test_source_profile_naming_no_profile_is_refused(seed: Workspace) -> None:
    config = seed.repo / "aws-cli.config.tpl"
    config.write_text(
        config.read_text()
        + "\n[profile orphan]\nrole_arn = ${DEV_AWS_ACCOUNT_ID}\n".replace(
            "${DEV_AWS_ACCOUNT_ID}", "arn:aws:iam::${DEV_AWS_ACCOUNT_ID}:role/r\nsource_profile = nobody"
        )
    )
    refused(seed, seed.render(secret=SECRET), "profile 'orphan': source_profile 'nobody' names no profile")


def test_source_profile_may_name_a_profile_you_already_have(seed: Workspace) -> None:
    seed.config.parent.mkdir(mode=0o700)
    seed.config.write_text("[profile mine]\nregion = eu-west-1\n")
    config = seed.repo / "aws-cli.config.tpl"
    config.write_text(
        config.read_text()
        + "\n[profile via-mine]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = mine\n"
    )
    assert seed.render(secret=SECRET).returncode == 0


def test_rendered_text_botocore_cannot_read_is_refused(seed: Workspace) -> None:
    config = seed.repo / "aws-cli.config.tpl"
    config.write_text(config.read_text() + "\n[profile myawsaccount_read]\nregion = eu-west-1\n")
    refused(seed, seed.render(secret=SECRET), f"{config}: the rendered config file is not one botocore can read")


def test_name_the_tool_supplies_set_in_const_is_refused(seed: Workspace) -> None:
    const = seed.repo / "CONST.inc"
    const.write_text(const.read_text() + "AWS_ACCESS_KEY_ID=AKIATEAMWIDE00000000\n")
    refused(seed, seed.render(secret=SECRET), f"{const}:5: AWS_ACCESS_KEY_ID is supplied by the tool")


def test_malformed_access_key_id_is_refused(seed: Workspace) -> None:
    run = invoke(
        "render",
        "--access-key-id",
        "not a key",
        "--secret-access-key-stdin",
        input=f"{SECRET}\n",
        env=seed.env,
        cwd=seed.repo,
    )
    refused(seed, run, "--access-key-id: 'not a key' is not an access key id")


# --- finding the inputs -----------------------------------------------------------------------------------------------


def test_inputs_are_found_at_the_git_root_from_a_subdirectory(seed: Workspace) -> None:
    (seed.repo / ".git").mkdir()
    sub = seed.repo / "cfn" / "infra"
    sub.mkdir(parents=True)
    run = seed.render(secret=SECRET, cwd=sub)
    assert run.returncode == 0, run.stderr
    assert seed.config.read_text() == SEED_CONFIG


def test_missing_inputs_name_the_flag(seed: Workspace, tmp_path: Path) -> None:
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    run = seed.render(secret=SECRET, cwd=empty)
    refused(seed, run, "CONST.inc not found", "--const-file")


def test_explicit_input_paths(seed: Workspace, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = seed.render(
        "--const-file",
        str(seed.repo / "CONST.inc"),
        "--config-template",
        str(seed.repo / "aws-cli.config.tpl"),
        "--credentials-template",
        str(seed.repo / "aws-cli.credentials.tpl"),
        secret=SECRET,
        cwd=elsewhere,
    )
    assert run.returncode == 0, run.stderr


# --- startup cost -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args", [["--help"], ["render", "--dry-run", "--access-key-id", KEY_ID, "--secret-access-key-stdin"]]
)
def test_help_and_render_never_import_boto3(seed: Workspace, args: list[str]) -> None:
    code = (
        "import sys\n"
        "from bootstrap.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('boto3' in sys.modules, file=sys.stderr)\n"
    )
    env = {**seed.env, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        input=f"{SECRET}\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=seed.repo,
        check=False,
    )
    record(proc.stdout + proc.stderr)
    assert proc.stderr.strip().splitlines()[-1] == "False", proc.stderr


def test_profiles_the_templates_no_longer_produce_go_only_with_prune(example: Workspace) -> None:
    assert example.render("--mfa-serial", SERIAL, secret=SECRET).returncode == 0
    const = example.repo / "CONST.inc"
    const.write_text(const.read_text().replace("PROD_IAM_OPS_ROLE=infra-OpsR-7H2M4PL6C0VB\n", ""))

    kept = example.render()
    assert kept.returncode == 0, kept.stderr
    assert "example-prod_ops" in example.profiles()

    pruned = example.render("--prune")
    assert pruned.returncode == 0, pruned.stderr
    assert "removed example-prod_ops" in pruned.stdout
    profiles = example.profiles()
    assert "example-prod_ops" not in profiles
    assert "example-prod_read" in profiles


def test_nested_block_line_without_equals_is_refused(seed: Workspace) -> None:
    config = seed.repo / "aws-cli.config.tpl"
    config.write_text(config.read_text().replace("  max_queue_size = 1000\n", "  max_queue_size\n"))
    refused(
        seed, seed.render(secret=SECRET), f"{config}: [default] s3: nested line 'max_queue_size' is not key = value"
    )


def test_inputs_in_the_current_directory_win_over_the_git_root(tmp_path: Path) -> None:
    from bootstrap.team.inputs import find_inputs

    root = tmp_path / "repo"
    sub = root / "team"
    sub.mkdir(parents=True)
    (root / ".git").mkdir()
    for name in ("CONST.inc", "aws-cli.config.tpl", "aws-cli.credentials.tpl"):
        (root / name).write_text("")
    (sub / "CONST.inc").write_text("")
    inputs = find_inputs(sub)
    assert inputs.const_file == sub.resolve() / "CONST.inc"
    assert inputs.config_template == root.resolve() / "aws-cli.config.tpl"
    assert inputs.credentials_template == root.resolve() / "aws-cli.credentials.tpl"


def test_a_large_organisation_is_summarised_not_listed(seed: Workspace) -> None:
    lines = ["GLOBAL_AWS_REGION=eu-west-1", "DEV_AWS_ACCOUNT_ID=123456789012", "DEV_AWS_ACCOUNT_NAME=myawsaccount"]
    lines += ["DEV_IAM_READ_ROLE=infra-ReadR-1234567890"]
    for i in range(40):
        lines += [f"E{i}_AWS_ACCOUNT_ID={200000000000 + i}", f"E{i}_AWS_ACCOUNT_NAME=acct{i}", f"E{i}_IAM_READ_ROLE=r"]
    (seed.repo / "CONST.inc").write_text("\n".join(lines) + "\n")
    (seed.repo / "aws-cli.config.tpl").write_text(
        (SEED / "aws-cli.config.tpl").read_text()
        + "{% for role in roles if role.env != 'DEV' %}\n\n[profile ${role.profile}]\nrole_arn = ${role.arn}\n"
        + "source_profile = ${AWS_ACCOUNT_NAME}\n{% endfor %}\n"
    )
    run = seed.render(secret=SECRET)
    assert run.returncode == 0, run.stderr
    assert "added 43 profiles (default, myawsaccount, myawsaccount_read, " in run.stdout
    assert "and 33 more)" in run.stdout
    assert seed.profiles()["acct39_read"]["role_arn"] == "arn:aws:iam::200000000039:role/r"


def test_a_rendered_line_botocore_refuses_is_named_by_its_number_never_quoted(seed: Workspace) -> None:
    # The line is a secret on its own: the error points at it and never shows it.
    credentials = seed.repo / "aws-cli.credentials.tpl"
    credentials.write_text("[myawsaccount]\naws_access_key_id = ${AWS_ACCESS_KEY_ID}\n${AWS_SECRET_ACCESS_KEY}\n")
    run = seed.render(secret=SECRET)
    refused(seed, run, f"{credentials}: the rendered credentials file is not one botocore can read")
    assert "line 3: not a [section] header, a key = value line" in run.stderr
    assert SECRET not in run.output


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("{% include 'other.tpl' %}", "each template stands alone"),
        ("{% import 'macros.tpl' as m %}", "each template stands alone"),
        ("{% extends 'base.tpl' %}", "each template stands alone"),
        ("x = ${ 1 // 0 }", "ZeroDivisionError"),
        ("{% for i in range(10 ** 9) %}{% endfor %}", "OverflowError"),
        ("x = ${ AWS_SECRET_ACCESS_KEY | filesizeformat }", "ValueError: could not convert string to float: '****'"),
    ],
    ids=["include", "import", "extends", "division by zero", "huge range", "a filter on the secret"],
)
def test_a_template_failing_at_run_time_is_one_masked_line_naming_it(example: Workspace, line: str, says: str) -> None:
    template = example.repo / "aws-cli.credentials.tpl"
    template.write_text(template.read_text() + f"\n[extra]\n{line}\n")
    run = example.render("--user", "alice", "--mfa-serial", SERIAL, secret=SECRET)
    assert run.returncode == 2, run.output
    assert "Traceback" not in run.output
    (message,) = run.stderr.strip().splitlines()
    assert message.startswith(f"Error: {template}:")
    assert says in message
    assert SECRET not in run.output
    assert not example.credentials.exists()
