"""Commands: sandbox (a local AWS to try the tool on, until Ctrl-C)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click

from bootstrap.cli.output import err, out


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port on 127.0.0.1. Default: a free one.")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to write the throw-away AWS files, CONST.inc, env.sh and the one-time secrets (kept on exit). "
    "Default: a new temporary directory, removed on exit.",
)
@click.option(
    "--journal",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Append one JSON line per call to FILE (CloudTrail's record shape: who, which action on which resource, "
    "allowed or refused and why; never a secret). Created 0600.",
)
@click.option(
    "--moto-api/--no-moto-api",
    default=False,
    help="Also serve moto's dashboard and /moto-api (off by default: it hands every secret key and password to "
    "anyone who can reach the port, and can wipe the organisation).",
)
def sandbox(port: int, directory: Path | None, journal: Path | None, moto_api: bool) -> None:
    """Run a local AWS (moto behind an IAM authorizer) until Ctrl-C.

    It holds the example organisation of CONST.inc.example: a users account with alice (a new engineer: ADMIN on
    example-dev, READ on example-prod, no MFA device yet, one one-time access key) and bob (MFA already enabled),
    and dev and prod accounts whose infra roles trust named users with MFA. Wrong or replayed MFA codes, roles the
    trust does not grant, and calls to any service that the caller's identity policies do not allow are refused as
    AWS refuses them. With --journal, every call is recorded with the IAM action and resource it was judged on.

    It prints the `export` lines that point the aws CLI and this tool at it, with throw-away AWS files. Secrets are
    never printed: each user's one-time secret access key is in a 0600 file whose path is shown.

    Example:

    \b
        aws-iam-bootstrap sandbox --port 4566
        # in another terminal:
        source /tmp/aws-iam-bootstrap-sandbox-XXXX/env.sh
        cd /tmp/aws-iam-bootstrap-sandbox-XXXX     # CONST.inc and the example templates are here
        aws-iam-bootstrap render --user alice --access-key-id AKIA... --secret-access-key-stdin < alice.secret
    """
    from bootstrap.sandbox.workspace import start_with_workspace

    running, workspace = start_with_workspace(port=port, directory=directory, journal=journal, moto_api=moto_api)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        out(f"# AWS sandbox running at {running.endpoint_url}")
        out(f"# To use it, run these lines in your shell (or: source {workspace.env_file}):")
        for line in workspace.shell_lines():
            out(line)
        out(f"# The organisation, for render (run it in that directory): {workspace.const_file}")
        if journal is not None:
            out(f"# Every call is journaled (one JSON line each) in: {journal}")
        for name, user in running.users.items():
            grants = "; ".join(
                f"{', '.join(kinds)} on {running.accounts[env].name}" for env, kinds in user.grants.items()
            )
            mfa = f"MFA device {user.mfa_serial}" if user.mfa_serial else "no MFA device yet"
            out(f"# {name}: {user.arn}: {grants}; {mfa}")
            out(f"#   one-time access key id: {user.one_time_key.access_key_id}")
            out(f"#   its secret access key, in a 0600 file: {workspace.secret_files[name]}")
            if name in workspace.mfa_seed_files:
                out(f"#   its MFA seed (for an authenticator app), in a 0600 file: {workspace.mfa_seed_files[name]}")
        kept = "removes" if workspace.temporary else "keeps"
        out(f"# Ctrl-C stops the sandbox (and {kept} {workspace.root}).")
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        running.stop()
        workspace.remove()
    err("sandbox stopped")
