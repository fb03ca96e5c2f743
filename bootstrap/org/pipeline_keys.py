"""A pipeline user's access key: handed over once when the pipeline is made, and rotated with the invariant of
``rotate-key`` (IAM holds at most two keys, and at least one that works for the pipeline at every moment).

Handing over follows ``org add-user``'s way: the user is created tagged ``aws-iam-bootstrap:handover=pending``;
while the tag is there, a key the user has was made by an interrupted run and never reached anyone, so it is
replaced; the tag goes once the key is written to its 0600 file.

Rotation keeps its progress on the user itself, in the tag ``aws-iam-bootstrap:rotation`` (so any administrator
can finish it): ``OLD`` while the new key is being made, ``OLD NEW`` once the new key is handed over. The old key
is deactivated only once ``GetAccessKeyLastUsed`` shows the new one in use (the CI secret was updated and the
pipeline ran), or with ``force``; it is deleted by the next rotation, so a job still holding it can be brought back
by reactivating it meanwhile. A run interrupted at any point is finished by running it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from bootstrap import limits, redact
from bootstrap.aws import codes
from bootstrap.aws.errors import calling
from bootstrap.credentials import Credentials
from bootstrap.errors import AwsError, StateError

ROTATION_TAG: Final = "aws-iam-bootstrap:rotation"


@dataclass(frozen=True)
class KeyHandover:
    """A pipeline's key, once: never printed, logged or put on a command line unless asked."""

    pipeline: str
    user: str
    account_id: str
    key: Credentials
    secret_names: tuple[str, str]
    snippet: str = field(default="", repr=False)
    replaces: str | None = None  # the key id a rotation replaces

    def text(self) -> str:
        key_name, secret_name = self.secret_names
        doing = (
            f"the new key of pipeline {self.pipeline}, replacing {self.replaces}"
            if self.replaces
            else f"the key of pipeline {self.pipeline}, made once"
        )
        return (
            f"# aws-iam-bootstrap: {doing}. Put it into the pipeline's CI secrets, then delete this file.\n"
            f"user: {self.user} (account {self.account_id})\n"
            f"access key id ({key_name}): {self.key.access_key_id}\n"
            f"secret access key ({secret_name}): {self.key.secret_access_key}\n"
            + (f"\n{self.snippet}" if self.snippet else "")
        )


def _action(method: str) -> str:
    return "iam:" + "".join(part.capitalize() for part in method.split("_"))


def _call(iam: Any, method: str, **params: Any) -> Any:
    with calling(_action(method)):
        return getattr(iam, method)(**params)


@dataclass(frozen=True)
class Key:
    key_id: str
    active: bool
    created: datetime


def keys(iam: Any, user: str) -> list[Key]:
    listed = _call(iam, "list_access_keys", UserName=user)["AccessKeyMetadata"]
    return sorted(
        (Key(str(k["AccessKeyId"]), k["Status"] == "Active", k["CreateDate"]) for k in listed), key=lambda k: k.created
    )


def last_used(iam: Any, key_id: str) -> datetime | None:
    """When IAM last saw ``key_id`` used (None: never)."""
    found = _call(iam, "get_access_key_last_used", AccessKeyId=key_id)["AccessKeyLastUsed"]
    when = found.get("LastUsedDate")
    return when if isinstance(when, datetime) else None


def new_key(iam: Any, user: str) -> Credentials:
    made = _call(iam, "create_access_key", UserName=user)["AccessKey"]
    key = Credentials(str(made["AccessKeyId"]), str(made["SecretAccessKey"]))
    redact.register(key.secret_access_key)
    return key


def first_key(iam: Any, user: str) -> Credentials:
    """The first key of a user awaiting it (``people.pending``); any left by an interrupted run go first."""
    for old in keys(iam, user):
        _call(iam, "delete_access_key", UserName=user, AccessKeyId=old.key_id)
    return new_key(iam, user)


# --- rotation ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One thing a rotation did, for the printer."""

    text: str


Outcome = Literal["handed-over", "waiting", "done"]


@dataclass(frozen=True)
class Rotation:
    outcome: Outcome
    old_key_id: str
    new_key_id: str
    handover: KeyHandover | None = None  # set when this run made the new key


