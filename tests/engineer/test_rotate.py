"""``rotate-key`` against the sandbox: create, prove, write, retire the old key with the new one.

The invariant, checked after stopping the rotation at every point in turn: the credentials file holds a key that
works, IAM holds at most two keys, and the next run converges to exactly one key, the one in the file.
"""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bootstrap.aws import iam
from bootstrap.awsfiles import layout, locations
from bootstrap.awsfiles.profiles import load_profiles
from bootstrap.credentials import Credentials
from bootstrap.engineer import codes, steps
from bootstrap.engineer import rotate as rotation
from bootstrap.errors import NeedsAnswer, StateError
from bootstrap.prompts import NoPrompter
from tests.support.cli import aws_cli, invoke
from tests.support.clock import FakeClock, sandbox_clock
from tests.support.onboarding import (
    LONG_TERM,
    NAME,
    RUN_ID,
    Answers,
    Crash,
    Events,
    Source,
    crash_observer,
    iam_keys,
    set_up,
)

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.sandbox import Sandbox, SandboxUser


@pytest.fixture
def clock(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    return sandbox_clock(sandbox, monkeypatch)


def rotate(
    paths: AwsPaths, clock: FakeClock, auth: codes.CodeSource, *, crash_at: int | None = None, **kwargs: Any
) -> tuple[rotation.RotateResult, Events]:
    events = Events(crash_observer(crash_at))
    prompter = kwargs.pop("prompter", NoPrompter())
    result = rotation.rotate_key(paths, prompter, auth, events, profile=NAME, clock=clock, **kwargs)
    return result, events


def file_key(paths: AwsPaths) -> Credentials:

    key = layout.read_static(load_profiles(paths).get(LONG_TERM, {}))
    assert key is not None
    return key


def test_rotate_replaces_the_key_and_retires_the_old_with_the_new(
    aws_env: AwsPaths, clock: FakeClock, fresh_user: SandboxUser
) -> None:
    auth = set_up(aws_env, fresh_user, clock)
    old = fresh_user.one_time_key
    result, events = rotate(aws_env, clock, auth)
    new = file_key(aws_env)
    assert result.old_key_id == old.access_key_id
    assert result.new_key_id == new.access_key_id != old.access_key_id
    assert iam_keys(fresh_user) == [new.access_key_id]
    assert iam.works(old) is None
    assert [e.step for e in events.of(steps.StepDone)] == [1, 2, 3, 4, 5, 6]
    # The old key's file content is kept as a private backup; the state file is gone once done.
    assert not (locations.tool_dir(aws_env) / f"rotate-{NAME}.json").exists()
    # The session in [NAME] now comes from the new key and works for the real aws CLI.
    answer = json.loads(aws_cli("sts", "get-caller-identity", "--profile", NAME).stdout)
    assert answer["Arn"] == fresh_user.arn


def test_stopped_at_any_point_a_working_key_remains_and_the_next_run_converges(
    aws_env: AwsPaths, clock: FakeClock, sandbox: Sandbox, tmp_path: Path
) -> None:
    from bootstrap.awsfiles.locations import AwsPaths

    reference_user = sandbox.add_user(f"rot-ref-{RUN_ID}", {"DEV": ("READ",)})
    _, reference = rotate(aws_env, clock, set_up(aws_env, reference_user, clock))
    points = range(1, len(reference.events) + 1)
    assert len(points) >= 12

    for point in points:
        user = sandbox.add_user(f"rot-{RUN_ID}-{point}", {"DEV": ("READ",)})
        home = tmp_path / f"p{point}"
        home.mkdir()
        paths = AwsPaths(home / "config", home / "credentials")
        auth = set_up(paths, user, clock)
        with pytest.raises(Crash):
            rotate(paths, clock, auth, crash_at=point)
        # The invariant: a working key in the file, at most two keys in IAM.
        assert iam.works(file_key(paths)) is not None, point
        assert len(iam_keys(user)) <= 2, point
        result, _ = rotate(paths, clock, auth)
        assert iam_keys(user) == [file_key(paths).access_key_id], point
        assert iam.works(file_key(paths)) is not None, point
        assert result.new_key_id == file_key(paths).access_key_id
        if point < len(points):  # stopped before the end: the rerun finishes that rotation, never a second one
            assert result.old_key_id == user.one_time_key.access_key_id, point
        assert not (locations.tool_dir(paths) / f"rotate-{NAME}.json").exists(), point


def test_a_failed_write_rolls_the_new_key_back(
    aws_env: AwsPaths, clock: FakeClock, fresh_user: SandboxUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = set_up(aws_env, fresh_user, clock)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError("No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(layout, "write_key", disk_full)
        with pytest.raises(OSError, match="No space"):
            rotate(aws_env, clock, auth)
    assert iam_keys(fresh_user) == [fresh_user.one_time_key.access_key_id]
    assert file_key(aws_env).access_key_id == fresh_user.one_time_key.access_key_id
    rotate(aws_env, clock, auth)
    assert iam_keys(fresh_user) == [file_key(aws_env).access_key_id]


def test_without_a_valid_session_it_asks_a_code(aws_env: AwsPaths, clock: FakeClock, fresh_user: SandboxUser) -> None:
    auth = set_up(aws_env, fresh_user, clock, session=False)
    requests: list[codes.CodeRequest] = []

    def counting(request: codes.CodeRequest) -> str:
        requests.append(request)
        return auth(request)

    rotate(aws_env, clock, Source(counting))
    # One code for a session of the old key (to create the new one), one for the new key's (to retire the old).
    assert [r.purpose for r in requests] == ["session", "session"]
    assert requests[1].not_before is not None


def test_an_extra_key_is_named_and_deleted_only_when_agreed(
    aws_env: AwsPaths, clock: FakeClock, fresh_user: SandboxUser
) -> None:
    from bootstrap.sandbox import backend

    auth = set_up(aws_env, fresh_user, clock)
    extra = str(backend.iam(fresh_user.account_id).create_access_key(fresh_user.name).access_key_id)
    with pytest.raises(NeedsAnswer, match=f"--delete-extra-key {extra}"):
        rotate(aws_env, clock, auth)
    with pytest.raises(StateError, match=f"--delete-extra-key {extra}"):
        rotate(aws_env, clock, auth, prompter=Answers(confirm=False))
    assert extra in iam_keys(fresh_user)
    rotate(aws_env, clock, auth, delete_extra_key=extra)
    assert iam_keys(fresh_user) == [file_key(aws_env).access_key_id]


def test_an_old_key_is_warned_about(aws_env: AwsPaths, clock: FakeClock, fresh_user: SandboxUser) -> None:
    from bootstrap.sandbox import backend

    auth = set_up(aws_env, fresh_user, clock)
    for key in backend.iam(fresh_user.account_id).list_access_keys(fresh_user.name):
        key.create_date = clock.now() - timedelta(days=200, minutes=1)
    _, events = rotate(aws_env, clock, auth)
    warnings = [n.text for n in events.of(steps.Note) if n.level == "warn"]
    assert any("200 days old" in w for w in warnings)


def test_a_deactivated_key_in_the_file_is_reported(
    aws_env: AwsPaths, clock: FakeClock, fresh_user: SandboxUser
) -> None:
    from bootstrap.sandbox import backend

    auth = set_up(aws_env, fresh_user, clock)
    backend.iam(fresh_user.account_id).update_access_key(
        fresh_user.name, fresh_user.one_time_key.access_key_id, "Inactive"
    )
    with pytest.raises(StateError, match="does not work"):
        rotate(aws_env, clock, auth)


def test_dry_run_changes_nothing(aws_env: AwsPaths, clock: FakeClock, fresh_user: SandboxUser) -> None:
    auth = set_up(aws_env, fresh_user, clock)
    before = aws_env.credentials.read_text()
    result, _ = rotate(aws_env, clock, auth, dry_run=True)
    assert result.dry_run
    assert aws_env.credentials.read_text() == before
    assert iam_keys(fresh_user) == [fresh_user.one_time_key.access_key_id]


@pytest.mark.parametrize("session", [False, True], ids=["no-session", "valid-session"])
def test_cli_without_a_terminal_names_the_flag_before_changing_anything(
    aws_env: AwsPaths, clock: FakeClock, fresh_user: SandboxUser, session: bool
) -> None:
    set_up(aws_env, fresh_user, clock, session=session)
    result = invoke("rotate-key", "--profile", NAME)
    assert result.returncode == 5, result.output
    assert "--token-code-command" in result.stderr
    assert iam_keys(fresh_user) == [fresh_user.one_time_key.access_key_id]
    assert stat.S_IMODE(aws_env.credentials.stat().st_mode) == 0o600


def test_rotate_in_a_real_terminal(aws_env: AwsPaths, fresh_user: SandboxUser) -> None:
    """Real clock (the sandbox's too): the two codes typed are of the current and the next window."""
    import io
    import os
    import time

    import pexpect
    import pyotp

    from bootstrap.sandbox import backend
    from tests.support.cli import BIN, record

    set_up(aws_env, fresh_user, FakeClock(datetime.now(UTC)), session=False)
    serial = f"arn:aws:iam::{fresh_user.account_id}:mfa/{fresh_user.name}"
    seed = backend.mfa_seed(serial)
    assert seed is not None
    totp, now = pyotp.TOTP(seed), time.time()
    screen = io.StringIO()
    child = pexpect.spawn(
        str(BIN / "aws-iam-bootstrap"), ["rotate-key"], env=dict(os.environ), encoding="utf-8", timeout=90
    )
    child.logfile_read = screen
    try:
        child.expect("MFA code for arn:aws:iam::")
        child.sendline(totp.at(now))
        child.expect("MFA code for arn:aws:iam::")
        child.sendline(totp.at(now + 30))
        child.expect(pexpect.EOF)
    finally:
        child.close()
        record(screen.getvalue())
    assert child.exitstatus == 0, screen.getvalue()[-2000:]
    new = file_key(aws_env)
    assert f"Rotated: {fresh_user.one_time_key.access_key_id} -> {new.access_key_id}" in screen.getvalue()
    assert iam_keys(fresh_user) == [new.access_key_id]
