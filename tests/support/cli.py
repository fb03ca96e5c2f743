"""Running the tool from tests, with every output recorded for the canary scan.

``invoke`` runs a command in this process through click's ``CliRunner`` (fast; the ``Environment`` seam lets the
test share a fake clock with the sandbox). ``cli`` starts the real program, for what needs a process of its own:
a terminal, a signal, concurrency, the real entry point's import of boto3.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bootstrap.clock import Clock

# Every output a test saw from the tool, in this process; tests/support/canary_plugin.py scans it after each test.
TRANSCRIPT: list[str] = []

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def invoke(
    *args: str,
    input: str | None = None,
    env: Mapping[str, str | None] | None = None,
    cwd: Path | None = None,
    clock: Clock | None = None,
    prints_secrets: bool = False,
) -> Run:
    """Run ``aws-iam-bootstrap ARGS`` in this process (click's CliRunner), as the real entry point would.

    ``env``, when given, is the whole environment of the run (as for ``cli``); ``clock`` replaces the real clock
    (share it with the sandbox's rules layer to step through TOTP windows without waiting).
    ``prints_secrets``: as for ``cli``.
    """
    from click.testing import CliRunner

    from bootstrap.cli import main
    from bootstrap.cli.environment import Environment
    from tests.support.clock import shared_clock

    runner = CliRunner()
    if env is not None:
        # CliRunner sets the given names for the run and restores them after; None removes a name.
        env = {**dict.fromkeys(os.environ), **env}
    with contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext():
        clock = clock or shared_clock()
        environment = Environment(environ=os.environ) if clock is None else Environment(clock, os.environ)
        result = runner.invoke(main, list(args), input=input, env=env, obj=environment, catch_exceptions=False)
    stdout, stderr = result.stdout, result.stderr
    TRANSCRIPT.append(stderr)
    if not prints_secrets:
        TRANSCRIPT.append(stdout)
    return Run(result.exit_code, stdout, stderr)


def cli(
    *args: str,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    prints_secrets: bool = False,
    timeout: float = 120,
) -> Run:
    """Run ``aws-iam-bootstrap ARGS`` as a real process (as a user would), capturing stdout and stderr.

    ``prints_secrets`` is for the commands that print credentials on purpose (``env``, ``credential-process``):
    their stdout is left out of the canary scan; their stderr is still scanned.
    """
    full_env = dict(os.environ if env is None else env)
    proc = subprocess.run(
        [str(BIN / "aws-iam-bootstrap"), *args],
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
    TRANSCRIPT.append(proc.stderr)
    if not prints_secrets:
        TRANSCRIPT.append(proc.stdout)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def aws_cli(*args: str, env: Mapping[str, str] | None = None, check: bool = True) -> Run:
    """Run the real ``aws`` CLI (awscli from PyPI) against the files the tool wrote."""
    proc = subprocess.run(
        [str(BIN / "aws"), *args],
        capture_output=True,
        text=True,
        env=dict(os.environ if env is None else env),
        timeout=120,
        check=False,
    )
    done = Run(proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return done


def record(text: str) -> None:
    """Add output a test obtained another way (pexpect, tmux, a file the tool wrote) to the canary scan."""
    TRANSCRIPT.append(text)


def scan_for_secrets(texts: Sequence[str], secrets: Sequence[str]) -> list[str]:
    """The secrets (abbreviated) that appear in any of ``texts``."""
    found = []
    for secret in secrets:
        if any(secret in text for text in texts):
            found.append(secret[:4] + "…")
    return found
