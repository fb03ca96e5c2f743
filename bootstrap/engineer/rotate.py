"""``rotate-key``: replace the long-term key of ``[NAME-long-term]``: create the new key, prove it works, write it,
then retire the old key with the new one (under an MFA session of the new key). At every point the file holds a
working key and IAM at most two; a re-run finishes or rolls back what an interrupted run left.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bootstrap import limits
from bootstrap.aws import iam
from bootstrap.awsfiles import layout
from bootstrap.clock import Clock, SystemClock
from bootstrap.engineer.codes import CODE_FLAG, CodeSource
from bootstrap.engineer.onboard import require_user
from bootstrap.engineer.progress import Progress, RotateState
from bootstrap.engineer.steps import EventSink, Run, free_slot, valid_session, warn_old
from bootstrap.errors import NeedsAnswer, StateError

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.prompts import Prompter

ROTATE_STEPS = {
    1: "Current key",
    2: "MFA session",
    3: "Keys in IAM",
    4: "New key",
    5: "Write the new key",
    6: "Retire the old key, with the new one",
}


@dataclass(frozen=True)
class RotateResult:
    profile: str
    user: str
    old_key_id: str | None
    new_key_id: str | None
    dry_run: bool


def rotate_key(
    paths: AwsPaths,
    prompter: Prompter,
    code_source: CodeSource,
    on_event: EventSink,
    *,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
    delete_extra_key: str | None = None,
    dry_run: bool = False,
    duration: int = limits.SESSION_DEFAULT,
    clock: Clock | None = None,
) -> RotateResult:
    """Replace the long-term key of ``[NAME-long-term]``: create, prove, write, then retire the old key with the
    new one. At every point the file holds a working key and IAM at most two; a re-run finishes or rolls back."""
    from bootstrap.awsfiles.profiles import load_profiles

    run = Run(on_event, clock or SystemClock(), code_source, ROTATE_STEPS)
    profiles = load_profiles(paths)
    name = layout.session_profile_name(profiles, profile, environ or {})
    lt = layout.long_term(profiles, name)
    store = Progress(paths, "rotate", name, dry_run=dry_run)
    with store.held():
        state = store.load(RotateState)
        current = lt.credentials

        with run.step(1):
            identity = iam.works(current)
            if identity is None:
                raise StateError(
                    f"the key {current.access_key_id} in [{lt.profile}] does not work (IAM deactivated or deleted it):"
                    " ask an administrator for a one-time key and run `aws-iam-bootstrap onboard`"
                )
            require_user(identity)
            user = identity.user_name
            state.user = user
            run.done(1, f"{current.access_key_id} of {identity.arn}")

        with run.step(2):
            if lt.mfa_serial is not None and not dry_run and not code_source.can_answer:
                # The new key's own MFA session needs a code: refuse now, not with two keys in IAM.
                raise NeedsAnswer("an MFA code (for a session of the new key)", CODE_FLAG)
            session_key_id: str | None = None
            if lt.mfa_serial is None:
                session = current
                run.done(2, f"no MFA device named in [{lt.profile}]: using the key itself")
            else:
                found = valid_session(profiles.get(name, {}), identity.arn, run.clock)
                if found is not None:
                    session = found
                    run.done(2, f"reusing the MFA session in [{name}]")
                elif dry_run:
                    session = current
                    run.note(2, "would ask for a code and get an MFA session", "dry-run")
                    run.done(2, "dry run")
                else:
                    session = run.new_session(paths, name, current, lt.mfa_serial, duration)
                    session_key_id = current.access_key_id
                    run.done(2, f"MFA session written into [{name}]")

        with run.step(3):
            if dry_run and lt.mfa_serial is not None and session is current:
                run.note(3, "would list your keys, create a new one, prove and write it, retire the old", "dry-run")
                run.done(3, "dry run")
                return RotateResult(name, user, current.access_key_id, None, True)
            key_list = iam.list_keys(session, user)
            warn_old(run, 3, key_list, current.access_key_id)
            old_to_retire: str | None = None
            for other in [k for k in key_list if k.key_id != current.access_key_id]:
                if other.key_id == state.old_key_id and current.access_key_id != state.old_key_id:
                    old_to_retire = other.key_id
                    run.note(3, f"an earlier rotation wrote {current.access_key_id}; {other.key_id} is left to retire")
                elif state.keys_before_create is not None and other.key_id not in state.keys_before_create:
                    why = "an interrupted rotation created it, never wrote it"
                    if dry_run:
                        run.note(3, f"would roll back key {other.key_id}: {why}", "dry-run")
                        continue
                    iam.delete_key(session, user, other.key_id)
                    run.note(3, f"rolled back key {other.key_id}: {why}")
                    key_list = [k for k in key_list if k.key_id != other.key_id]
            run.done(3, ", ".join(f"{k.key_id} ({k.status.lower()})" for k in key_list))
            if old_to_retire is None and state.old_key_id and current.access_key_id != state.old_key_id:
                # The file holds the key of an earlier rotation and its old key is gone: that rotation had finished
                # (it stopped before forgetting its progress). Doing another now would rotate twice.
                store.remove()
                run.note(3, f"an earlier rotation to {current.access_key_id} had already finished")
                return RotateResult(name, user, state.old_key_id, current.access_key_id, dry_run)

        new_key_id: str | None
        if old_to_retire is not None:
            new_key = current
            new_key_id = current.access_key_id
        else:
            with run.step(4):
                if dry_run:
                    run.note(
                        4, f"would create a new key and prove it works, then retire {current.access_key_id}", "dry-run"
                    )
                    run.done(4, "dry run")
                    return RotateResult(name, user, current.access_key_id, None, True)
                key_list = free_slot(
                    run,
                    4,
                    session,
                    user,
                    key_list,
                    {current.access_key_id},
                    prompter,
                    delete_extra_key,
                    "so the rotation can create a new key",
                )
                state.old_key_id = current.access_key_id
                state.keys_before_create = [k.key_id for k in key_list]
                state.new_key_id = None
                store.save(state)
                new = iam.create_key(session, user)
                try:
                    iam.wait_until_works(new.credentials, run.clock)
                except BaseException:
                    # A key that never worked is rolled back; if that fails too, the next run does it.
                    with suppress(Exception):
                        iam.delete_key(session, user, new.key_id)
                    raise
                run.done(4, f"created {new.key_id}; it works")

            with run.step(5):
                try:
                    layout.write_key(paths, lt.profile, new.credentials)
                except BaseException:
                    # Best effort: if this fails too, the progress file lets the next run roll the key back.
                    with suppress(Exception):
                        iam.delete_key(session, user, new.key_id)
                    raise
                state.new_key_id, state.keys_before_create = new.key_id, None
                store.save(state)
                new_key = new.credentials
                new_key_id = new.key_id
                old_to_retire = current.access_key_id
                run.done(5, f"[{lt.profile}] now holds {new.key_id} (a backup of the old file was kept)")

        with run.step(6):
            if lt.mfa_serial is None:
                retire_with = new_key
            elif session_key_id == new_key_id:
                retire_with = session
            else:
                # The old key's session would do, but proving the new key can manage keys is the point.
                retire_with = run.new_session(paths, name, new_key, lt.mfa_serial, duration)
                run.note(6, f"new MFA session from the new key written into [{name}]")
            iam.deactivate_key(retire_with, user, old_to_retire)
            iam.delete_key(retire_with, user, old_to_retire)
            store.remove()
            run.done(6, f"deactivated and deleted {old_to_retire}")
        return RotateResult(name, user, old_to_retire, new_key_id, False)
