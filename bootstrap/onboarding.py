"""``onboard`` and ``rotate-key``: from a one-time key to the engineer's own key behind MFA, and key rotation.

The core never prompts, prints or exits. It asks through a ``Prompter`` (the one-time key, confirmations), gets
MFA codes from a ``mfa.CodeSource``, and reports every step through ``on_event`` (``StepStarted``, ``StepDone``,
``Note``, ``MfaDeviceCreated``, ``RoleChecked``, ``Links``...), which the CLI prints and the demo narrates.

Re-running after any interruption continues where it stopped. What makes that safe:
- a secret is never held only in memory across an AWS call that could be the last: a new key is written into
  ``[NAME-long-term]`` (atomically, 0600) right after CreateAccessKey, and the MFA session into ``[NAME]`` right
  after GetSessionToken;
- a small progress file (``<aws dir>/aws-iam-bootstrap/onboard-NAME.json`` / ``rotate-NAME.json``, 0600 in a
  0700 directory, never backed up) records what was about to be created, so a key created by a run that died
  before writing it is recognised as that run's orphan and removed, never mistaken for a key the engineer keeps
  elsewhere. It never holds a key; its one secret is the seed of an MFA device created and not yet enabled,
  so that a re-run resumes that device (the self-manage policy does not let the engineer delete it), dropped
  as soon as the device is enabled;
- everything else is read back from AWS and the files (which device is enabled, which key is in the file).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bootstrap import aws, keys, mfa, sessions
from bootstrap.clock import Clock, SystemClock
from bootstrap.errors import AwsError, InputError, NeedsAnswer, StateError
from bootstrap.model import Credentials

if TYPE_CHECKING:
    from bootstrap.awsfiles import AwsPaths, FileChange
    from bootstrap.prompts import Prompter
    from bootstrap.render import RenderInputs

STATE_VERSION = 1
_KEY_ID = re.compile(r"^[A-Z0-9]{16,128}$")
MAX_DEVICE_NAMES = 5  # alice, alice-2, ... when an unenabled device of an earlier run cannot be deleted

ONBOARD_STEPS = {
    1: "Who am I",
    2: "Virtual MFA device",
    3: "MFA session",
    4: "Your own access key",
    5: "Write the AWS files",
    6: "Check the roles",
    7: "Console links, and tomorrow morning",
}
ROTATE_STEPS = {
    1: "Current key",
    2: "MFA session",
    3: "Keys in IAM",
    4: "New key",
    5: "Write the new key",
    6: "Retire the old key, with the new one",
}


# ------------------------------------------------------------------------------------------------ events


@dataclass(frozen=True)
class StepStarted:
    step: int
    title: str


@dataclass(frozen=True)
class StepDone:
    step: int
    result: str


@dataclass(frozen=True)
class Note:
    """Something worth saying within a step; ``level`` "warn" for what the engineer should act on."""

    step: int
    text: str
    level: Literal["info", "warn", "dry-run"] = "info"


@dataclass(frozen=True)
class MfaDeviceCreated:
    """A new virtual MFA device: show ``qr`` (terminal text) and, when ``show_seed``, the ``seed``."""

    step: int
    serial: str
    uri: str = field(repr=False)  # otpauth://...?secret=SEED: the seed, like the QR code drawn from it
    qr: str = field(repr=False)
    seed: str = field(repr=False)
    show_seed: bool = False
    png: Path | None = None
    resumed: bool = False  # the device an interrupted run created: the same QR code as then


@dataclass(frozen=True)
class RoleChecked:
    step: int
    profile: str
    role_arn: str
    ok: bool
    detail: str  # the assumed identity, or why it was refused (the AWS error code)


@dataclass(frozen=True)
class Links:
    step: int
    signin_url: str | None
    roles: tuple[tuple[str, str], ...]  # (display name, switch-role URL)
    tomorrow: str


Event = StepStarted | StepDone | Note | MfaDeviceCreated | RoleChecked | Links
EventSink = Callable[[Event], None]


# ------------------------------------------------------------------------------------------- progress state


@dataclass
class OnboardState:
    """What an onboarding run has done so far. Keys never: a new key goes straight to the credentials file."""

    profile: str
    version: int = STATE_VERSION
    user: str | None = None
    user_arn: str | None = None
    account: str | None = None
    one_time_key_id: str | None = None
    mfa_serial: str | None = None
    mfa_enabled: bool = False
    # The seed of a device created and not yet enabled: the one secret kept here (the file is 0600, in a 0700
    # directory, never backed up), so a re-run resumes that device; dropped as soon as the device is enabled.
    pending_seed: str | None = field(default=None, repr=False)
    keys_before_create: list[str] | None = None  # set just before CreateAccessKey, cleared once the key is written
    own_key_id: str | None = None
    one_time_key_deleted: bool = False
    files_written: bool = False
    finished: bool = False


@dataclass
class RotateState:
    profile: str
    version: int = STATE_VERSION
    user: str | None = None
    old_key_id: str | None = None
    keys_before_create: list[str] | None = None
    new_key_id: str | None = None  # created, proven and written: the old key is what is left to retire


def state_dir(paths: AwsPaths) -> Path:
    """Where progress files live: next to the credentials file (so tests' and users' AWS dirs keep their own)."""
    return paths.credentials.parent / "aws-iam-bootstrap"


class _Store:
    def __init__(self, path: Path, *, dry_run: bool) -> None:
        self.path = path
        self.dry_run = dry_run

    def held(self) -> AbstractContextManager[None]:
        """One run at a time per profile: a second ``onboard``/``rotate-key`` would race to create keys."""
        from bootstrap import safewrite

        # One lock per profile for both commands: onboard and rotate-key both create and delete its keys.
        profile = self.path.stem.split("-", 1)[1]
        return nullcontext() if self.dry_run else safewrite.locked(self.path.with_name(profile), timeout=2.0)

    def load(self) -> dict[str, Any] | None:
        from bootstrap import safewrite

        text = safewrite.read_text(self.path)
        if text is None:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            raise StateError(f"{self.path}: unreadable progress file; delete it to start over") from None
        return data if isinstance(data, dict) else None

    def save(self, state: OnboardState | RotateState) -> None:
        if self.dry_run:
            return
        from bootstrap import safewrite

        safewrite.private_dir(self.path.parent)
        with safewrite.locked(self.path):
            safewrite.write_private(self.path, json.dumps(asdict(state), indent=2) + "\n", backup=False)

    def remove(self) -> None:
        if not self.dry_run:
            self.path.unlink(missing_ok=True)


def _from_dict(cls: type[Any], data: Mapping[str, Any] | None, profile: str) -> Any:
    if not data or data.get("profile") != profile:
        return cls(profile=profile)
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


# ---------------------------------------------------------------------------------------------- helpers


@contextmanager
def _step_errors(step: int, title: str) -> Iterator[None]:
    """Name the step in an AWS refusal, and say what a missing permission means for the engineer."""
    try:
        yield
    except AwsError as exc:
        hint = ""
        if exc.code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            hint = (
                f"; your user lacks the permission {exc.action or 'for this step'}: ask an administrator"
                " (the team's infra-ManageOwnUserG-* and infra-AssumeRoleG-* groups grant what onboarding needs)"
            )
        raise AwsError(f"step {step} ({title}): {exc.message}{hint}", code=exc.code, action=exc.action) from None


class _Run:
    """The shared plumbing of one run: events, code log, clock."""

    def __init__(self, on_event: EventSink, clock: Clock, code_source: mfa.CodeSource, steps: Mapping[int, str]):
        self.emit = on_event
        self.clock = clock
        self.code_source = code_source
        self.codes = mfa.CodeLog()
        self.steps = steps

    @contextmanager
    def step(self, number: int) -> Iterator[None]:
        title = self.steps[number]
        self.emit(StepStarted(number, title))
        with _step_errors(number, title):
            yield

    def done(self, number: int, result: str) -> None:
        self.emit(StepDone(number, result))

    def note(self, number: int, text: str, level: Literal["info", "warn", "dry-run"] = "info") -> None:
        self.emit(Note(number, text, level))

    def new_session(self, paths: AwsPaths, profile: str, key: Credentials, serial: str, duration: int) -> Credentials:
        """An MFA session of ``key`` (asking a code), written into ``[profile]`` at once: never only in memory."""
        session = mfa.with_codes(
            self.code_source,
            "session",
            serial,
            lambda codes: sessions.get_session(key, serial, codes[0], duration=duration),
            clock=self.clock,
            log=self.codes,
        )
        sessions.write_session(paths, profile, session)
        return session


def _valid_session(settings: Mapping[str, Any], user_arn: str, clock: Clock) -> Credentials | None:
    """The MFA session in a profile when it has a while left and belongs to ``user_arn``."""
    session = sessions.read_session(settings)
    if session is None:
        return None
    left = sessions.remaining(session, clock)
    if left is None or left < sessions.DEFAULT_MIN_TTL:
        return None
    identity = keys.works(session)
    if identity is None or identity.arn != user_arn:
        return None
    return session


def _warn_old(run: _Run, step: int, key_list: Sequence[keys.KeyInfo], key_id: str | None) -> None:
    now = run.clock.now()
    for key in key_list:
        if key.key_id == key_id and key.is_old(now):
            run.note(
                step,
                f"key {key.key_id} is {key.age_days(now)} days old (more than {keys.OLD_KEY_DAYS}):"
                " run `aws-iam-bootstrap rotate-key`",
                "warn",
            )


def _confirm_extra(
    prompter: Prompter, extra: keys.KeyInfo, delete_extra_key: str | None, clock: Clock, why: str
) -> bool:
    if delete_extra_key == extra.key_id:
        return True
    age = extra.age_days(clock.now())
    return prompter.confirm(
        f"You already have two access keys. Key {extra.key_id} ({extra.status.lower()}, {age} days old) is not in"
        f" your AWS files. Delete it {why}?",
        f"--delete-extra-key {extra.key_id}",
    )


def _free_slot(
    run: _Run,
    step: int,
    session: Credentials,
    user: str,
    key_list: list[keys.KeyInfo],
    keep: set[str],
    prompter: Prompter,
    delete_extra_key: str | None,
    why: str,
) -> list[keys.KeyInfo]:
    """Make room for one more key (IAM allows two), deleting an extra key only when the engineer agrees."""
    extras = [k for k in key_list if k.key_id not in keep]
    while len(key_list) >= keys.MAX_KEYS and extras:
        extra = extras.pop(0)
        if not _confirm_extra(prompter, extra, delete_extra_key, run.clock, why):
            raise StateError(
                f"you have two access keys and {extra.key_id} is not in your AWS files; no key was deleted."
                f" Delete it (--delete-extra-key {extra.key_id}) if nothing uses it, then run this again"
            )
        keys.delete_key(session, user, extra.key_id)
        run.note(step, f"deleted extra key {extra.key_id}")
        key_list = [k for k in key_list if k.key_id != extra.key_id]
    if len(key_list) >= keys.MAX_KEYS:
        raise StateError(f"you have {len(key_list)} access keys (IAM allows {keys.MAX_KEYS}); no key was deleted")
    return key_list


def _write_key(paths: AwsPaths, profile: str, key: Credentials) -> FileChange:
    from bootstrap import awsfiles

    return awsfiles.set_profile(
        paths,
        "credentials",
        profile,
        {"aws_access_key_id": key.access_key_id, "aws_secret_access_key": key.secret_access_key},
    )


def _create_and_write(
    run: _Run,
    step: int,
    paths: AwsPaths,
    profile: str,
    session: Credentials,
    user: str,
    before_create: Callable[[], None],
) -> keys.NewKey:
    """CreateAccessKey and write it into ``[profile]`` at once; when the write fails, delete the key again."""
    before_create()
    new = keys.create_key(session, user)
    try:
        _write_key(paths, profile, new.credentials)
    except BaseException:
        # The secret dies with this process: a key nobody can use must not stay behind. If this cleanup fails
        # too, the progress file names the key as this run's, and the next run removes it.
        with suppress(Exception):
            keys.delete_key(session, user, new.key_id)
        raise
    run.note(step, f"created key {new.key_id} and wrote it into [{profile}]")
    return new


# -------------------------------------------------------------------------------------------------- onboard


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
    duration: int = 43200
    state_dir: Path | None = None


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
    code_source: mfa.CodeSource,
    on_event: EventSink,
    *,
    clock: Clock | None = None,
) -> OnboardResult:
    """Run (or continue) an onboarding: identity, MFA device, MFA session, own key, files, role checks, links."""
    from bootstrap import awsfiles
    from bootstrap.variables import load_const

    run = _Run(on_event, clock or SystemClock(), code_source, ONBOARD_STEPS)
    paths, dry = options.paths, options.dry_run
    variables = load_const(options.inputs.const_file)
    name = options.account_name or variables.values.get("DEV_AWS_ACCOUNT_NAME")
    if not name:
        raise InputError("no profile name: CONST.inc has no DEV_AWS_ACCOUNT_NAME; pass --account-name")
    if options.qr_png is not None and not options.qr_png.absolute().parent.is_dir():
        raise InputError(f"--qr-png {options.qr_png}: no such directory")  # found now, not after the device exists
    long_term_profile = name + sessions.LONG_TERM_SUFFIX
    store = _Store((options.state_dir or state_dir(paths)) / f"onboard-{name}.json", dry_run=dry)
    with store.held():
        state: OnboardState = _from_dict(OnboardState, store.load(), name)
        profiles = awsfiles.load_profiles(paths)
        file_key = sessions.read_static(profiles.get(long_term_profile, {}))

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
                identity = keys.caller_identity(key)
            except AwsError as exc:
                replaced = key.access_key_id == state.one_time_key_id and file_key is not None
                if exc.code in keys.UNKNOWN_KEY_ERRORS and replaced and file_key is not None:
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
                    identity = keys.caller_identity(key)
                elif exc.code in keys.UNKNOWN_KEY_ERRORS:
                    raise AwsError(
                        f"AWS does not accept key {key.access_key_id} ({exc.code}): it was mistyped, or IAM deactivated"
                        " or deleted it; ask your administrator for a new one-time key",
                        code=exc.code,
                        action=exc.action,
                    ) from None
                else:
                    raise
            keys.require_user(identity, users_account=variables.values.get("USERS_AWS_ACCOUNT_ID"))
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
            serial = _ensure_mfa(run, options, state, store, key, identity)

        # 3. MFA session ----------------------------------------------------------------------------------------
        with run.step(3):
            session = _valid_session(profiles.get(name, {}), identity.arn, run.clock) if serial else None
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
            from bootstrap.render import Supplied, render

            placeholder = Credentials("AKIAAAAAAAAAAAAAAAAA", "YOUR-NEW-SECRET-ACCESS-KEY-NOT-CREATED-YET")
            supplied = Supplied(
                user=user,
                account_name=name,
                credentials=own if own is not None else placeholder,
                mfa_serial=serial or _device_serial(identity.account, user),
            )
            result = render(options.inputs, supplied, paths, dry_run=dry)
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
            from bootstrap.variables import console_links

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


def _device_serial(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:mfa/{name}"


def _device_names(user: str) -> list[str]:
    """The names this tool gives a user's virtual MFA device: ``user``, then ``user-2``... when that is taken."""
    return [user] + [f"{user}-{n}" for n in range(2, MAX_DEVICE_NAMES + 1)]


