"""``onboard``: from a one-time key to the engineer's own key behind MFA, with every profile working.

1. who am I (the key must be an IAM user's, in the team's users-only account); 2. a virtual MFA device (QR code,
two codes of consecutive windows); 3. an MFA session into ``[NAME]``; 4. the engineer's own key into
``[NAME-long-term]``, the one-time key deleted; 5. the AWS files rendered; 6. every role profile checked, with the
same check ``verify`` makes; 7. the console links.

Re-running after any interruption continues where it stopped: a secret is never held only in memory across an
AWS call that could be the last (a new key is written right after CreateAccessKey, the MFA session right after
GetSessionToken), and the progress file (``progress``) records what was about to be created.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bootstrap import arns, limits
from bootstrap.aws import codes, iam, sts
from bootstrap.awsfiles import layout
from bootstrap.clock import Clock, SystemClock
from bootstrap.credentials import Credentials
from bootstrap.engineer import mfa, roles
from bootstrap.engineer.codes import CodeSource
from bootstrap.engineer.progress import OnboardState, Progress
from bootstrap.engineer.steps import (
    EventSink,
    Links,
    RoleChecked,
    Run,
    create_and_write,
    free_slot,
    valid_session,
    warn_old,
)
from bootstrap.errors import AwsError, InputError, StateError

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.awsfiles.store import FileChange
    from bootstrap.prompts import Prompter
    from bootstrap.team.inputs import RenderInputs

_KEY_ID = re.compile(r"^[A-Z0-9]{16,128}$")


ONBOARD_STEPS = {
    1: "Who am I",
    2: "Virtual MFA device",
    3: "MFA session",
    4: "Your own access key",
    5: "Write the AWS files",
    6: "Check the roles",
    7: "Console links, and tomorrow morning",
}


@dataclass(frozen=True)
class OnboardOptions:
    """Everything ``onboard`` takes from flags. ``one_time_key`` None: ask for it (or use the key a previous run
    left in ``[NAME-long-term]``)."""

    paths: AwsPaths
    inputs: RenderInputs
    account_name: str | None = None
    one_time_key: Credentials | None = None
    delete_extra_key: str | None = None
    qr_png: Path | None = None
    show_seed: bool = False
    dry_run: bool = False
    duration: int = limits.SESSION_DEFAULT


@dataclass(frozen=True)
class OnboardResult:
    profile: str
    user: str
    account: str
    mfa_serial: str | None
    key_id: str | None
    roles: tuple[RoleChecked, ...]
    dry_run: bool

    @property
    def refused_roles(self) -> tuple[RoleChecked, ...]:
        return tuple(r for r in self.roles if not r.ok)


def onboard(
    options: OnboardOptions,
    prompter: Prompter,
    code_source: CodeSource,
    on_event: EventSink,
    *,
    clock: Clock | None = None,
) -> OnboardResult:
    """Run (or continue) an onboarding: identity, MFA device, MFA session, own key, files, role checks, links."""
    from bootstrap.awsfiles.profiles import load_profiles
    from bootstrap.team.const import load_const

    run = Run(on_event, clock or SystemClock(), code_source, ONBOARD_STEPS)
    paths, dry = options.paths, options.dry_run
    variables = load_const(options.inputs.const_file)
    name = options.account_name or variables.values.get("DEV_AWS_ACCOUNT_NAME")
    if not name:
        raise InputError("no profile name: CONST.inc has no DEV_AWS_ACCOUNT_NAME; pass --account-name")
    if options.qr_png is not None and not options.qr_png.absolute().parent.is_dir():
        raise InputError(f"--qr-png {options.qr_png}: no such directory")  # found now, not after the device exists
    long_term_profile = name + layout.SUFFIX
    store = Progress(paths, "onboard", name, dry_run=dry)
    with store.held():
        state = store.load(OnboardState)
        profiles = load_profiles(paths)
        file_key = layout.read_static(profiles.get(long_term_profile, {}))

        # 1. Who am I ---------------------------------------------------------------------------------------
        with run.step(1):
            key = options.one_time_key
            if key is None and file_key is not None and _written_by_us(state, file_key.access_key_id):
                key = file_key
                run.note(
                    1, f"continuing an earlier run with your own key {key.access_key_id} from [{long_term_profile}]"
                )
            if key is None:
                key_id = prompter.text("One-time access key id", "--access-key-id")
                secret = prompter.secret("One-time secret access key", "--secret-access-key-stdin")
                key = Credentials(key_id.strip(), secret.strip())
            if not _KEY_ID.match(key.access_key_id):
                raise InputError(f"{key.access_key_id!r} is not an access key id (like AKIA followed by 16 characters)")
            try:
                identity = sts.caller_identity(key)
            except AwsError as exc:
                replaced = key.access_key_id == state.one_time_key_id and file_key is not None
                if exc.code in codes.UNKNOWN_KEY and replaced and file_key is not None:
                    # Given again by habit, after an earlier run replaced it: that run's own key carries on.
                    if not _written_by_us(state, file_key.access_key_id):
                        raise StateError(
                            f"the one-time key {key.access_key_id} was already replaced, but [{long_term_profile}]"
                            " no longer holds the key that replaced it; ask your administrator for a new one-time key"
                        ) from None
                    run.note(
                        1,
                        f"the one-time key {key.access_key_id} was already replaced: continuing with your own key"
                        f" {file_key.access_key_id} from [{long_term_profile}]",
                    )
                    key = file_key
                    identity = sts.caller_identity(key)
                elif exc.code in codes.UNKNOWN_KEY:
                    raise AwsError(
                        f"AWS does not accept key {key.access_key_id} ({exc.code}): it was mistyped, or IAM deactivated"
                        " or deleted it; ask your administrator for a new one-time key",
                        code=exc.code,
                        action=exc.action,
                    ) from None
                else:
                    raise
            require_user(identity, users_account=variables.values.get("USERS_AWS_ACCOUNT_ID"))
            user = identity.user_name
            if state.user not in (None, user):
                run.note(1, f"progress of an earlier onboarding of {state.user} set aside: this key is {user}'s")
                state = OnboardState(profile=name)
            state.user, state.user_arn, state.account = user, identity.arn, identity.account
            if key.access_key_id not in (state.own_key_id, file_key.access_key_id if file_key else None):
                state.one_time_key_id = key.access_key_id
            store.save(state)
            run.done(1, f"{identity.arn} (account {identity.account})")

        # 2. Virtual MFA device ------------------------------------------------------------------------------
        with run.step(2):
            serial = mfa.enrol(
                run,
                state,
                store,
                key,
                identity,
                qr_png=options.qr_png,
                show_seed=options.show_seed,
                dry_run=options.dry_run,
            )

        # 3. MFA session ----------------------------------------------------------------------------------------
        with run.step(3):
            session = valid_session(profiles.get(name, {}), identity.arn, run.clock) if serial else None
            if session is not None:
                run.done(3, f"reusing the MFA session in [{name}] (until {session.expiration:%Y-%m-%d %H:%M} UTC)")
            elif dry or serial is None:
                run.note(
                    3, f"would ask for a new code and get an MFA session (GetSessionToken) into [{name}]", "dry-run"
                )
                run.done(3, "dry run: no session")
            else:
                session = run.new_session(paths, name, key, serial, options.duration)
                run.done(3, f"MFA session until {session.expiration:%Y-%m-%d %H:%M} UTC, written into [{name}]")

        # 4. Your own access key -------------------------------------------------------------------------------
        with run.step(4):
            own = _ensure_own_key(run, options, prompter, state, store, session, user, file_key, long_term_profile)

        # 5. Write the AWS files ------------------------------------------------------------------------------------
        with run.step(5):
            from bootstrap.team.render import Supplied, render

            placeholder = Credentials("AKIAAAAAAAAAAAAAAAAA", "YOUR-NEW-SECRET-ACCESS-KEY-NOT-CREATED-YET")
            supplied = Supplied(
                user=user,
                account_name=name,
                credentials=own if own is not None else placeholder,
                mfa_serial=serial or arns.mfa_device(identity.account, user),
            )
            result = render(options.inputs, supplied, paths, dry_run=dry)
            if not dry and session is not None and serial is not None:
                _into_process_cache(paths, name, serial, session)
            summary = _changes(result.config) + "; " + _changes(result.credentials)
            if dry:
                run.note(5, f"would write: {summary}", "dry-run")
                run.done(5, "dry run: nothing written")
            else:
                state.files_written = True
                store.save(state)
                run.done(5, summary)

        # 6. Check the roles ------------------------------------------------------------------------------------
        with run.step(6):
            checked = _check_roles(run, paths, name, session, user, dry, {role.arn for role in variables.roles})

        # 7. Console links, and tomorrow ------------------------------------------------------------------------
        with run.step(7):
            from bootstrap.team.links import console_links

            users_account = variables.values.get("USERS_AWS_ACCOUNT_ID") or identity.account
            run.emit(
                Links(
                    7,
                    f"https://{users_account}.signin.aws.amazon.com/console",
                    tuple((link.display_name, link.url) for link in console_links(variables)),
                    "aws-iam-bootstrap refresh",
                )
            )
            if not dry:
                state.finished = True
                store.save(state)
            run.done(7, "tomorrow morning, run: aws-iam-bootstrap refresh")

        return OnboardResult(
            name, user, identity.account, serial, own.access_key_id if own else None, tuple(checked), dry
        )


def require_user(identity: sts.Identity, *, users_account: str | None = None) -> None:
    """Refuse a key that is not an IAM user's own, or that is not in the team's users-only account."""
    if identity.kind == "root":
        raise InputError(
            f"this is a key of the root of account {identity.account} ({identity.arn}); never use a root key:"
            " give the one-time key of your IAM user"
        )
    if identity.kind != "user":
        raise InputError(
            f"this key is not an IAM user's ({identity.arn} is a {identity.kind}); give the one-time key of your"
            " IAM user"
        )
    if users_account and identity.account != users_account:
        raise InputError(
            f"this key's user is in account {identity.account}, but CONST.inc names {users_account} as the"
            " users-only account (USERS_AWS_ACCOUNT_ID): give the key of your user there"
        )


def _into_process_cache(paths: AwsPaths, name: str, serial: str, session: Credentials) -> None:
    """The templates give [NAME] this tool's credential_process: the SDKs will ask it, not the credentials file (from
    which render removed the session), so the session of step 3 goes into its cache: no second code today."""
    from bootstrap.awsfiles.profiles import load_profiles
    from bootstrap.engineer import credential_process, process

    profiles = load_profiles(paths)
    if process.is_ours(str(profiles.get(name, {}).get("credential_process") or "")):
        credential_process.save_session(paths, layout.long_term(profiles, name), serial, session)


def _written_by_us(state: OnboardState, key_id: str) -> bool:
    """Whether the key in the file is the one an earlier run created (recorded, or created since the record)."""
    if state.own_key_id == key_id:
        return True
    return state.keys_before_create is not None and key_id not in state.keys_before_create


def _changes(change: FileChange) -> str:
    parts = [
        f"{label} {', '.join(names)}"
        for label, names in (("added", change.added), ("updated", change.updated), ("removed", change.removed))
        if names
    ]
    return f"{change.path.name}: {'; '.join(parts) if parts else 'unchanged'}"


def _ensure_own_key(
    run: Run,
    options: OnboardOptions,
    prompter: Prompter,
    state: OnboardState,
    store: Progress,
    session: Credentials | None,
    user: str,
    file_key: Credentials | None,
    profile: str,
) -> Credentials | None:
    """The engineer's own key, in ``[profile]`` and working; the one-time key deleted."""
    if session is None:
        which = state.one_time_key_id or "the one-time key"
        run.note(
            4,
            f"would create your own access key, write it into [{profile}], wait until it works, delete {which}",
            "dry-run",
        )
        run.done(4, "dry run: no key created")
        return file_key if file_key is not None and file_key.access_key_id == state.own_key_id else None
    key_list = iam.list_keys(session, user)
    ids = {k.key_id for k in key_list}
    file_id = file_key.access_key_id if file_key else None
    one_time = state.one_time_key_id

    if state.keys_before_create is not None:
        # An earlier run died between CreateAccessKey and writing the key: nobody has that key's secret.
        for k in key_list:
            if k.key_id not in state.keys_before_create and k.key_id != file_id:
                why = "an interrupted run created it and never saved it"
                if options.dry_run:
                    run.note(4, f"would delete key {k.key_id}: {why}", "dry-run")
                    continue
                iam.delete_key(session, user, k.key_id)
                run.note(4, f"deleted key {k.key_id}: {why}")
        key_list = [k for k in key_list if k.key_id in state.keys_before_create or k.key_id == file_id]
        ids = {k.key_id for k in key_list}
        state.keys_before_create = None
        store.save(state)

    own: Credentials | None = None
    active = {k.key_id for k in key_list if k.active}
    if file_key is not None and file_id in active and file_id != one_time:
        own = file_key
        run.note(4, f"your own key {file_id} is already in [{profile}]")
    elif options.dry_run:
        run.note(4, f"would create your own access key and write it into [{profile}]", "dry-run")
    else:
        key_list = free_slot(
            run,
            4,
            session,
            user,
            key_list,
            {one_time or ""},
            prompter,
            options.delete_extra_key,
            "to make room for your own key",
        )

        def before_create() -> None:
            state.keys_before_create = [k.key_id for k in key_list]
            store.save(state)

        new = create_and_write(run, 4, options.paths, profile, session, user, before_create)
        own = new.credentials
        state.own_key_id, state.keys_before_create = new.key_id, None
        store.save(state)
        key_list = [*key_list, iam.KeyInfo(new.key_id, "Active", new.created)]

    if own is not None:
        state.own_key_id = own.access_key_id
        iam.wait_until_works(own, run.clock)
        warn_old(run, 4, key_list, own.access_key_id)

    if one_time and one_time in ids and own is not None and one_time != own.access_key_id:
        if options.dry_run:
            run.note(4, f"would delete the one-time key {one_time}", "dry-run")
        else:
            iam.delete_key(session, user, one_time)
            state.one_time_key_deleted = True
            run.note(4, f"deleted the one-time key {one_time}")
    store.save(state)
    if own is None:
        run.done(4, "dry run: no key created")
        return None
    run.done(4, f"your own key {own.access_key_id} works and is in [{profile}]")
    return own


