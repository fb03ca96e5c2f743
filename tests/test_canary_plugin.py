"""The canary scan itself must be able to fail: prove it catches a printed secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import canaries
from tests.support.cli import scan_for_secrets

ROOT = Path(__file__).resolve().parent.parent


def test_scan_finds_a_printed_canary_and_ignores_masked_output() -> None:
    printed = f"aws_secret_access_key = {canaries.CANARY_SECRET}\n"
    assert scan_for_secrets([printed], canaries.ALL) == ["cana…"]
    assert scan_for_secrets(["aws_secret_access_key = ****\n"], canaries.ALL) == []


def test_a_test_that_prints_a_secret_fails(tmp_path: Path) -> None:
    (tmp_path / "test_leak.py").write_text(
        "from tests.support import canaries\n"
        "def test_leaks():\n"
        "    print('here it is: ' + canaries.CANARY_SECRET)\n"
        "def test_clean():\n"
        "    print('nothing to see')\n"
    )
    # Run in a child pytest whose output we keep to ourselves (printing it would trip this very scan).
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q"),
            *("-p", "tests.support.canary_plugin", "-p", "no:cacheprovider", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        check=False,
    )
    summary = proc.stdout.splitlines()[-1]
    assert "1 failed, 1 passed" in summary
    assert "secret(s) appeared in printed output" in proc.stdout
