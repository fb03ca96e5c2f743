"""``--token-code-command`` of ``onboard``/``rotate-key``: its failures never print the command's arguments.

The natural way to feed an existing device's codes from a script is ``oathtool --totp -b SEED``: the MFA
device's seed is on the child's command line (the user's choice). When that command hangs (a password manager
waiting to be unlocked) or fails, the error names the program only, never its arguments or its stderr; a command
that cannot be split into words is a clear error (exit 2), as for ``refresh``. One runner
(``codes.run_code_command``) serves every command.
"""

from __future__ import annotations

import os
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bootstrap.engineer import codes
from bootstrap.errors import InputError
from tests.support.cli import invoke
from tests.support.clock import FakeClock
from tests.support.onboarding import set_up

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.sandbox import SandboxUser

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # 64 Base32 characters, like AWS's


def _hanging_oathtool(directory: Path) -> Path:
    """A stand-in for ``oathtool`` that never answers (like a password manager waiting to be unlocked)."""
    tool = directory / "oathtool"
    tool.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(600)\n", encoding="utf-8")
    tool.chmod(0o700)
    return tool


def test_a_hanging_token_code_command_does_not_print_its_arguments(tmp_path: Path) -> None:
    """Fast, at the core: the error of a timed-out code command names the command, not its arguments."""
    command = shlex.join([str(_hanging_oathtool(tmp_path)), "--totp", "-b", SEED])
    source = codes.CommandCodes(command, FakeClock(datetime.now(UTC)), timeout=1.0)
    with pytest.raises(InputError) as caught:
        source(codes.CodeRequest("session", "arn:aws:iam::123456789012:mfa/alice"))
    message = caught.value.format_message()
    assert SEED not in message, f"the MFA seed is in the error: {message.replace(SEED, '<SEED>')}"


def test_rotate_key_with_a_hanging_token_code_command_does_not_print_the_mfa_seed(
    aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    """Through the CLI: ``rotate-key --token-code-command 'oathtool --totp -b SEED'``, with the command's time
    limit (60 s unless $AWS_IAM_BOOTSTRAP_TOKEN_CODE_TIMEOUT says otherwise) set to one second."""
    auth = set_up(aws_env, fresh_user, FakeClock(datetime.now(UTC)), session=False)
    (seed,) = auth.seeds.values()
    command = shlex.join([str(_hanging_oathtool(tmp_path)), "--totp", "-b", seed])
    env = {**os.environ, "AWS_IAM_BOOTSTRAP_TOKEN_CODE_TIMEOUT": "1"}
    run = invoke("rotate-key", "--profile", "example-dev", "--token-code-command", command, env=env)
    assert "did not finish within 1 seconds" in run.stderr
    assert run.returncode != 0
    assert "token-code-command" in run.stderr
    assert seed not in run.output, f"the MFA seed is printed: {run.output.replace(seed, '<SEED>')}"


def test_an_unbalanced_quote_in_the_token_code_command_is_a_clear_error(aws_env: AwsPaths) -> None:
    """A stray quote is bad input (exit 2) with a clear message, as for ``refresh``, never a traceback."""
    run = invoke("rotate-key", "--token-code-command", "oathtool --totp -b 'JBSWY3DP")
    assert "Traceback" not in run.stderr, run.stderr[-400:]
    assert run.returncode == 2