def _check_roles(
    run: Run, paths: AwsPaths, name: str, session: Credentials | None, user: str, dry: bool, known: set[str]
) -> list[RoleChecked]:
    """Assume every role profile that hangs off ``[name]`` with the MFA session; report which work.

    ``known``: the role ARNs CONST.inc names (a refusal of one of them is its trust policy, not a missing role).
    """
    from bootstrap.awsfiles.profiles import load_profiles

    profiles = load_profiles(paths)
    found = sorted(
        (profile, str(settings["role_arn"]))
        for profile, settings in profiles.items()
        if settings.get("role_arn") and settings.get("source_profile") == name
    )
    if session is None or dry:
        # In a dry run the files were not written: count the roles CONST.inc names instead.
        count = len(found) if not dry else max(len(found), len(known))
        run.note(6, f"would assume {count} role profile(s) with the MFA session", "dry-run")
        run.done(6, "dry run: not checked")
        return []
    checked: list[RoleChecked] = []
    for profile, role_arn in found:
        verdict = roles.check(session, role_arn, role_known=role_arn in known or None, session_name=user)
        result = RoleChecked(6, profile, role_arn, verdict.ok, verdict.detail)
        checked.append(result)
        run.emit(result)
    works = sum(1 for r in checked if r.ok)
    if checked and not works:
        run.note(
            6,
            "no role lets you in yet: the roles' trust policies must name your user (your platform team grants it"
            " with `aws-iam-bootstrap org grant` and applies it); run `aws-iam-bootstrap verify` afterwards",
            "warn",
        )
    run.done(6, f"{works} of {len(checked)} role profiles work")
    return checked
