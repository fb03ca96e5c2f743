"""``console-links``: a switch-role URL per role, production in red, as text or markdown; nothing written."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.support.cli import Run, invoke

ROOT = Path(__file__).resolve().parents[2]
RED = "F2B0A9"


def links(tmp_path: Path, *args: str, cwd: Path) -> Run:
    """Run ``console-links`` with a throw-away HOME and AWS files (it must not read or write them anyway)."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(home),
        AWS_CONFIG_FILE=str(home / ".aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
    )
    run = invoke("console-links", *args, cwd=cwd, env=env)
    assert not home.exists()
    return run


def repo_with_example(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(ROOT / "CONST.inc.example", repo / "CONST.inc")
    return repo


def query(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "signin.aws.amazon.com", "/switchrole")
    return {key: values[0] for key, values in parse_qs(parts.query).items()}


def test_text_lists_every_role_with_its_switch_role_url(tmp_path: Path) -> None:
    repo = repo_with_example(tmp_path)
    run = links(tmp_path, cwd=repo)
    assert run.returncode == 0, run.stderr
    rows = [line.split("\t") for line in run.stdout.splitlines()]
    assert [row[0] for row in rows] == [
        "example-dev_admin",
        "example-dev_ops",
        "example-dev_read",
        "example-prod_admin",
        "example-prod_ops",
        "example-prod_read",
    ]
    prod_read = query(rows[5][2])
    assert prod_read == {
        "roleName": "infra-ReadR-7H2M4PL6C0VB",
        "account": "456789012345",
        "displayName": "example-prod_read",
        "color": RED,
    }
    dev_admin = query(rows[0][2])
    assert dev_admin["account"] == "345678901234"
    assert dev_admin["roleName"] == "infra-AdminR-1R5T9WQ3Z8XA"


def test_production_is_red_and_every_other_account_is_not(tmp_path: Path) -> None:
    repo = repo_with_example(tmp_path)
    with (repo / "CONST.inc").open("a") as const:
        const.write("QA_AWS_ACCOUNT_ID=567890123456\nQA_AWS_ACCOUNT_NAME=example-qa\nQA_IAM_READ_ROLE=qa-read\n")
    run = links(tmp_path, cwd=repo)
    assert run.returncode == 0, run.stderr
    colours = {
        row[0]: (row[1], query(row[2])["color"]) for row in (line.split("\t") for line in run.stdout.splitlines())
    }
    assert colours["example-prod_admin"] == ("red", RED)
    assert colours["example-prod_read"] == ("red", RED)
    assert colours["example-dev_read"][1] != RED
    assert colours["example-qa_read"][1] not in (RED, colours["example-dev_read"][1])


def test_markdown_table(tmp_path: Path) -> None:
    repo = repo_with_example(tmp_path)
    run = links(tmp_path, "--format", "markdown", cwd=repo)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "| account | role | switch role |"
    assert lines[1] == "|---|---|---|"
    assert len(lines) == 2 + 6
    assert lines[-1].startswith(
        "| example-prod (456789012345) | READ | [example-prod_read](https://signin.aws.amazon.com/"
    )
    assert lines[-1].endswith("(red) |")


def test_nothing_is_written(tmp_path: Path) -> None:
    repo = repo_with_example(tmp_path)
    before = sorted(p.name for p in repo.iterdir())
    assert links(tmp_path, "--format", "markdown", cwd=repo).returncode == 0
    assert sorted(p.name for p in repo.iterdir()) == before


def test_const_file_option_and_bad_const(tmp_path: Path) -> None:
    const = tmp_path / "team.inc"
    const.write_text("DEV_AWS_ACCOUNT_ID=1234567890\n")
    run = links(tmp_path, "--const-file", str(const), cwd=tmp_path)
    assert run.returncode == 2
    assert f"{const}:1: DEV_AWS_ACCOUNT_ID='1234567890' is not an AWS account id" in run.stderr


def test_no_roles_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "CONST.inc").write_text("GLOBAL_AWS_REGION=eu-west-1\n")
    run = links(tmp_path, cwd=tmp_path)
    assert run.returncode == 2
    assert "no roles found" in run.stderr