def _ensure_mfa(
    run: _Run,
    options: OnboardOptions,
    state: OnboardState,
    store: _Store,
    key: Credentials,
    identity: keys.Identity,
) -> str | None:
    """The serial of the user's enabled MFA device, enrolling a new virtual device when there is none."""
    iam = aws.client("iam", key)
    user = identity.user_name
    with aws.calling("iam:ListMFADevices"):
        devices = iam.list_mfa_devices(UserName=user)["MFADevices"]
    if devices:
        serial = str(devices[0]["SerialNumber"])
        state.mfa_serial, state.mfa_enabled = serial, True
        store.save(state)
        run.done(2, f"using your enabled MFA device {serial}")
        return serial

    # Devices created by an earlier run and never enabled. The one whose seed the progress file kept is resumed
    # (the engineer may already have scanned it); any other is useless without its seed.
    with aws.calling("iam:ListVirtualMFADevices"):
        unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    ours = {_device_serial(identity.account, device_name) for device_name in _device_names(user)}
    found = [str(d["SerialNumber"]) for d in unassigned if d["SerialNumber"] in ours]
    resume = state.mfa_serial if state.pending_seed and not state.mfa_enabled and state.mfa_serial in found else None
    leftovers = [serial for serial in found if serial != resume]
    if options.dry_run:
        for serial in leftovers:
            run.note(2, f"would delete the never-enabled device {serial} of an earlier run", "dry-run")
        what = f"resume the device {resume}" if resume else "create a virtual MFA device"
        run.note(2, f"would {what}, show its QR code and ask for two codes", "dry-run")
        run.done(2, "dry run: no device")
        return None
    for serial in leftovers:
        try:
            with aws.calling("iam:DeleteVirtualMFADevice"):
                iam.delete_virtual_mfa_device(SerialNumber=serial)
            run.note(2, f"deleted {serial}: an earlier run created it and never enabled it")
        except AwsError as exc:
            if exc.code != "AccessDenied":
                raise
            run.note(
                2,
                f"{serial} was left by an earlier run and never enabled; your policy does not allow deleting it"
                f" (iam:DeleteVirtualMFADevice): ask an administrator to delete it. Remove its entry from your"
                " authenticator app too",
                "warn",
            )

    if not getattr(run.code_source, "can_answer", True):
        # Asked now rather than after CreateVirtualMFADevice: a device nobody can enable would be left behind.
        raise NeedsAnswer("two MFA codes to enable your new virtual MFA device", mfa.CODE_FLAG)
    if resume is not None and state.pending_seed is not None:
        serial, seed = resume, state.pending_seed
        run.note(2, f"resuming {serial}, created by an earlier run: if you scanned it then, your app has it already")
    else:
        serial, seed = _create_device(iam, user)
        # Kept (0600, until the device is enabled) so that a re-run resumes this device instead of leaving it.
        state.mfa_serial, state.mfa_enabled, state.pending_seed = serial, False, seed
        store.save(state)
    uri = mfa.otpauth_uri(seed, user, identity.account)
    if options.qr_png is not None:
        mfa.write_qr_png(uri, options.qr_png)
    qr = mfa.qr_text(uri)
    run.emit(MfaDeviceCreated(2, serial, uri, qr, seed, options.show_seed, options.qr_png, resume is not None))

    def enable(codes: Sequence[str]) -> None:
        with aws.calling("iam:EnableMFADevice"):
            iam.enable_mfa_device(
                UserName=user, SerialNumber=serial, AuthenticationCode1=codes[0], AuthenticationCode2=codes[1]
            )

    mfa.with_codes(run.code_source, "enable", serial, enable, clock=run.clock, log=run.codes, count=2)
    state.mfa_enabled, state.pending_seed = True, None
    store.save(state)
    run.done(2, f"enabled {serial}")
    return serial


