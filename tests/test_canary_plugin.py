"""The canary scan itself must be able to fail: prove it catches a printed secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import canaries, helpers


def test_scan_finds_a_printed_canary_and_ignores_masked_output() -> None:
    printed = f"aws_secret_access_key = {canaries.CANARY_SECRET}\n"
    assert helpers.scan_for_secrets([printed], canaries.ALL) == ["cana…"]
    assert helpers.scan_for_secrets(["aws_secret_access_key = ****\n"], canaries.ALL) == []


def test_a_test_that_prints_a_secret_fails(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    tester = pytester
    tester.makepyfile(
        test_leak=f"""
def test_leaks():
    print("here it is: {canaries.CANARY_SECRET}")

def test_clean():
    print("nothing to see")
"""
    )
    result = tester.runpytest_subprocess("-p", "tests.canary_plugin", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*secret(s) appeared in printed output*"])
