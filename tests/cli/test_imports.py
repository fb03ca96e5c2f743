"""`--help`, the CLI modules and the file-writing core never import boto3 (`--help` and `render` must stay fast)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import TRANSCRIPT


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120, check=False)
    TRANSCRIPT.extend([proc.stdout, proc.stderr])
    return proc


def test_help_never_imports_boto3() -> None:
    proc = _python("-X", "importtime", "-m", "bootstrap", "--help")
    assert proc.returncode == 0, proc.stderr
    assert "Usage:" in proc.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "click" in imported
    assert not {name for name in imported if name == "boto3" or name.startswith("boto3.")}


@pytest.mark.parametrize(
    "module",
    ["bootstrap.awsfiles.store", "bootstrap.awsfiles.safewrite", "bootstrap.team.render", "bootstrap.cli"],
)
def test_the_cli_modules_and_the_file_writing_core_never_import_boto3(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'boto3'))"
    proc = _python("-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_merging_and_validating_never_imports_boto3() -> None:
    code = (
        "import sys\n"
        "from bootstrap.awsfiles import botocore_view, merge\n"
        "text = merge.merge(None, '[default]\\nregion = eu-west-1\\n', 'config')\n"
        "botocore_view.validate(text, '[a]\\nx = 1\\n')\n"
        "print('boto3' in sys.modules)\n"
    )
    proc = _python("-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_the_help_lists_each_command_by_the_first_sentence_of_its_own_docstring() -> None:
    """--help lists the commands from a table, without importing them: the table must say what each docstring
    says, and name every command there is."""
    import click

    from bootstrap.cli import LAZY, main

    ctx = click.Context(main)
    for name, (_, _, summary) in LAZY.items():
        command = main.get_command(ctx, name)
        assert command is not None, name
        assert command.get_short_help_str(limit=1000) == summary, name
    assert main.list_commands(ctx) == sorted(LAZY)


def test_a_command_imports_only_its_own_family() -> None:
    code = (
        "import sys\n"
        "from bootstrap.cli import main\n"
        "try:\n    main(['render', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('bootstrap.cli.')))\n"
    )
    proc = _python("-c", code)
    assert proc.returncode == 0, proc.stderr
    loaded = proc.stdout.strip().splitlines()[-1]
    assert "bootstrap.cli.files" in loaded
    assert "bootstrap.cli.org" not in loaded
    assert "bootstrap.cli.policy" not in loaded


def test_refresh_with_a_valid_session_imports_neither_boto3_nor_botocore(tmp_path: Path) -> None:
    """The everyday no-op (the session still lasts) makes no AWS call, so it must not pay for the SDK's import."""
    from datetime import UTC, datetime, timedelta

    aws = tmp_path / ".aws"
    aws.mkdir()
    (aws / "config").write_text("[profile me-long-term]\nmfa_serial = arn:aws:iam::210987654321:mfa/me\n")
    expires = (datetime.now(UTC) + timedelta(hours=10)).strftime("%Y-%m-%d %H:%M:%S")
    (aws / "credentials").write_text(
        "[me-long-term]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = notarealsecretatall\n\n"
        "[me]\nassumed_role = False\naws_access_key_id = ASIAEXAMPLEEXAMPLE02\n"
        f"aws_secret_access_key = notarealsecret\naws_session_token = token\nexpiration = {expires}\n"
    )
    code = (
        "import sys\n"
        "from bootstrap.cli import main\n"
        "try:\n    main(['refresh', '--profile', 'me'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(tmp_path), AWS_CONFIG_FILE=str(aws / "config"), AWS_SHARED_CREDENTIALS_FILE=str(aws / "credentials")
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    TRANSCRIPT.extend([proc.stdout, proc.stderr])
    assert proc.returncode == 0, proc.stderr
    assert "is still valid" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "[]"