def _create_device(iam: Any, user: str) -> tuple[str, str]:
    """CreateVirtualMFADevice named after the user (``user-2``... when an unenabled one holds the name)."""
    names = _device_names(user)
    for device_name in names:
        try:
            with aws.calling("iam:CreateVirtualMFADevice"):
                created = iam.create_virtual_mfa_device(VirtualMFADeviceName=device_name)["VirtualMFADevice"]
        except AwsError as exc:
            if exc.code != "EntityAlreadyExists":
                raise
            continue
        raw_seed = created["Base32StringSeed"]
        seed = raw_seed.decode("ascii") if isinstance(raw_seed, bytes) else str(raw_seed)
        return str(created["SerialNumber"]), seed
    raise StateError(
        f"virtual MFA devices {', '.join(names)} all exist and none is enabled for {user}: ask an administrator"
        " to delete them"
    )


def _ensure_own_key(
    run: _Run,
    options: OnboardOptions,
    prompter: Prompter,
    state: OnboardState,
    store: _Store,
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
    key_list = keys.list_keys(session, user)
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
                keys.delete_key(session, user, k.key_id)
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
        key_list = _free_slot(
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

        new = _create_and_write(run, 4, options.paths, profile, session, user, before_create)
        own = new.credentials
        state.own_key_id, state.keys_before_create = new.key_id, None
        store.save(state)
        key_list = [*key_list, keys.KeyInfo(new.key_id, "Active", new.created)]

    if own is not None:
        state.own_key_id = own.access_key_id
        keys.wait_until_works(own, run.clock)
        _warn_old(run, 4, key_list, own.access_key_id)

    if one_time and one_time in ids and own is not None and one_time != own.access_key_id:
        if options.dry_run:
            run.note(4, f"would delete the one-time key {one_time}", "dry-run")
        else:
            keys.delete_key(session, user, one_time)
            state.one_time_key_deleted = True
            run.note(4, f"deleted the one-time key {one_time}")
    store.save(state)
    if own is None:
        run.done(4, "dry run: no key created")
        return None
    run.done(4, f"your own key {own.access_key_id} works and is in [{profile}]")
    return own


def _check_roles(
    run: _Run, paths: AwsPaths, name: str, session: Credentials | None, user: str, dry: bool, known: set[str]
) -> list[RoleChecked]:
    """Assume every role profile that hangs off ``[name]`` with the MFA session; report which work.

    ``known``: the role ARNs CONST.inc names (a refusal of one of them is its trust policy, not a missing role).
    """
    from bootstrap import awsfiles, verify

    profiles = awsfiles.load_profiles(paths)
    roles = sorted(
        (profile, str(settings["role_arn"]))
        for profile, settings in profiles.items()
        if settings.get("role_arn") and settings.get("source_profile") == name
    )
    if session is None or dry:
        # In a dry run the files were not written: count the roles CONST.inc names instead.
        count = len(roles) if not dry else max(len(roles), len(known))
        run.note(6, f"would assume {count} role profile(s) with the MFA session", "dry-run")
        run.done(6, "dry run: not checked")
        return []
    checked: list[RoleChecked] = []
    for profile, role_arn in roles:
        try:
            creds = sessions.assume_role(session, role_arn, session_name=user)
            identity = keys.caller_identity(creds)
            result = RoleChecked(6, profile, role_arn, True, identity.arn)
        except AwsError as exc:
            reason = verify.reason_for(exc.code, exc.action, role_known=role_arn in known or None)
            result = RoleChecked(6, profile, role_arn, False, f"refused: {reason} ({exc.code or 'error'})")
        checked.append(result)
        run.emit(result)
    works = sum(1 for r in checked if r.ok)
    if checked and not works:
        run.note(
            6,
            "no role lets you in yet: the roles' trust policies must name your user (in seed 001's flow, the infra"
            " maintainers add you to cfn/infra/users.js and release); run `aws-iam-bootstrap verify` afterwards",
            "warn",
        )
    run.done(6, f"{works} of {len(checked)} role profiles work")
    return checked


# ------------------------------------------------------------------------------------------------ rotate-key


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
    code_source: mfa.CodeSource,
    on_event: EventSink,
    *,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
    delete_extra_key: str | None = None,
    dry_run: bool = False,
    duration: int = 43200,
    clock: Clock | None = None,
    state_directory: Path | None = None,
) -> RotateResult:
    """Replace the long-term key of ``[NAME-long-term]``: create, prove, write, then retire the old key with the
    new one. At every point the file holds a working key and IAM at most two; a re-run finishes or rolls back."""
    from bootstrap import awsfiles

    run = _Run(on_event, clock or SystemClock(), code_source, ROTATE_STEPS)
    profiles = awsfiles.load_profiles(paths)
    name = sessions.session_profile_name(profiles, profile, environ or {})
    lt = sessions.long_term(profiles, name)
    store = _Store((state_directory or state_dir(paths)) / f"rotate-{name}.json", dry_run=dry_run)
    with store.held():
        state: RotateState = _from_dict(RotateState, store.load(), name)
        current = lt.credentials

        with run.step(1):
            identity = keys.works(current)
            if identity is None:
                raise StateError(
                    f"the key {current.access_key_id} in [{lt.profile}] does not work (IAM deactivated or deleted it):"
                    " ask an administrator for a one-time key and run `aws-iam-bootstrap onboard`"
                )
            keys.require_user(identity)
            user = identity.user_name
            state.user = user
            run.done(1, f"{current.access_key_id} of {identity.arn}")

        with run.step(2):
            if lt.mfa_serial is not None and not dry_run and not getattr(code_source, "can_answer", True):
                # The new key's own MFA session needs a code: refuse now, not with two keys in IAM.
                raise NeedsAnswer("an MFA code (for a session of the new key)", mfa.CODE_FLAG)
            session_key_id: str | None = None
            if lt.mfa_serial is None:
                session = current
                run.done(2, f"no MFA device named in [{lt.profile}]: using the key itself")
            else:
                found = _valid_session(profiles.get(name, {}), identity.arn, run.clock)
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
            key_list = keys.list_keys(session, user)
            _warn_old(run, 3, key_list, current.access_key_id)
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
                    keys.delete_key(session, user, other.key_id)
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
                key_list = _free_slot(
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
                new = keys.create_key(session, user)
                try:
                    keys.wait_until_works(new.credentials, run.clock)
                except BaseException:
                    # A key that never worked is rolled back; if that fails too, the next run does it.
                    with suppress(Exception):
                        keys.delete_key(session, user, new.key_id)
                    raise
                run.done(4, f"created {new.key_id}; it works")

            with run.step(5):
                try:
                    _write_key(paths, lt.profile, new.credentials)
                except BaseException:
                    # Best effort: if this fails too, the progress file lets the next run roll the key back.
                    with suppress(Exception):
                        keys.delete_key(session, user, new.key_id)
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
            keys.deactivate_key(retire_with, user, old_to_retire)
            keys.delete_key(retire_with, user, old_to_retire)
            store.remove()
            run.done(6, f"deactivated and deleted {old_to_retire}")
        return RotateResult(name, user, old_to_retire, new_key_id, False)
