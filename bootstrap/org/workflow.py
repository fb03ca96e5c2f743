"""What each ``org`` command does, read top to bottom: the click layer parses flags and prints, these functions
read the files, plan, ask through the ``Prompter`` seam, change, and report events.

The users file is edited first (it states the intent, so an interrupted run is finished by running it again),
then the accounts that the edit changes are applied, then a new person's credentials are handed over. A dry run
reads and plans and writes nothing, anywhere.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from bootstrap.errors import InputError
from bootstrap.org import apply, cloudformation, load, plan, state
from bootstrap.org.accounts import Access
from bootstrap.org.model import USERS_ENV, Organisation, Person
from bootstrap.org.users_file import Editor
from bootstrap.prompts import Prompter

DEFAULT_OUT: Final = Path("cfn") / "infra"
Sink = Callable[[object], None]
Reach = Callable[[Organisation, list[str]], Mapping[str, Access]]  # accounts by env, each checked


@dataclass(frozen=True)
class Planned:
    """A plan shown before anything changes (``org plan``, and each command before it applies)."""

    plan: plan.Plan
    against: str  # "the accounts" or "cfn/infra (last rendered)"


@dataclass(frozen=True)
class Written:
    path: Path
    changed: bool


@dataclass(frozen=True)
class FileEdited:
    path: Path
    dry_run: bool


@dataclass(frozen=True)
class HandedOver:
    """Where the new person's first credentials went (never the credentials themselves)."""

    user: str
    path: Path | None  # None: shown on stdout (--print-secrets) by the printer from ``handover``
    handover: object  # people.Handover, for the printer when shown on stdout


@dataclass(frozen=True)
class AlreadyHandedOver:
    user: str


@dataclass(frozen=True)
class Removed:
    user: str
    existed: bool


# --- the files -----------------------------------------------------------------------------------------------------


def out_dir(sources: load.Sources, given: Path | None) -> Path:
    """Where templates are rendered: as given, else ``cfn/infra`` beside CONST.inc."""
    return given if given is not None else sources.const_file.parent / DEFAULT_OUT


def render(org: Organisation, directory: Path, *, dry_run: bool = False) -> list[Written]:
    """Write every account's template into ``directory`` (only files whose bytes change are rewritten)."""
    written: list[Written] = []
    for name, text in cloudformation.render_all(org).items():
        path = directory / name
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        changed = old != text
        if changed and not dry_run:
            write_text(path, text)
        written.append(Written(path, changed))
    return written


