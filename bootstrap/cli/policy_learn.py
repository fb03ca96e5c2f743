"""Command: policy learn (the deny-and-append loop on an embedded sandbox: each denied call becomes permission
at call time)."""

from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from bootstrap.cli.output import err, out

if TYPE_CHECKING:
    from bootstrap.policy.learn import Learned, Learner

LEVELS = ("List", "Read", "Write", "Permissions management", "Tagging")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@click.command()
@click.option("--principal", required=True, metavar="ARN", help="The user (created if missing) or role that learns.")
@click.option(
    "--deny-first", is_flag=True, help="Refuse each new call once, then allow its retry (the CloudTrail loop's way)."
)
@click.option("--prefix", metavar="NAME", help="Scope what is learned to names starting with NAME.")
@click.option(
    "--out", "out_file", type=click.Path(path_type=Path, dir_okay=False), help="Keep the policy in FILE as it grows."
)
@click.option("--review", is_flag=True, help="On Ctrl-C, ask per access level (List, Read, ...) whether to keep it.")
@click.option(
    "--keep",
    multiple=True,
    type=click.Choice(LEVELS, case_sensitive=False),
    help="Keep only these access levels in the final policy (what --review asks; repeatable).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port on 127.0.0.1. Default: a free one.")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to write learner.env (the learner's exports, its secret key included: 0600). Default: a temporary "
    "directory, removed on exit.",
)
@click.option("--journal", type=click.Path(path_type=Path, dir_okay=False), help="Also journal every call (0600).")
def learn(
    principal: str,
    deny_first: bool,
    prefix: str | None,
    out_file: Path | None,
    review: bool,
    keep: tuple[str, ...],
    port: int,
    directory: Path | None,
    journal: Path | None,
) -> None:
    """Learn a principal's least policy on the sandbox: every call its policy denies is added at call time.

    Starts the sandbox with the principal (a user starting with no permissions, created if missing, or an
    existing role). Source learner.env, then follow your written procedure: each call the policy lacks is added
    (its action on its resource, exact or --prefix scoped) and goes through, in well under a second (through CloudTrail:
    minutes through CloudTrail, CloudWatch Logs and a Lambda). With --deny-first the call is refused once and its
    retry succeeds. Ctrl-C ends the session and prints the policy, grouped by access level; --review asks whether
    to keep each group (the List/Describe calls a console page makes), --keep answers without asking.

    \b
    Example:
      aws-iam-bootstrap policy learn --principal arn:aws:iam::210987654321:user/deployer --out learned.json \\
          --journal learned.jsonl --review
      # in another terminal: source the learner.env it names, then run your procedure
      aws-iam-bootstrap policy prove learned.json --replay learned.jsonl --principal arn:aws:iam::...:user/deployer
    """
    import shlex
    import shutil
    import tempfile

    from bootstrap.awsfiles.safewrite import private_dir, write_private
    from bootstrap.cli.prompts import TerminalPrompter
    from bootstrap.errors import NeedsAnswer
    from bootstrap.policy import document
    from bootstrap.policy.learn import Learner, prepare
    from bootstrap.sandbox import start_sandbox

    if review and keep:
        raise click.UsageError("--review asks what --keep says: give one of them")
    if review and not TerminalPrompter().interactive:
        # said now, not after the whole session: the review comes when the person stops it
        raise NeedsAnswer("--review asks at a terminal which access levels to keep", "--keep LEVEL")
    root = Path(tempfile.mkdtemp(prefix="aws-iam-bootstrap-learn-")) if directory is None else directory
    private_dir(root)
    running = start_sandbox(port=port, journal=journal)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        key = prepare(running, principal)
        exports = dict(running.environ())
        if key is not None:
            exports.update({"AWS_ACCESS_KEY_ID": key.access_key_id, "AWS_SECRET_ACCESS_KEY": key.secret_access_key})
        env_file = root / "learner.env"
        lines = [f"export {name}={shlex.quote(value)}" for name, value in exports.items()]
        write_private(env_file, "\n".join([*lines, "unset AWS_PROFILE AWS_SESSION_TOKEN"]) + "\n", backup=False)
        out(f"# sandbox at {running.endpoint_url}; learning for {principal}")
        out(f"# run your procedure after: source {env_file}")
        if key is None:
            out("# (a role: assume it with credentials the sandbox knows, then work as it)")
        else:
            out(f"#   access key id {key.access_key_id} (its secret is in that 0600 file)")
        out("# Ctrl-C ends the session and prints the policy.")

        def learned(event: Learned) -> None:
            resources = ", ".join(dict.fromkeys(a.resource for a in event.authorizations))
            actions = ", ".join(dict.fromkeys(a.action for a in event.authorizations))
            then = "allowed now" if event.retried else "refused this time: retry"
            err(
                f"learned {actions} ({', '.join(event.levels)}) on {resources} in {event.seconds * 1000:.1f} ms; {then}"
            )
            if out_file is not None:
                write_private(out_file, document.dumps(learner.result().document), backup=False)

        with Learner(running, principal, deny_first=deny_first, prefix=prefix, on_learned=learned) as learner:
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
            _finish(learner, review=review, keep=keep, out_file=out_file)
    finally:
        signal.signal(signal.SIGTERM, previous)
        running.stop()
        if directory is None:
            shutil.rmtree(root, ignore_errors=True)


def _finish(learner: Learner, *, review: bool, keep: tuple[str, ...], out_file: Path | None) -> None:
    from bootstrap.awsfiles.safewrite import write_private
    from bootstrap.cli.prompts import TerminalPrompter
    from bootstrap.policy import document

    groups = learner.groups()
    err("")
    err(f"learned {sum(len(a) for a in groups.values())} actions from {len(learner.learned)} refused calls:")
    for level, actions in groups.items():
        err(f"  {level}: {', '.join(actions)}")
    kept: list[str] | None = list(keep) or None
    if review:
        prompter = TerminalPrompter()
        kept = [
            level
            for level, actions in groups.items()
            if prompter.confirm(f"Keep the {len(actions)} {level} action(s)?", "--keep", default=level != "List")
        ]
    result = learner.result(keep=kept)
    text = document.dumps(result.document)
    if out_file is not None:
        write_private(out_file, text, backup=False)
        err(f"wrote {out_file}")
    else:
        out(text, nl=False)
