"""An error nobody foresaw: one line for the person, and with ``--debug`` the whole traceback, masked, in a 0600
log beside the tool's other files (never on the terminal: a traceback can hold values that are not ours to show).
"""

from __future__ import annotations

import traceback
from datetime import UTC, datetime

from bootstrap import redact
from bootstrap.cli.environment import Environment


def report(exc: BaseException, environment: Environment | None) -> str:
    """The line to show for ``exc``; with debugging on, the traceback goes to the log it names."""
    summary = f"unexpected {type(exc).__name__}: {redact.mask(str(exc))}"
    if environment is None or not environment.debug:
        return f"{summary} (a bug: run again with --debug for a log to report it with)"
    from bootstrap.awsfiles import safewrite
    from bootstrap.awsfiles.locations import aws_paths, debug_log

    path = debug_log(aws_paths(environment.environ))
    text = redact.mask("".join(traceback.format_exception(exc)))
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        safewrite.private_dir(path.parent)
        safewrite.write_private(path, f"{stamp}\n{text}", backup=False, follow_links=False)
    except Exception as failed:
        return f"{summary} (the debug log could not be written: {failed})"
    return f"{summary}; the traceback (secrets masked) is in {path}"
