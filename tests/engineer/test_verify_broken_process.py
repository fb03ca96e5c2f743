"""A `credential_process` profile that fails (not ours) is a FAILED row of `verify`, never a traceback.

botocore raises ``CredentialRetrievalError`` when such a process exits non-zero; ``aws.calling`` turns it into an
``AwsError`` (without repeating the process's stderr), so one broken profile fails its own row, not the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.cli import invoke

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths

pytestmark = pytest.mark.slow


def test_verify_reports_a_failing_credential_process_as_a_failed_profile(aws_env: AwsPaths) -> None:
    aws_env.config.write_text(
        '[profile tool]\nregion = eu-west-1\ncredential_process = sh -c "echo vault is locked >&2; exit 1"\n',
        encoding="utf-8",
    )
    aws_env.config.chmod(0o600)
    aws_env.credentials.write_text("", encoding="utf-8")
    run = invoke("verify")
    assert "Traceback" not in run.stderr, run.stderr[-600:]
    assert run.returncode == 1
    assert "tool" in run.stdout
    assert "FAILED" in run.stdout
