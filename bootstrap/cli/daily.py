"""Commands for every day: refresh, credential-process, verify, env, exec.

Only click and the small errors/output modules are imported here; the core (and boto3) is imported inside each
command, so ``--help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bootstrap.cli import options
from bootstrap.cli.output import out
from bootstrap.errors import CheckFailed, InputError

if TYPE_CHECKING:
    from bootstrap.sessions import Codes

MIN_DURATION, MAX_DURATION = 900, 129600


def _duration_option(default: int | None, help_text: str) -> Callable[[Any], Any]:
    return click.option(
        "--duration",
        type=click.IntRange(MIN_DURATION, MAX_DURATION),
        default=default,
        show_default=default is not None,
        help=help_text,
    )


def _min_ttl_option(help_text: str) -> Callable[[Any], Any]:
    return click.option(
        "--min-ttl", type=click.IntRange(0, None), default=15, show_default=True, metavar="MINUTES", help=help_text
    )


_token_code = click.option(
    "--token-code", metavar="CODE", help="The 6-digit MFA code, instead of being asked for it (it is used once)."
)
_token_code_command = options.token_code_command(
    "A command printing the MFA code on its first line (e.g. a password manager's `otp` command); run without a shell."
)


def _codes(token_code: str | None, token_code_command: str | None, *, tty: bool = False) -> Codes:
    from bootstrap import prompts
    from bootstrap.sessions import Codes

    prompter: prompts.TerminalPrompter = prompts.TtyPrompter() if tty else prompts.TerminalPrompter()

    def ask(serial: str) -> str:
        return prompter.text(f"MFA code for {serial}", "--token-code or --token-code-command")

    return Codes(token_code=token_code, command=token_code_command, ask=ask)


def _human(seconds: float) -> str:
    if seconds < 0:
        return "expired"
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


@click.command()
@click.option(
    "--profile",
    "-p",
    metavar="NAME",
    help="The session profile [NAME] (its key is in [NAME-long-term]); a role profile means its source_profile. "
    "Default: $AWS_PROFILE when it leads to a long-term profile, else the only *-long-term profile, else 'default'.",
)
@_token_code
@_token_code_command
@_duration_option(43200, "Session length in seconds (900..129600).")
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

    from bootstrap import awsfiles, sessions

    result = sessions.refresh(
        awsfiles.aws_paths(),
        profile,
        _codes(token_code, token_code_command),
        min_ttl=timedelta(minutes=min_ttl),
        force=force,
        duration=duration,
        environ=os.environ,
    )
    left = _human(result.remaining.total_seconds()) if result.remaining is not None else "unknown"
    expires = sessions.format_expiration(result.session.expiration) if result.session.expiration else "?"
    if result.renewed:
        out(f"Session [{result.profile}] renewed with {result.mfa_serial}: valid until {expires} UTC ({left}).")
    else:
        out(
            f"Session [{result.profile}] is still valid until {expires} UTC ({left} left, more than "
            f"{min_ttl}m): no code asked. Use --force to renew it."
        )


@click.command("credential-process")
@click.option(
    "--profile",
    "-p",
    metavar="NAME",
    help="The session profile NAME (its key is in [NAME-long-term]; NAME-long-term itself is accepted too).",
)
@_token_code_command
@_duration_option(43200, "Session length in seconds (900..129600).")
@_min_ttl_option("Renew the cached session when it has less than this many minutes left.")
def credential_process(profile: str | None, token_code_command: str | None, duration: int, min_ttl: int) -> None:
    """Print an MFA session as the JSON the AWS SDKs and CLI expect from `credential_process`.

    PRINTS SECRETS ON PURPOSE, to stdout only: it is meant to be run by the SDKs, not read by people.

    The session is kept in a private cache (~/.aws/aws-iam-bootstrap/cache, 0700/0600) and renewed, with an
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

    from bootstrap import awsfiles, sessions

    result = sessions.cached_session(
        awsfiles.aws_paths(),
        profile,
        _codes(None, token_code_command, tty=True),
        min_ttl=timedelta(minutes=min_ttl),
        duration=duration,
        environ=os.environ,
    )
    # Unmasked on purpose: the SDK reading stdout needs the secret itself.
    click.echo(sessions.process_json(result.session))


ENV_FORMATS = ("bash", "fish", "powershell", "github", "json")


