"""safewrite: what a user notices about how their secret-holding files are written."""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bootstrap.awsfiles import locations, safewrite
from bootstrap.errors import InputError, StateError


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_000() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_files_are_0600_and_new_directories_0700_even_with_umask_000(tmp_path: Path, umask_000: None) -> None:
    tmp_path.chmod(0o755)
    target = tmp_path / "home" / ".aws" / "credentials"

    safewrite.write_private(target, "[a]\n")

    assert target.read_text() == "[a]\n"
    assert mode(target) == 0o600
    assert mode(tmp_path / "home") == 0o700
    assert mode(tmp_path / "home" / ".aws") == 0o700
    assert mode(tmp_path) == 0o755  # a directory that already existed is not ours to change


def test_an_existing_world_readable_file_becomes_0600(tmp_path: Path, umask_000: None) -> None:
    target = tmp_path / "config"
    target.write_text("[default]\n")
    target.chmod(0o644)

    safewrite.write_private(target, "[default]\nregion = eu-west-1\n")

    assert mode(target) == 0o600


def test_previous_content_is_backed_up_0600_and_only_the_last_few_kept(tmp_path: Path, umask_000: None) -> None:
    target = tmp_path / "credentials"
    assert safewrite.write_private(target, "v0\n", keep=3) is None  # nothing to back up yet

    made = [safewrite.write_private(target, f"v{i}\n", keep=3) for i in range(1, 7)]

    kept = safewrite.backups(target)
    assert [p.read_text() for p in kept] == ["v3\n", "v4\n", "v5\n"]
    assert kept == made[-3:]
    assert all(mode(p) == 0o600 for p in kept)
    assert all(p.name.startswith("credentials.bak-") and p.name.endswith("Z") for p in kept)
    assert target.read_text() == "v6\n"


def test_writing_through_a_symlink_updates_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "aws-credentials"
    real.write_text("[old]\n")
    real.chmod(0o644)
    aws = tmp_path / ".aws"
    aws.mkdir()
    link = aws / "credentials"
    link.symlink_to(real)

    backup = safewrite.write_private(link, "[new]\n")

    assert link.is_symlink()
    assert link.resolve() == real.resolve()
    assert real.read_text() == "[new]\n"
    assert mode(real) == 0o600
    assert backup is not None
    assert backup.parent == aws  # secrets stay out of the dotfiles repository
    assert backup.read_text() == "[old]\n"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert [p.name for p in dotfiles.iterdir()] == ["aws-credentials"]
    assert safewrite.read_text(link) == "[new]\n"


def test_a_dangling_symlink_gets_its_target_created(tmp_path: Path) -> None:
    link = tmp_path / "credentials"
    link.symlink_to(tmp_path / "elsewhere" / "creds")

    safewrite.write_private(link, "[a]\n")

    assert link.is_symlink()
    assert (tmp_path / "elsewhere" / "creds").read_text() == "[a]\n"


def _fail_with_enospc(*_args: Any, **_kwargs: Any) -> Any:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("step", ["write", "fsync", "replace"])
def test_a_failure_mid_write_leaves_the_old_file_intact_and_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    target = tmp_path / "credentials"
    target.write_text("[mine]\nkey = old\n")
    target.chmod(0o600)
    before = sorted(p.name for p in tmp_path.iterdir())

    calls: dict[str, int] = {"n": 0}
    real: Callable[..., Any] = getattr(os, step)

    def flaky(*args: Any, **kwargs: Any) -> Any:
        # the backup is written first (one write + one fsync); fail on the temporary file's turn
        calls["n"] += 1
        if step == "replace" or calls["n"] > 1:
            return _fail_with_enospc()
        return real(*args, **kwargs)

    monkeypatch.setattr(os, step, flaky)
    with pytest.raises(StateError, match="previous file is unchanged"):
        safewrite.write_private(target, "[mine]\nkey = new\n")
    monkeypatch.undo()

    assert target.read_text() == "[mine]\nkey = old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary file, no stray backup


def test_a_failing_backup_leaves_the_file_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "config"
    target.write_text("[default]\n")
    monkeypatch.setattr(os, "fsync", _fail_with_enospc)
    with pytest.raises(StateError):
        safewrite.write_private(target, "[default]\nregion = x\n")
    monkeypatch.undo()
    assert target.read_text() == "[default]\n"
    assert [p.name for p in tmp_path.iterdir()] == ["config"]


