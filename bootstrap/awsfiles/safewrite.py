"""Private, atomic, locked writes of the files that hold secrets (``~/.aws/credentials``, ``~/.aws/config``).

What a user can rely on, whatever happens:
- The file is replaced in one step (a temporary file in the same directory, fsynced, ``os.replace``d, the directory
  fsynced), so a crash, a full disk or Ctrl-C leaves either the old file or the new one, never half of either, and
  never a temporary file behind.
- A symlinked file stays a symlink: the write goes to the file it points at (dotfile managers rely on this).
- Files are 0600 and directories we create 0700 whatever the umask: the mode is set explicitly, not requested.
- The previous content is kept as ``<name>.bak-<UTC timestamp>`` (0600) beside the file; only the last few are kept.
- ``locked`` serialises writers across processes with ``flock`` on a sidecar ``.<name>.lock`` file, so two runs
  cannot lose each other's update; a lock held too long is reported (``StateError``) instead of waiting forever.

Temporary files and locks live beside the *target* of a symlink, because that is where the atomic replace has to
happen (a rename cannot cross file systems). Backups live beside the path as named (``~/.aws/credentials``), not
beside its target: a symlink usually points into a dotfiles repository, and copies of secrets have no business
appearing there as untracked files.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import stat
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from bootstrap.awsfiles.locations import backup_prefix, lock_path, target_of
from bootstrap.errors import InputError, StateError

FILE_MODE = 0o600
DIR_MODE = 0o700
_BACKUP_STAMP = re.compile(r"\d{8}T\d{6}\.\d{6}Z(?:-\d+)?")
_POLL_SECONDS = 0.05

# Locks this process already holds, per thread: flock would deadlock a thread against itself if a caller that
# holds the lock calls another function that takes it again.
_held_lock = threading.Lock()
_held: dict[tuple[str, int], int] = {}


def private_dir(path: Path) -> None:
    """``mkdir -p path``, each directory it creates 0700 whatever the umask; existing ones are left alone."""
    missing: list[Path] = []
    current = path
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(DIR_MODE)
        except FileExistsError:
            continue  # another process made it first; it is theirs to set up
        except OSError as exc:
            raise StateError(f"cannot create directory {directory}: {exc.strerror}") from None
        directory.chmod(DIR_MODE)


@contextlib.contextmanager
def locked(path: Path, timeout: float = 30.0, *, follow_links: bool = True) -> Iterator[None]:
    """Hold the inter-process lock for ``path`` (re-entrant within a thread); ``StateError`` after ``timeout`` s."""
    lock_file = lock_path(path, follow_links=follow_links)
    key = (str(lock_file), threading.get_ident())
    with _held_lock:
        if key in _held:
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_lock:
                _held[key] -= 1
        return

    private_dir(lock_file.parent)
    try:
        # O_NOFOLLOW: a symlink planted at the lock's name must not make us create or chmod its target.
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, FILE_MODE)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise StateError(f"the lock file {lock_file} is a symbolic link; remove it") from None
        raise StateError(f"cannot open the lock file {lock_file}: {exc.strerror}") from None
    try:
        with contextlib.suppress(OSError):  # someone else's lock file: its mode is theirs
            os.fchmod(fd, FILE_MODE)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StateError(
                        f"{path} is being changed by another aws-iam-bootstrap run (waited {timeout:g} s for "
                        f"{lock_file}); try again when it has finished"
                    ) from None
                time.sleep(_POLL_SECONDS)
        with _held_lock:
            _held[key] = 1
        try:
            yield
        finally:
            with _held_lock:
                del _held[key]
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def read_text(path: Path) -> str | None:
    """The text of ``path`` (through symlinks), byte for byte (no newline translation); None when missing.

    Anything but a regular file (a directory, a FIFO, a device, a socket) is refused at once: opened without
    blocking, so a FIFO cannot hang the tool, and never read, so a device is never consumed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory, not a file; nothing was changed") from None
    except OSError as exc:
        raise StateError(f"cannot read {path}: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise InputError(f"{path} is a directory, not a file; nothing was changed")
        if not stat.S_ISREG(mode):
            raise InputError(f"{path} is not a regular file ({_kind(mode)}); nothing was changed")
        chunks: list[bytes] = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    except OSError as exc:
        raise StateError(f"cannot read {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); nothing was changed") from None


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))
    return next((name for test, name in kinds if test(mode)), "a socket" if stat.S_ISSOCK(mode) else "not a file")