@click.command("env")
@click.option("--profile", "-p", metavar="NAME", required=True, help="The profile whose credentials to print.")
@click.option(
    "--format",
    "format_",
    type=click.Choice(ENV_FORMATS),
    default="bash",
    show_default=True,
    help="bash/zsh `export` lines, fish, PowerShell, `NAME=value` lines for $GITHUB_ENV, or a JSON object.",
)
@_token_code
@_token_code_command
@_duration_option(None, "Session length in seconds (default: the role's 1 hour, or 12 hours for a session).")
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
    from bootstrap import awsfiles, sessions

    temporary = sessions.profile_credentials(
        awsfiles.aws_paths(), profile, _codes(token_code, token_code_command), duration=duration
    )
    # Unmasked on purpose: printing the credentials is this command's job.
    click.echo(sessions.render_env(temporary, format_), nl=False)


@click.command("exec", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--profile", "-p", metavar="NAME", required=True, help="The profile whose credentials to use.")
@_token_code
@_token_code_command
@_duration_option(None, "Session length in seconds (default: the role's 1 hour, or 12 hours for a session).")
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

    from bootstrap import awsfiles, sessions

    temporary = sessions.profile_credentials(
        awsfiles.aws_paths(), profile, _codes(token_code, token_code_command), duration=duration
    )
    try:
        proc = subprocess.run(list(command), env=sessions.child_environ(os.environ, temporary), check=False)
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
@_token_code
@_token_code_command
@click.option(
    "--const-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The team's CONST.inc, for account names and known roles (default: ./CONST.inc or at the git root).",
)
@click.option(
    "--workers", type=click.IntRange(1, 64), default=16, show_default=True, help="Checks run at the same time."
)
def verify(
    patterns: tuple[str, ...],
    output: str,
    token_code: str | None,
    token_code_command: str | None,
    const_file: Path | None,
    workers: int,
) -> None:
    """Check that every profile works, and say in plain words why the others do not.

    Reads every profile from your AWS files as the SDKs do. Role profiles: assumes the role from its
    source profile and asks the new credentials who they are (a different account than the role_arn's is a
    failure). Session, key and credential_process profiles: GetCallerIdentity. At most one MFA code is asked
    per MFA device, and none while the source session is valid; nothing is written.

    Per profile: account id and name, role, result, AWS error code, reason (not in the trust policy, MFA
    required, expired session, role does not exist, wrong account returned, invalid key...), the session's
    remaining life, and how long the check took. Long-term keys older than 90 days get a warning.

    Exit status: 0 all pass, 1 any fails, 2 bad input.

    \b
    Example:
      aws-iam-bootstrap verify
      aws-iam-bootstrap verify --profile 'example-prod_*' --output json
    """
    import json

    from bootstrap import awsfiles
    from bootstrap import verify as core

    organisation = core.load_organisation(const_file, Path.cwd())
    report = core.verify(
        awsfiles.aws_paths(),
        _codes(token_code, token_code_command),
        patterns=patterns,
        organisation=organisation,
        max_workers=workers,
    )
    if output == "json":
        out(json.dumps(report.as_json(), indent=2))
    else:
        print_report(report)
    if not report.ok:
        raise CheckFailed(f"{len(report.failed)} of {len(report.checks)} profiles failed")


def print_report(report: Any) -> None:
    """Print a ``verify.VerifyReport`` as the table `verify` shows (also used by `demo`)."""
    import shutil

    from rich.console import Console
    from rich.table import Table

    from bootstrap import redact

    table = Table(title="AWS profiles", title_justify="left")
    for column in ("Profile", "Account", "Role", "Result", "Error", "Reason", "Session left", "Took"):
        table.add_column(column, overflow="fold")
    styles = {"ok": "green", "failed": "bold red", "skipped": "dim"}
    for check in report.checks:
        account = f"{check.account_id or '-'} {check.account_name or ''}".strip()
        left = _human(check.session_remaining) if check.session_remaining is not None else "-"
        reason = "; ".join(filter(None, [check.reason, *check.warnings])) or ""
        table.add_row(
            check.profile,
            account,
            check.role or "-",
            f"[{styles[check.result]}]{check.result.upper()}[/]",
            check.error_code or "",
            redact.mask(reason),
            left,
            f"{check.seconds:.2f}s",
        )
    # Piped (CI logs, grep) there is no width to fit: keep each profile on one line.
    width = shutil.get_terminal_size((220, 24)).columns if sys.stdout.isatty() else 220
    console = Console(width=width, highlight=False)
    console.print(table)
    failed = len(report.failed)
    codes = "no MFA code" if report.codes_asked == 0 else f"{report.codes_asked} MFA code(s)"
    console.print(f"{report.checked} checked, {failed} failed, {codes} asked, in {report.seconds:.1f}s.")
    for note in report.notes:
        console.print(f"Note: {redact.mask(note)}")


COMMANDS: list[click.Command] = [refresh, credential_process, verify, env, exec_]