def test_a_held_lock_times_out_with_a_state_error(tmp_path: Path) -> None:
    target = tmp_path / "credentials"
    lock_file = locations.lock_path(target)
    with safewrite.locked(target):
        assert mode(lock_file) == 0o600
        # another process (another open file description) holds it now
        fd = os.open(lock_file, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)

    fd = os.open(lock_file, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(StateError, match="another aws-iam-bootstrap run"), safewrite.locked(target, timeout=0.2):
            pass
    finally:
        os.close(fd)


def test_the_lock_is_reentrant_within_a_thread(tmp_path: Path) -> None:
    target = tmp_path / "config"
    with safewrite.locked(target), safewrite.locked(target, timeout=0.1):
        safewrite.write_private(target, "[a]\n")
    assert target.read_text() == "[a]\n"


def test_read_text_is_byte_exact_and_none_when_missing(tmp_path: Path) -> None:
    assert safewrite.read_text(tmp_path / "missing") is None
    target = tmp_path / "config"
    target.write_bytes(b"[default]\r\nregion = eu-west-1\r\n")
    assert safewrite.read_text(target) == "[default]\r\nregion = eu-west-1\r\n"
    safewrite.write_private(target, "[default]\r\n")
    assert target.read_bytes() == b"[default]\r\n"


def test_a_file_that_is_not_utf8_is_bad_input(tmp_path: Path) -> None:
    target = tmp_path / "config"
    target.write_bytes(b"[default]\nregion = \xff\n")
    with pytest.raises(InputError, match="not UTF-8"):
        safewrite.read_text(target)


def test_a_fifo_or_a_device_is_refused_at_once_and_left_as_it_is(tmp_path: Path) -> None:
    fifo = tmp_path / "config"
    os.mkfifo(fifo, 0o600)
    with pytest.raises(InputError, match="is not a regular file \\(a FIFO\\)"):
        safewrite.read_text(fifo)  # opened without blocking: no hang
    with pytest.raises(StateError, match="not a regular file"):
        safewrite.write_private(fifo, "[default]\n")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    device = tmp_path / "credentials"
    device.symlink_to("/dev/null")  # AWS_SHARED_CREDENTIALS_FILE=/dev/null, say
    with pytest.raises(InputError, match="a character device"):
        safewrite.read_text(device)
    with pytest.raises(StateError, match="not a regular file"):
        safewrite.write_private(device, "[default]\n")
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can make a file another user's")
def test_a_run_as_root_keeps_the_owner_of_the_files_it_replaces(tmp_path: Path) -> None:
    target = tmp_path / "credentials"
    target.write_text("[mine]\nkey = old\n")
    os.chown(target, 4321, 4322)
    backup = safewrite.write_private(target, "[mine]\nkey = new\n")
    assert (target.stat().st_uid, target.stat().st_gid) == (4321, 4322)
    assert backup is not None
    assert (backup.stat().st_uid, backup.stat().st_gid) == (4321, 4322)


def test_temporary_files_a_killed_run_left_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "credentials"
    target.write_text("[a]\n")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)  # a process that has exited
    left = [tmp_path / f".credentials.tmp-{pid}-0123abcd", tmp_path / f".credentials.bak-tmp-{pid}-89abcdef"]
    for path in left:
        path.write_text("aws_secret_access_key = a secret of a killed run\n")
    live = tmp_path / f".credentials.tmp-{os.getppid()}-fedcba98"  # a live process's: not ours to remove
    live.write_text("")
    safewrite.write_private(target, "[a]\nx = 1\n")
    assert not any(path.exists() for path in left)
    assert live.exists()


def test_a_run_killed_while_writing_the_backup_leaves_no_backup_under_a_valid_name(tmp_path: Path) -> None:
    """SIGKILL cannot be caught: the process dies half-way through the backup's bytes (os._exit stands for it)."""
    target = tmp_path / "credentials"
    target.write_text("[a]\n" + "x = 1\n" * 1000)
    child = (
        "import os, pathlib\n"
        "from bootstrap.awsfiles import safewrite\n"
        "real = os.write\n"
        "def killed(fd, data):\n"
        "    real(fd, bytes(data)[: len(data) // 2])\n"
        "    os._exit(9)\n"
        "os.write = killed\n"
        f"safewrite.write_private(pathlib.Path({str(target)!r}), '[a]\\n')\n"
    )
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 9, done.stderr
    assert safewrite.backups(target) == []
    assert target.read_text().startswith("[a]\nx = 1\n")
    safewrite.write_private(target, "[a]\n")  # the next run cleans what the killed one left
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_symlink_planted_at_the_lock_or_the_ledger_is_never_followed(tmp_path: Path) -> None:
    from bootstrap.awsfiles import ledger

    target = tmp_path / "credentials"
    target.write_text("[a]\n")
    victim = tmp_path / "victim"
    victim.write_text("someone else's file\n")
    victim.chmod(0o644)
    locations.lock_path(target).symlink_to(victim)
    with pytest.raises(StateError, match="is a symbolic link"), safewrite.locked(target):
        pass
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644  # not chmodded through the link
    locations.ledger_path(target).symlink_to(victim)
    ledger.write(target, ledger.Ledger(frozenset({"profile a"})))
    assert victim.read_text() == "someone else's file\n"  # not overwritten through the link
    assert not locations.ledger_path(target).is_symlink()