def write_private(
    path: Path, text: str | bytes, *, backup: bool = True, keep: int = 5, follow_links: bool = True
) -> Path | None:
    """Replace ``path`` (or its symlink's target) with ``text`` atomically, mode 0600; return the backup made.

    ``text`` may be bytes, for private files that are not text (the QR code of an MFA device holds its seed).
    ``follow_links=False`` is for the tool's own files (ledgers, progress, the session cache): a symlink planted
    there is replaced by the file, never written through.

    The previous content, if any and ``backup``, is first saved as ``<name>.bak-<UTC timestamp>`` (0600) and only
    the newest ``keep`` backups are kept. On any failure the old file is intact, no temporary file is left, and
    ``StateError`` says what happened. The caller holds ``locked(path)``.
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    target = target_of(path) if follow_links else path.absolute()
    private_dir(target.parent)
    data = text.encode("utf-8") if isinstance(text, str) else text
    owner = _owner_of(target)
    _remove_stale(target, target.parent, backup_prefix(path).parent)
    backup_path: Path | None = None
    try:
        if backup:
            old = _read_bytes(target)
            if old is not None:
                backup_path = _write_backup(path, old, owner)
        _replace(target, data, owner)
    except OSError as exc:
        if backup_path is not None:
            # the file was not replaced: leave the directory as it was, with no backup of an unchanged file
            with contextlib.suppress(OSError):
                backup_path.unlink()
        raise StateError(f"could not write {path}: {exc.strerror or exc}; the previous file is unchanged") from None
    if backup_path is not None:
        prune_backups(path, keep)
    return backup_path


def read_private(path: Path) -> bytes | None:
    """The bytes of one of the tool's own private files, None when missing; refused (``StateError``) when it is not
    a regular file of this user's, or is a symlink (never followed).

    Its mode is repaired to 0600 when it was more open: a file another user could read or write is not private.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise StateError(f"{path} is a symbolic link; the tool's private files never are") from None
        raise StateError(f"cannot read {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise StateError(f"{path} is not a regular file")
        if info.st_uid != os.geteuid():
            raise StateError(f"{path} belongs to another user (uid {info.st_uid}); it is not used")
        if info.st_mode & 0o077:
            os.fchmod(fd, FILE_MODE)
        chunks: list[bytes] = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def backups(path: Path) -> list[Path]:
    """The backups of ``path``, oldest first (beside ``path`` itself, even when it is a symlink)."""
    at = backup_prefix(path)
    prefix = at.name
    try:
        names = [entry.name for entry in at.parent.iterdir()]
    except FileNotFoundError:
        return []
    found = [name for name in names if name.startswith(prefix) and _BACKUP_STAMP.fullmatch(name[len(prefix) :])]
    return [at.parent / name for name in sorted(found)]


def prune_backups(path: Path, keep: int) -> None:
    """Delete all but the newest ``keep`` backups of ``path``."""
    for old in backups(path)[:-keep]:
        with contextlib.suppress(FileNotFoundError):
            old.unlink()


def _owner_of(target: Path) -> tuple[int, int] | None:
    """The owner and group of the file about to be replaced (None when there is none); refuses a target that is
    not a regular file: a device or a FIFO at the config's path is not ours to replace."""
    try:
        info = target.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"cannot inspect {target}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise StateError(f"{target} is not a regular file ({_kind(info.st_mode)}); it was left as it is")
    return info.st_uid, info.st_gid


_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?:tmp|bak-tmp)-(?P<pid>\d+)-[0-9a-f]{8}")


def _remove_stale(target: Path, *directories: Path) -> None:
    """Remove the temporary files (of ``target`` and of its backups) a killed run left in ``directories``: they
    may hold secrets. Only those of a process that no longer exists: a live writer's are its own business."""
    for directory in dict.fromkeys(directories):
        with contextlib.suppress(OSError):
            for entry in os.scandir(directory):
                found = _TEMPORARY.fullmatch(entry.name)
                if found is None or found["name"] != target.name or _alive(int(found["pid"])):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    Path(entry.path).unlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _read_bytes(target: Path) -> bytes | None:
    try:
        return target.read_bytes()
    except FileNotFoundError:
        return None


def _write_new(path: Path, data: bytes, owner: tuple[int, int] | None) -> None:
    """Create ``path`` (it must not exist), 0600 and ``owner``'s, and write ``data`` to disk."""
    # O_NOFOLLOW: a symlink planted at our temporary name must not redirect the write elsewhere.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # the umask may have removed bits we asked for; set them explicitly
        if owner is not None and owner != (os.geteuid(), os.getegid()):
            # Run as root on a user's files (sudo -E): the file stays theirs. Without the right to, it cannot.
            with contextlib.suppress(PermissionError):
                os.fchown(fd, *owner)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_backup(path: Path, data: bytes, owner: tuple[int, int] | None) -> Path:
    """The backup is written whole under a temporary name, then linked to its final name: a kill half-way never
    leaves a truncated backup under a valid name."""
    prefix = backup_prefix(path)
    tmp = prefix.with_name(f".{target_of(path).name}.bak-tmp-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        _write_new(tmp, data, owner)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        for attempt in range(100):
            backup_path = Path(f"{prefix}{stamp if attempt == 0 else f'{stamp}-{attempt}'}")
            try:
                os.link(tmp, backup_path)
            except FileExistsError:
                continue
            return backup_path
        raise OSError(errno.EEXIST, f"no free backup name for {path}")
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _replace(target: Path, data: bytes, owner: tuple[int, int] | None) -> None:
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        _write_new(tmp, data, owner)
        tmp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk. By now the new file is in place, so a
    # file system that cannot fsync a directory must not turn a done write into a reported failure.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
