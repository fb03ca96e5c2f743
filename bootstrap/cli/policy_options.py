"""Options and printers the policy commands share: which recorded calls (``--from``, ``--principal``, a time
window, ``--denied-only``), ``--prefix``, ``--out``/``--dry-run``, and the report of a generated policy (notes,
lint findings, ``--explain``, unmapped calls) on stderr."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bootstrap.cli.output import err, out
from bootstrap.errors import InputError

if TYPE_CHECKING:
    from bootstrap.policy.capture.calls import RecordedCall
    from bootstrap.policy.capture.files import Selection
    from bootstrap.policy.generate import Generated
    from bootstrap.policy.lint import Finding

F = TypeVar("F", bound=Callable[..., object])
PATHS = click.Path(path_type=Path, exists=False)
FILE = click.Path(path_type=Path, dir_okay=False)


def selection(command: F) -> F:
    command = click.option(
        "--denied-only", is_flag=True, help="Only calls refused for want of permission (AccessDenied and the like)."
    )(command)
    command = click.option("--until", metavar="TIME", help="Only calls at or before TIME (ISO 8601, UTC).")(command)
    command = click.option("--since", metavar="TIME", help="Only calls at or after TIME (ISO 8601, UTC).")(command)
    return click.option(
        "--principal",
        metavar="ARN",
        help="Only this principal's calls: a user, a role (any of its sessions) or one session's ARN.",
    )(command)


prefix_option = click.option(
    "--prefix",
    metavar="NAME",
    help="Scope resources to names starting with NAME (arn:aws:s3:::NAME*, ...:function:NAME*), as in a shared "
    "account; without it, the exact ARNs recorded.",
)


def writes(command: F) -> F:
    command = click.option(
        "--dry-run", is_flag=True, help="With --out: show what would be written (a diff), write nothing."
    )(command)
    return click.option("--out", "out_path", type=FILE, help="Write the policy to FILE instead of stdout.")(command)


def _time(text: str | None, flag: str) -> Any:
    from bootstrap.policy.capture.files import parse_time

    if text is None:
        return None
    parsed = parse_time(text)
    if parsed is None:
        raise InputError(f"{flag} {text!r}: not an ISO 8601 time (e.g. 2026-01-31T09:00:00Z)")
    return parsed


def select(principal: str | None, since: str | None, until: str | None, denied_only: bool) -> Selection:
    from bootstrap.policy.capture.files import Selection

    return Selection(principal, _time(since, "--since"), _time(until, "--until"), denied_only)


def read(paths: Sequence[Path], selection: Selection) -> list[RecordedCall]:
    from bootstrap.policy.capture.files import read_calls

    if not paths:
        raise InputError("name the recorded calls: --from FILE (a journal, a record, or CloudTrail files)")
    calls = read_calls(paths, selection)
    if not calls:
        who = f" by {selection.principal}" if selection.principal else ""
        raise InputError(f"no calls{who} in {', '.join(map(str, paths))} (with these filters)")
    principals = {c.role or c.principal for c in calls}
    if selection.principal is None and len(principals) > 1:
        err(f"note: these calls come from {len(principals)} principals; --principal ARN keeps one's")
    return calls


def write(path: Path | None, text: str, *, dry_run: bool) -> None:
    """``text`` to stdout, or atomically to ``path``; with ``dry_run``, the diff it would make."""
    if path is None:
        out(text, nl=False)
        return
    from bootstrap.awsfiles.safewrite import read_text, write_private

    before = read_text(path)
    if dry_run:
        import difflib

        diff = difflib.unified_diff((before or "").splitlines(True), text.splitlines(True), str(path), str(path))
        shown = "".join(diff)
        out(shown if shown else f"# {path}: unchanged", nl=not shown)
        err(f"dry run: {path} not written")
        return
    write_private(path, text, backup=before is not None and before != text)
    err(f"wrote {path}")


# --- reports --------------------------------------------------------------------------------------------------


def report(generated: Generated, findings: Sequence[Finding], *, explain: bool) -> None:
    for note in generated.notes:
        err(f"note: {note}")
    for finding in findings:
        err(str(finding))
    if explain:
        for statement in generated.statements:
            err(f"# {statement.sid}: {', '.join(statement.actions)} on {', '.join(statement.resources)}")
            seen: dict[str, list[str]] = {}
            for reason in statement.reasons:
                line = reason.describe()
                lines = seen.setdefault(reason.needed.action if not reason.dependent_of else reason.dependent_of, [])
                if line not in lines:
                    lines.append(line)
            for action, lines in sorted(seen.items()):
                for line in lines[:5]:
                    err(f"#   {action}: {line}")
                if len(lines) > 5:
                    err(f"#   {action}: ... and {len(lines) - 5} more calls")
    for unmapped in generated.unmapped:
        err(f"unmapped: {unmapped.call.describe()}: {unmapped.reason}")
    err(
        f"{generated.calls} calls -> {len(generated.actions)} actions in {len(generated.statements)} statements"
        + (f"; {len(generated.unmapped)} calls not mapped (not in the policy)" if generated.unmapped else "")
    )
