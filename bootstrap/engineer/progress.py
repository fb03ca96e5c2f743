"""How far an ``onboard`` or ``rotate-key`` run got, so that the next run continues where it stopped.

A progress file (``locations.progress_file``: 0600, in the tool's 0700 directory, never backed up) records what was
about to be created, so a key created by a run that died before writing it is recognised as that run's orphan and
removed, never mistaken for a key the engineer keeps elsewhere. It never holds a key; its one secret is the seed of
an MFA device created and not yet enabled (so that a re-run resumes that device: the self-manage policy does not
let the engineer delete it), dropped as soon as the device is enabled. Everything else is read back from AWS and
the files. An unreadable progress file is refused (``StateError``: delete it to start over), never guessed at.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, TypeVar

from bootstrap.awsfiles import safewrite
from bootstrap.awsfiles.jsonstore import JsonStore
from bootstrap.awsfiles.locations import AwsPaths, profile_lock, progress_file

VERSION = 1
Command = Literal["onboard", "rotate"]


@dataclass
class OnboardState:
    """What an onboarding run has done so far. Keys never: a new key goes straight to the credentials file."""

    profile: str
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
    user: str | None = None
    old_key_id: str | None = None
    keys_before_create: list[str] | None = None
    new_key_id: str | None = None  # created, proven and written: the old key is what is left to retire


State = TypeVar("State", OnboardState, RotateState)


class Progress:
    """The progress file of one command for one profile; with ``dry_run``, nothing is written or locked."""

    def __init__(self, paths: AwsPaths, command: Command, profile: str, *, dry_run: bool) -> None:
        self.paths = paths
        self.profile = profile
        self.dry_run = dry_run
        self.store = JsonStore(
            progress_file(paths, command, profile),
            f"{command} progress",
            VERSION,
            f"how far aws-iam-bootstrap {command} got for [{profile}]; it holds no key",
            strict=True,
        )

    @property
    def path(self) -> str:
        return str(self.store.path)

    @contextmanager
    def held(self) -> Iterator[None]:
        """One run at a time per profile, for both commands: onboard and rotate-key both create and delete its
        keys, and two runs would race."""
        if self.dry_run:
            yield
            return
        with safewrite.locked(profile_lock(self.paths, self.profile), timeout=2.0, follow_links=False):
            yield

    def load(self, cls: type[State]) -> State:
        """The recorded state, or a fresh one (also when the file is another profile's)."""
        data = self.store.load()
        if not data or data.get("profile") != self.profile:
            return cls(profile=self.profile)
        names = {f.name for f in fields(cls)}
        values: dict[str, Any] = {k: v for k, v in data.items() if k in names}
        return cls(**values)

    def save(self, state: OnboardState | RotateState) -> None:
        if not self.dry_run:
            self.store.save(asdict(state))

    def remove(self) -> None:
        if not self.dry_run:
            self.store.remove()
