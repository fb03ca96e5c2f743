"""Fail a test when anything it printed contains a secret.

Scanned: the test's captured stdout/stderr/log sections, and every CLI output it obtained through
``tests.support.cli`` (the commands that print credentials on purpose excluded). Looked for: the fixed canaries and
every secret this test process registered for masking (secret keys and session tokens the sandbox minted).
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from bootstrap import redact
from tests.support import canaries, cli


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    # Sections accumulate over setup/call/teardown: scan only this phase's, so one leak fails one phase.
    texts = [content for title, content in report.sections if title.endswith(report.when)]
    texts.extend(cli.TRANSCRIPT)
    cli.TRANSCRIPT.clear()
    with redact._lock:
        secrets = [*canaries.ALL, *redact._known]
    leaked = cli.scan_for_secrets(texts, secrets)
    if leaked and report.passed:
        report.outcome = "failed"
        report.longrepr = f"secret(s) appeared in printed output: {', '.join(leaked)}"
    return report
