"""Commands: render (CONST.inc + templates -> the AWS files), console-links (switch-role URLs)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bootstrap.cli import options
from bootstrap.cli.environment import current
from bootstrap.cli.output import err, out
from bootstrap.errors import InputError, NeedsAnswer


def _parse_set(values: tuple[str, ...]) -> dict[str, str]:
    extra: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InputError(f"--set {item!r}: expected NAME=VALUE")
        extra[name] = value
    return extra


def _names(names: tuple[str, ...], shown: int = 10) -> str:
    if len(names) <= shown:
        return ", ".join(names)
    return f"{len(names)} profiles ({', '.join(names[:shown])} and {len(names) - shown} more)"


@click.command()
@options.team_files
@click.option("--user", help="Your IAM user name (AWS_USER).")
@click.option("--account-name", help="Your own profile's name (AWS_ACCOUNT_NAME). Default: DEV_AWS_ACCOUNT_NAME.")
@options.access_key("Your long-term access key id (AWS_ACCESS_KEY_ID).", "the secret access key")
@click.option("--mfa-serial", help="Your MFA device's serial (AWS_MFA_SERIAL).")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Override or add a variable (repeatable).")
@click.option("--prune", is_flag=True, help="Remove profiles the templates no longer produce.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--diff", "show_diff", is_flag=True, help="Show a unified diff of each file (secrets masked).")
def render(
    const_file: Path | None,
    config_template: Path | None,
    credentials_template: Path | None,
    user: str | None,
    account_name: str | None,
    access_key_id: str | None,
    secret_access_key_stdin: bool,
    mfa_serial: str | None,
    sets: tuple[str, ...],
    prune: bool,
    dry_run: bool,
    show_diff: bool,
) -> None:
    """Render CONST.inc and the two templates into your AWS config and credentials files.

    Only the profiles the templates produce are managed: every other line of your files stays as it was.
    Running it again changes nothing; after CONST.inc or a template changes, it updates just those profiles,
    reusing the keys already in your files (it never asks for the secret again).

    Values: the names the tool supplies (--user, --account-name, --access-key-id, the secret, --mfa-serial, or
    what your files already hold), then --set NAME=VALUE, then CONST.inc. Nothing is written when anything is
    wrong: every missing placeholder is listed at once, with its template line.

    Example, the first time (the secret comes from stdin or a hidden prompt, never from an argument):

    \b
        read -rs SECRET   # or take it from your password manager
        printf '%s' "$SECRET" | aws-iam-bootstrap render --access-key-id AKIA... --secret-access-key-stdin \\
            --mfa-serial arn:aws:iam::210987654321:mfa/alice

    Afterwards, whenever CONST.inc or a template changes:

    \b
        aws-iam-bootstrap render --diff
    """
    import atexit
    import gc

    from bootstrap.awsfiles.locations import aws_paths
    from bootstrap.cli.prompts import TerminalPrompter, secret_from_stdin
    from bootstrap.credentials import Credentials
    from bootstrap.team import render as core
    from bootstrap.team.inputs import find_inputs

    # The interpreter's last collection at exit would walk every object click, Jinja2 and the merge left behind,
    # to free none of them (the files are written and closed by then): ~12 ms of a render. Frozen, it skips them.
    atexit.register(gc.freeze)

    credentials = None
    prompter = None
    if secret_access_key_stdin:
        if access_key_id is None:
            raise InputError("--secret-access-key-stdin needs --access-key-id")
        credentials = Credentials(access_key_id, secret_from_stdin("Your secret access key"))
    elif sys.stdin.isatty():
        prompter = TerminalPrompter(interactive=True)
        if access_key_id is not None:
            credentials = Credentials(
                access_key_id, prompter.secret("Your secret access key", "--secret-access-key-stdin")
            )
    elif access_key_id is not None:
        raise NeedsAnswer("the secret access key for --access-key-id", "--secret-access-key-stdin")

    inputs = find_inputs(
        Path.cwd(), const_file=const_file, config_template=config_template, credentials_template=credentials_template
    )
    supplied = core.Supplied(
        user=user, account_name=account_name, credentials=credentials, mfa_serial=mfa_serial, extra=_parse_set(sets)
    )
    result = core.render(
        inputs, supplied, aws_paths(current().environ), prune=prune, dry_run=dry_run, prompter=prompter
    )

    for change in (result.config, result.credentials):
        if show_diff and change.changed:
            out(change.diff().rstrip("\n"))
    prefix = "would change" if dry_run else "changed"
    for change in (result.config, result.credentials):
        if not change.changed:
            out(f"{change.path}: no changes")
            continue
        parts = [
            f"{label} {_names(names)}"
            for label, names in (("added", change.added), ("updated", change.updated), ("removed", change.removed))
            if names
        ]
        out(f"{change.path}: {prefix}: {'; '.join(parts) or 'formatting only'}")
    if result.recovered:
        out(f"reused from your AWS files: {', '.join(result.recovered)}")
    for warning in result.warnings:
        err(f"warning: {warning}")


@click.command("console-links")
@options.const_file
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
def console_links(const_file: Path | None, fmt: str) -> None:
    """Print the AWS console switch-role link of every role in CONST.inc (production in red).

    Writes nothing anywhere: paste the markdown into your team's README or wiki yourself.

    Example:

        aws-iam-bootstrap console-links --format markdown
    """
    from bootstrap.team.const import load_const
    from bootstrap.team.inputs import find_const
    from bootstrap.team.links import console_links as links_of

    path = const_file if const_file is not None else find_const(Path.cwd())
    links = links_of(load_const(path))
    if not links:
        raise InputError(f"{path}: no roles found (expected <ENV>_AWS_ACCOUNT_ID and <ENV>_IAM_<KIND>_ROLE keys)")
    if fmt == "markdown":
        out("| account | role | switch role |")
        out("|---|---|---|")
        for link in links:
            out(
                f"| {link.account.name} ({link.account.id}) | {link.role.kind} | "
                f"[{link.display_name}]({link.url}) ({link.colour_name}) |"
            )
    else:
        for link in links:
            out(f"{link.display_name}\t{link.colour_name}\t{link.url}")