def _tags(iam: Any, user: str) -> dict[str, str]:
    try:
        listed = _call(iam, "list_user_tags", UserName=user)["Tags"]
    except AwsError as exc:
        if exc.code in codes.NOT_FOUND:
            raise StateError(f"no user {user} in the users account (apply the organisation first)") from None
        raise
    return {t["Key"]: t["Value"] for t in listed}


def _tag(iam: Any, user: str, value: str) -> None:
    _call(iam, "tag_user", UserName=user, Tags=[{"Key": ROTATION_TAG, "Value": value}])


def rotate(
    iam: Any,
    user: str,
    hand_over: Callable[[Credentials, str], KeyHandover],
    on_step: Callable[[Step], None],
    *,
    force: bool = False,
) -> Rotation:
    """Rotate ``user``'s key (see the module docstring). ``hand_over(key, old_key_id)`` writes the new key where
    the administrator gets it and returns what it wrote; it is called once per new key."""
    progress = _tags(iam, user).get(ROTATION_TAG, "").split()
    found = keys(iam, user)
    made: KeyHandover | None = None
    if not progress:
        for retired in [k for k in found if not k.active]:
            _call(iam, "delete_access_key", UserName=user, AccessKeyId=retired.key_id)
            on_step(Step(f"deleted {retired.key_id}, deactivated by the last rotation"))
        active = [k for k in found if k.active]
        if not active:
            raise StateError(f"{user} has no active key to rotate: `pipeline create` hands one over")
        if len(active) >= limits.MAX_KEYS:
            seen = ", ".join(f"{k.key_id} (last used {last_used(iam, k.key_id) or 'never'})" for k in active)
            raise StateError(
                f"{user} has two active keys ({seen}): delete the one its pipeline does not use, then rotate"
            )
        progress = [active[0].key_id]
        _tag(iam, user, progress[0])
        found = active
    old = progress[0]
    if len(progress) == 1:
        for orphan in [k for k in found if k.key_id != old]:
            # made by an interrupted run before its handover was recorded: its secret may never have reached anyone
            _call(iam, "delete_access_key", UserName=user, AccessKeyId=orphan.key_id)
            on_step(Step(f"deleted {orphan.key_id}, made by an interrupted rotation"))
        key = new_key(iam, user)
        made = hand_over(key, old)
        progress = [old, key.access_key_id]
        _tag(iam, user, " ".join(progress))
        on_step(Step(f"created {key.access_key_id}; {old} still works until the pipeline uses the new key"))
    new = progress[1]
    current = {k.key_id: k for k in keys(iam, user)}
    if new not in current:
        raise StateError(
            f"the new key {new} of an earlier rotation is gone; {old} is still the pipeline's key: remove the tag "
            f"{ROTATION_TAG} of {user} and rotate again"
        )
    used = last_used(iam, new)
    if used is None and not force:
        on_step(Step(f"{new} has not been used yet: {old} stays active until the pipeline runs with {new}"))
        return Rotation("handed-over" if made else "waiting", old, new, made)
    if old in current and current[old].active:
        _call(iam, "update_access_key", UserName=user, AccessKeyId=old, Status="Inactive")
        why = f"{new} was used at {used:%Y-%m-%d %H:%M:%S %Z}" if used else "--force"
        on_step(Step(f"deactivated {old} ({why}); the next rotation deletes it"))
    _call(iam, "untag_user", UserName=user, TagKeys=[ROTATION_TAG])
    return Rotation("done", old, new, made)


def next_step(iam: Any, user: str, *, force: bool = False) -> str:
    """What ``rotate`` would do now, in words (``--dry-run``): nothing is changed."""
    progress = _tags(iam, user).get(ROTATION_TAG, "").split()
    found = keys(iam, user)
    if not progress:
        active = [k for k in found if k.active]
        if len(active) != 1:
            return f"nothing: {user} has {len(active)} active keys (a rotation starts from one)"
        retired = [k.key_id for k in found if not k.active]
        then = f"delete {', '.join(retired)} (deactivated by the last rotation), then " if retired else ""
        return f"{then}create a new key and hand it over; {active[0].key_id} stays active until the new key is used"
    old = progress[0]
    if len(progress) == 1:
        return f"finish an interrupted rotation of {old}: make the new key again and hand it over"
    new = progress[1]
    used = last_used(iam, new) if new in {k.key_id for k in found} else None
    if used is None and not force:
        return f"nothing yet: {new} has not been used; {old} stays active"
    return f"deactivate {old} ({new} in use)" if used else f"deactivate {old} (--force: {new} not used yet)"
