"""Commands for every day: refresh, credential-process, verify, env, exec.

Only click and the small errors/output modules are imported here; the core (and boto3) is imported inside each
command, so ``--help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bootstrap import limits
from bootstrap.cli import options
from bootstrap.cli.environment import current
from bootstrap.cli.output import human_duration, out, print_report
from bootstrap.errors import CheckFailed, InputError

if TYPE_CHECKING:
    from bootstrap.engineer.codes import CodeSource


def _min_ttl_option(help_text: str) -> Callable[[Any], Any]:
    return click.option(
        "--min-ttl",
        type=click.IntRange(0, None),
        default=limits.MIN_TTL_MINUTES,
        show_default=True,
        metavar="MINUTES",
        help=help_text,
    )


_token_code_command = options.token_code_command(
    "A command printing the MFA code on its first line (e.g. a password manager's `otp` command); run without a shell."
)
_session_duration = options.duration(
    limits.SESSION_DEFAULT, f"Session length in seconds ({limits.SESSION_MIN}..{limits.SESSION_MAX})."
)
_role_duration = options.duration(
    None,
    "Session length in seconds (default: the role's 1 hour, or 12 hours for a session). A role allows at most its "
    "MaxSessionDuration, and a role assumed from another role's session at most 1 hour.",
)


@contextmanager
def _short_lived() -> Iterator[None]:
    """No cyclic garbage collection while a command that lives a fraction of a second runs, none at its exit.

    Importing botocore and loading its models makes some 55,000 objects the collector tracks, none of them garbage: its
    passes over them while they are made, and its final pass when the interpreter exits, cost ~40 ms of a 0.2 s
    `refresh --force` and free nothing. The collector is on again when the command returns (so a test running
    commands in one process keeps it), and objects are frozen (left out of the final pass) only at exit.
    """
    import atexit
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    atexit.register(gc.freeze)
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _codes(token_code: str | None, token_code_command: str | None, *, tty: bool = False) -> CodeSource:
    from bootstrap.cli.prompts import TerminalPrompter, TtyPrompter

    if tty:
        # Run by an SDK: no flag of ours can be added on the spot; the environment, or the line itself, can.
        answer_with = f"${limits.CODE_COMMAND_ENV} (or {limits.CODE_COMMAND_FLAG} in the credential_process line)"
        return options.code_source(None, token_code_command, TtyPrompter(), answer_with=answer_with)
    return options.code_source(token_code, token_code_command, TerminalPrompter())


@click.command()
@click.option(
    "--profile",
    "-p",
    metavar="NAME",
    help="The session profile [NAME] (its key is in [NAME-long-term]); a role profile means its source_profile. "
    "Default: $AWS_PROFILE when it leads to a long-term profile, else the only *-long-term profile, else 'default'.",
)
@options.token_code
@_token_code_command
@_session_duration
@_min_ttl_option("Keep the current session (asking nothing) while it has more than this many minutes left.")
@click.option("--force", is_flag=True, help="Renew the session even if it is still valid.")
def refresh(
    profile: str | None,
    token_code: str | None,
    token_code_command: str | None,
    duration: int,
    min_ttl: int,
    force: bool,
) -> None:
    """Renew your MFA session: one code, then every role profile works for the day.

    Calls GetSessionToken with the long-term key of [NAME-long-term] and its MFA device (`mfa_serial` in
    config, or aws-mfa's `aws_mfa_device` in credentials), and writes the session into [NAME] of your
    credentials file (aws_access_key_id, aws_secret_access_key, aws_session_token, aws_security_token,
    expiration), atomically, 0600, with a backup, leaving every other line as it was. The layout is
    aws-mfa's, so you can switch between the two tools without editing a file.

    While the session has more than --min-ttl left, nothing is asked (exit 0); --force renews anyway.

    \b
    Example:
      aws-iam-bootstrap refresh --profile example-dev
      aws-iam-bootstrap refresh --token-code-command "op item get AWS --otp"
    """
    from datetime import timedelta

    from bootstrap.awsfiles.layout import format_expiration
    from bootstrap.awsfiles.locations import aws_paths
    from bootstrap.engineer.refresh import refresh as core

    environment = current()
    with _short_lived():
        result = core(
            aws_paths(environment.environ),
            profile,
            _codes(token_code, token_code_command),
            min_ttl=timedelta(minutes=min_ttl),
            force=force,
            duration=duration,
            environ=environment.environ,
            clock=environment.clock,
        )
    left = human_duration(result.remaining.total_seconds()) if result.remaining is not None else "unknown"
    expires = format_expiration(result.session.expiration) if result.session.expiration else "?"
    where = f" (in the cache its credential_process reads, {result.cache})" if result.cache else ""
    if result.renewed:
        out(f"Session [{result.profile}] renewed with {result.mfa_serial}: valid until {expires} UTC ({left}){where}.")
    else:
        out(
            f"Session [{result.profile}] is still valid until {expires} UTC ({left} left, more than "
            f"{min_ttl}m){where}: no code asked. Use --force to renew it."
        )
    if result.cache and result.change:
        out(
            f"Removed the session in [{result.profile}] of {result.change.path}: "
            "it shadowed the credential_process line."
        )


@click.command("credential-process")
@click.option(
    "--profile",
    "-p",
    metavar="NAME",
    help="The session profile NAME (its key is in [NAME-long-term]; NAME-long-term itself is accepted too).",
)
@_token_code_command
@_session_duration
@_min_ttl_option("Renew the cached session when it has less than this many minutes left.")
def credential_process(profile: str | None, token_code_command: str | None, duration: int, min_ttl: int) -> None:
    """Print an MFA session as the JSON the AWS SDKs and CLI expect from `credential_process`.

    PRINTS SECRETS ON PURPOSE, to stdout only: it is meant to be run by the SDKs, not read by people.

    The session is kept in a private cache (aws-iam-bootstrap/cache beside your credentials file, 0700/0600)
    and renewed, with an
    MFA code asked on the terminal (/dev/tty), when it has less than --min-ttl left. A lock makes SDK
    processes started together wait for one code instead of each asking, and one code serves every role
    profile whose source_profile is NAME.

    \b
    Example ~/.aws/config:
      [profile example-dev]
      credential_process = aws-iam-bootstrap credential-process --profile example-dev
      [profile example-prod_read]
      role_arn = arn:aws:iam::456789012345:role/infra-ReadR-7H2M4PL6C0VB
      source_profile = example-dev
    """
    from datetime import timedelta

    from bootstrap.awsfiles.locations import aws_paths
    from bootstrap.engineer.credential_process import cached_session, process_json

    environment = current()
    with _short_lived():
        result = cached_session(
            aws_paths(environment.environ),
            profile,
            _codes(None, token_code_command, tty=True),
            min_ttl=timedelta(minutes=min_ttl),
            duration=duration,
            environ=environment.environ,
            clock=environment.clock,
        )
    # Unmasked on purpose: the SDK reading stdout needs the secret itself.
    click.echo(process_json(result.session))


@click.command("env")
@click.option("--profile", "-p", metavar="NAME", required=True, help="The profile whose credentials to print.")
@click.option(
    "--format",
    "format_",
    type=click.Choice(limits.ENV_FORMATS),
    default="bash",
    show_default=True,
    help="bash/zsh `export` lines, fish, PowerShell, `NAME=value` lines for $GITHUB_ENV, or a JSON object.",
)
@options.token_code
@_token_code_command
@_role_duration
def env(
    profile: str, format_: str, token_code: str | None, token_code_command: str | None, duration: int | None
) -> None:
    """Print temporary credentials of a profile as environment variables.

    PRINTS SECRETS ON PURPOSE, to stdout only (never stderr): pipe it into your shell or $GITHUB_ENV, do not
    paste it anywhere. The credentials are temporary: a role profile's role assumed from its source's MFA
    session (renewed with one code when too old), a session profile's session, or a fresh session from a
    long-term key; never a long-term key itself. Keep --duration short in pipelines. GitHub does not mask
    what goes into $GITHUB_ENV: emit `::add-mask::` for the secret and token in your step if it prints them.

    \b
    Example:
      eval "$(aws-iam-bootstrap env --profile example-dev_admin)"
      aws-iam-bootstrap env -p deploy --format github --duration 900 >> "$GITHUB_ENV"
    """
    from bootstrap.engineer.export import render_env

    # Unmasked on purpose: printing the credentials is this command's job.
    click.echo(render_env(_temporary(profile, token_code, token_code_command, duration), format_), nl=False)


@click.command("exec", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--profile", "-p", metavar="NAME", required=True, help="The profile whose credentials to use.")
@options.token_code
@_token_code_command
@_role_duration
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_(
    profile: str,
    token_code: str | None,
    token_code_command: str | None,
    duration: int | None,
    command: tuple[str, ...],
) -> None:
    """Run COMMAND with temporary credentials of a profile in its environment; exit with its exit code.

    The child gets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and
    AWS_CREDENTIAL_EXPIRATION (and the profile's region); AWS_PROFILE is removed so it uses them. The
    credentials are temporary, as for `env` (which see), and are handed to COMMAND, which may print them.

    \b
    Example:
      aws-iam-bootstrap exec --profile example-prod_read -- aws s3 ls
      aws-iam-bootstrap exec -p deploy --duration 900 -- terraform apply
    """
    import subprocess

    from bootstrap.engineer.export import child_environ

    temporary = _temporary(profile, token_code, token_code_command, duration)
    try:
        proc = subprocess.run(list(command), env=child_environ(os.environ, temporary), check=False)
    except FileNotFoundError:
        raise InputError(f"command not found: {command[0]}") from None
    except OSError as exc:
        raise InputError(f"cannot run {command[0]}: {exc.strerror}") from None
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(proc.returncode if proc.returncode >= 0 else 128 - proc.returncode)


@click.command()
@click.option(
    "--profile",
    "-p",
    "patterns",
    metavar="PATTERN",
    multiple=True,
    help="Check only the profiles matching this shell pattern (repeatable), e.g. 'example-prod_*'.",
)
@click.option(
    "--output",
    "-o",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A table for people, or JSON for machines.",
)
@options.token_code
@_token_code_command
@click.option(
    "--const-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The team's CONST.inc, for account names and known roles (default: ./CONST.inc or at the git root).",
)
@click.option(
    "--workers", type=click.IntRange(1, 64), default=16, show_default=True, help="Checks run at the same time."
)
@click.option(
    "--refresh",
    is_flag=True,
    help="Renew an expired (or nearly expired) MFA session first, as `refresh` does (one code), and write it back.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(1, 3600),
    default=60,
    show_default=True,
    metavar="SECONDS",
    help="How long a profile's credential_process may take before it counts as failed.",
)
def verify(
    patterns: tuple[str, ...],
    output: str,
    token_code: str | None,
    token_code_command: str | None,
    const_file: Path | None,
    workers: int,
    refresh: bool,
    timeout: float,
) -> None:
    """Check that every profile works, and say in plain words why the others do not.

    Resolves every profile as the SDKs do: keys in the credentials file first, then the profile's
    credential_process (run for real, for at most --timeout seconds), then keys in the config file; a session
    is used as it is, so an expired one fails, naming `refresh` (--refresh renews it first and writes it back).
    Role profiles: assumes the role from its source and asks the new credentials who they are (a different
    account than the role_arn's is a failure). At most one MFA code is asked per MFA device.

    Per profile: account id and name, role, result, AWS error code, reason (not in the trust policy, MFA
    required, expired session, role does not exist, wrong account returned, invalid key...), the session's
    remaining life, and how long the check took. Long-term keys older than 90 days get a warning.

    Exit status: 0 all pass, 1 any fails, 2 bad input.

    \b
    Example:
      aws-iam-bootstrap verify
      aws-iam-bootstrap verify --profile 'example-prod_*' --output json
      aws-iam-bootstrap verify --refresh
    """
    import json

    from bootstrap.awsfiles.locations import aws_paths
    from bootstrap.engineer import verify as core

    environment = current()
    organisation = core.load_organisation(const_file, Path.cwd())
    report = core.verify(
        aws_paths(environment.environ),
        _codes(token_code, token_code_command),
        patterns=patterns,
        organisation=organisation,
        max_workers=workers,
        clock=environment.clock,
        refresh=refresh,
        process_timeout=timeout,
    )
    if output == "json":
        out(json.dumps(report.as_json(), indent=2))
    else:
        print_report(report)
    if not report.ok:
        raise CheckFailed(f"{len(report.failed)} of {report.checked} checked profiles failed")


def _temporary(profile: str, token_code: str | None, token_code_command: str | None, duration: int | None) -> Any:
    """Temporary credentials for `env` and `exec`."""
    from bootstrap.awsfiles.locations import aws_paths
    from bootstrap.engineer.export import profile_credentials

    environment = current()
    return profile_credentials(
        aws_paths(environment.environ),
        profile,
        _codes(token_code, token_code_command),
        duration=duration,
        clock=environment.clock,
        environ=environment.environ,
    )