def write_text(path: Path, text: str) -> None:
    """Replace a repository file atomically, keeping its mode (a team file, not a secret: not 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def plan_offline(org: Organisation, directory: Path) -> Planned:
    """The plan against the templates last rendered into ``directory`` (no AWS call)."""
    old_states: dict[str, state.AccountState] = {}
    old_texts: dict[str, str] = {}
    wanted = state.desired(org)
    kinds = {r.name: r.kind for s in wanted.values() for r in s.roles}
    new_texts = {cloudformation.file_name(env): cloudformation.render(s) for env, s in wanted.items()}
    for env in wanted:
        path = directory / cloudformation.file_name(env)
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            old_texts[path.name] = text
            if text == new_texts[path.name]:
                old_states[env] = wanted[env]  # the same bytes: the same state, no need to read it back
                continue
            found = cloudformation.parse(text, str(path), kinds)
            old_states[env] = replace(wanted[env], groups=found.groups, roles=found.roles)
    made = plan.make(old_states, wanted, org.users_account_id, old_texts=old_texts, new_texts=new_texts)
    return Planned(made, f"{directory} (the templates last rendered there)")


# --- editing the users file -----------------------------------------------------------------------------------------


def parse_grants(items: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """``DEV:ADMIN`` arguments -> {"DEV": ("ADMIN",)} (``DEV:ADMIN,OPS`` gives both)."""
    grants: dict[str, list[str]] = {}
    for item in items:
        env, sep, kinds = item.partition(":")
        if not sep or not env or not kinds:
            raise InputError(f"{item!r}: expected ENV:KIND, such as DEV:ADMIN")
        for kind in kinds.split(","):
            grants.setdefault(env.strip().upper(), [])
            if kind.strip().upper() not in grants[env.strip().upper()]:
                grants[env.strip().upper()].append(kind.strip().upper())
    return {env: tuple(kinds) for env, kinds in grants.items()}


def edited(sources: load.Sources, edit: Callable[[Editor], None]) -> tuple[Organisation, Organisation, str]:
    """(the organisation before, after, the file's new text): ``edit`` applied to the users file, and the result
    checked against CONST.inc with the same errors as reading it."""
    from bootstrap.org import users_file
    from bootstrap.team.const import load_const

    variables = load_const(sources.const_file)
    editor = Editor.open(sources.users_file)
    before = load.organisation(variables, users_file.read(editor.document, str(sources.users_file)))
    edit(editor)
    text = editor.text()
    after = load.organisation(variables, users_file.parse(text, str(sources.users_file)))
    return before, after, text


Grants = Mapping[str, tuple[str, ...]]
Edit = Callable[[Editor], None]


def add_user_edit(org: Organisation, name: str, grants: Grants, power: bool) -> Edit:
    """The edit that adds ``name``; refused when the file already has them with other grants (that is
    ``org grant``/``org revoke``'s job), a no-op when it has them exactly (a re-run)."""
    load.check_name(name)
    existing = org.person(name)
    if existing is None:
        clash = next((p.name for p in org.people if p.name.lower() == name.lower()), None)
        if clash:
            raise InputError(f"{name!r} and {clash!r} are the same user to IAM (names are case-insensitive)")
        return lambda editor: editor.add_user(name, grants, power=power)
    if dict(existing.grants) != dict(grants) or existing.power != power:
        raise InputError(
            f"{name} is already in the users file with other grants; use `org grant` or `org revoke` to change them"
        )
    return lambda editor: None


def grant_edit(org: Organisation, name: str, grants: Grants, *, revoke: bool) -> Edit:
    person = org.person(name)
    if person is None:
        raise InputError(f"{name} is not in the users file (add them with `org add-user {name}`)")

    def edit(editor: Editor) -> None:
        for env, kinds in grants.items():
            current = person.grants.get(env, ())
            if revoke:
                updated = tuple(k for k in current if k not in kinds)
            else:
                updated = (*current, *(k for k in kinds if k not in current))
            editor.set_grants(name, env, updated)

    return edit


# --- applying -------------------------------------------------------------------------------------------------------


def deploy(
    org: Organisation,
    envs: list[str],
    reach: Reach,
    method: apply.Method,
    prompter: Prompter,
    on_event: Sink,
    *,
    yes: bool,
    dry_run: bool,
) -> apply.Prepared | None:
    """Plan the accounts of ``envs`` (read from them), show it, and apply once accepted; None when nothing
    changes. Every account is reached and checked before any is changed."""
    if not envs:
        return None
    access = reach(org, envs)
    prepared = apply.prepare(org, access, method)
    on_event(Planned(prepared.plan, "the accounts"))
    if not prepared.envs:
        return None
    if dry_run:
        return prepared
    if not yes and not prompter.confirm(f"Apply to {', '.join(prepared.envs)}?", "--yes"):
        raise InputError("not applied (declined); nothing was changed")
    confirm = None if yes else (lambda question: prompter.confirm(question, "--yes"))
    apply.execute(prepared, on_event, confirm)
    return prepared


def all_envs(org: Organisation) -> list[str]:
    return [USERS_ENV, *(a.env for a in org.accounts)]


def people_envs(before: Organisation, after: Organisation) -> list[str]:
    """The accounts an edit of the users file changes (USERS first)."""
    return apply.changed_envs(before, after)


def person(org: Organisation, name: str) -> Person | None:
    return org.person(name)


# --- people ---------------------------------------------------------------------------------------------------------


def handover_path(name: str, given: Path | None) -> Path:
    """Where a new person's first credentials are written (0600, in a 0700 directory): as given, else under the
    tool's own directory beside your AWS credentials file, never in the repository."""
    if given is not None:
        return given
    from bootstrap.awsfiles.locations import aws_paths, tool_dir

    return tool_dir(aws_paths()) / "handover" / f"{name}.txt"


def hand_over(org: Organisation, users: Access, name: str, on_event: Sink, *, to: Path | None) -> None:
    """``name``'s first console password and access key, once: written to ``to`` (0600), or given to the printer
    (``to`` None: the admin asked for stdout). A person already handed over is left alone."""
    from bootstrap.awsfiles.safewrite import private_dir, write_private
    from bootstrap.org import people

    iam = users.client("iam")
    if not people.pending(iam, name):
        on_event(AlreadyHandedOver(name))
        return
    handover = people.hand_over(iam, name, org.users_account_id, org.users_account_name)
    if to is not None:
        private_dir(to.parent)
        write_private(to, handover.text(), backup=False)
    on_event(HandedOver(name, to, handover))
    people.handed_over(iam, name)


def remove_person(users: Access, name: str, on_event: Sink) -> None:
    """Delete ``name`` from the users account, in the order IAM requires (nothing when already gone)."""
    from bootstrap.org import people

    existed = people.remove(users.client("iam"), name, on_event)
    on_event(Removed(name, existed))
