"""Commands: onboard (a one-time key becomes your own key behind MFA), rotate-key (replace your key safely).

Only click and the small errors/output modules are imported here; the core (and boto3) is imported inside each
command. The core reports steps as events; ``StepPrinter`` shows them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bootstrap import limits
from bootstrap.cli import options
from bootstrap.cli.environment import current
from bootstrap.cli.output import StepPrinter, out
from bootstrap.errors import InputError

if TYPE_CHECKING:
    from bootstrap.credentials import Credentials
    from bootstrap.prompts import Prompter


_token_code_command = options.token_code_command(
    "A command printing the current MFA code on its first line (e.g. a password manager's otp command); "
    "run without a shell, again for each code (waiting for the next 30-second window when needed)."
)
_delete_extra_key = click.option(
    "--delete-extra-key",
    metavar="KEYID",
    help="When you already have two access keys: agree to delete this one (it is not in your AWS files).",
)
_non_interactive = click.option(
    "--non-interactive", is_flag=True, help="Never prompt: every answer comes from flags and stdin."
)
_dry_run = click.option("--dry-run", is_flag=True, help="Say what would be done; change nothing in AWS or your files.")
_duration = options.duration(limits.SESSION_DEFAULT, "Seconds the MFA session lasts.")


def _prompter(non_interactive: bool) -> Prompter:
    from bootstrap.cli.prompts import TerminalPrompter
    from bootstrap.prompts import NoPrompter

    return NoPrompter() if non_interactive else TerminalPrompter()


def _one_time_key(access_key_id: str | None, secret_stdin: bool, prompter: Prompter) -> Credentials | None:
    from bootstrap.cli.prompts import secret_from_stdin
    from bootstrap.credentials import Credentials

    if secret_stdin:
        if access_key_id is None:
            raise InputError("--secret-access-key-stdin needs --access-key-id")
        return Credentials(access_key_id.strip(), secret_from_stdin("One-time secret access key"))
    if access_key_id is not None:
        return Credentials(
            access_key_id.strip(), prompter.secret("One-time secret access key", "--secret-access-key-stdin")
        )
    return None


@click.command()
@options.team_files
@click.option("--account-name", help="Your own profile's name (NAME). Default: DEV_AWS_ACCOUNT_NAME.")
@options.access_key("The one-time access key id your administrator gave you.", "the one-time secret access key")
@_token_code_command
@_delete_extra_key
@click.option(
    "--qr-png", type=options.FILE, help="Also write the new MFA device's QR code to this PNG file (mode 0600)."
)
@click.option("--show-seed", is_flag=True, help="Also show the new MFA device's seed, to type into an app.")
@_duration
@_non_interactive
@_dry_run
def onboard(
    const_file: Path | None,
    config_template: Path | None,
    credentials_template: Path | None,
    account_name: str | None,
    access_key_id: str | None,
    secret_access_key_stdin: bool,
    token_code_command: str | None,
    delete_extra_key: str | None,
    qr_png: Path | None,
    show_seed: bool,
    duration: int,
    non_interactive: bool,
    dry_run: bool,
) -> None:
    """From the one-time access key you were given to your own key, behind MFA, with every profile working.

    \b
    1. who am I: the key must be an IAM user's, in the team's users-only account
    2. virtual MFA: a QR code to scan, then two codes from consecutive 30-second windows
    3. an MFA session (a third, fresh code), written into [NAME]
    4. your own access key, written into [NAME-long-term]; the one-time key deleted
    5. the AWS files rendered from CONST.inc and the templates
    6. every role profile assumed, to show which work
    7. the console links, and what to run tomorrow morning

    Interrupted? Run it again: it continues where it stopped, never making a second device or a stray key.

    Example (asks for the key and the codes):

        aws-iam-bootstrap onboard

    Example, without a terminal (the secret on stdin, codes from a password manager):

    \b
        printf '%s\\n' "$SECRET" | aws-iam-bootstrap onboard --non-interactive \\
            --access-key-id AKIA... --secret-access-key-stdin --token-code-command 'op item get aws --otp'
    """
    from bootstrap.awsfiles.locations import aws_paths
    from bootstrap.engineer import onboard as core
    from bootstrap.team.inputs import find_inputs

    prompter = _prompter(non_interactive)
    environment = current()
    inputs = find_inputs(
        Path.cwd(),
        const_file=const_file,
        config_template=config_template,
        credentials_template=credentials_template,
    )
    chosen = core.OnboardOptions(
        paths=aws_paths(environment.environ),
        inputs=inputs,
        account_name=account_name,
        one_time_key=_one_time_key(access_key_id, secret_access_key_stdin, prompter),
        delete_extra_key=delete_extra_key,
        qr_png=qr_png,
        show_seed=show_seed,
        dry_run=dry_run,
        duration=duration,
    )
    result = core.onboard(
        chosen,
        prompter,
        options.code_source(None, token_code_command, prompter),
        StepPrinter(len(core.ONBOARD_STEPS)),
        clock=environment.clock,
    )
    out()
    if result.dry_run:
        out("Dry run: nothing was changed.")
    else:
        works = len(result.roles) - len(result.refused_roles)
        out(f"Onboarded {result.user}: key {result.key_id}, MFA {result.mfa_serial}, {works} role profile(s) work.")


@click.command("rotate-key")
@click.option("--profile", help="Your session profile NAME (its key is in [NAME-long-term]). Default: the only one.")
@_token_code_command
@_delete_extra_key
@_duration
@_non_interactive
@_dry_run
def rotate_key(
    profile: str | None,
    token_code_command: str | None,
    delete_extra_key: str | None,
    duration: int,
    non_interactive: bool,
    dry_run: bool,
) -> None:
    """Replace your long-term access key: create a new one, prove it works, write it, retire the old one.

    The old key is deactivated and deleted with the new key (under an MFA session of the new key: one more
    code). Whatever happens, your credentials file keeps a working key and IAM never holds more than two; if
    it is interrupted, run it again to finish (or roll back) what was left.

    Example:

        aws-iam-bootstrap rotate-key --profile example-dev
    """
    from bootstrap.awsfiles.locations import aws_paths
    from bootstrap.engineer import rotate as core

    prompter = _prompter(non_interactive)
    environment = current()
    result = core.rotate_key(
        aws_paths(environment.environ),
        prompter,
        options.code_source(None, token_code_command, prompter),
        StepPrinter(len(core.ROTATE_STEPS)),
        profile=profile,
        environ=environment.environ,
        delete_extra_key=delete_extra_key,
        dry_run=dry_run,
        duration=duration,
        clock=environment.clock,
    )
    out()
    if result.dry_run:
        out("Dry run: nothing was changed.")
    else:
        out(f"Rotated: {result.old_key_id} -> {result.new_key_id} in [{result.profile}-long-term].")
