"""The files supplychain writes or is handed: atomic replacement, a lock, private creation, capped reads."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from supplychain.errors import UsageError
from supplychain.model import Location

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> None:
    """Create ``path`` (and its parents) readable by this user only: caches and data say what we audit."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)


def private_file(path: Path, *, tighten: bool = True) -> None:
    """Create ``path`` as an empty 0600 file in a private directory unless it exists.

    ``tighten`` also takes group and other access away from an existing file (the caches, which
    only we write); a file its owner may share on purpose (the inventory) keeps its mode.
    """
    private_dir(path.parent)
    if not path.exists():
        path.touch(mode=PRIVATE_FILE)
    if tighten:
        os.chmod(path, PRIVATE_FILE)


def write_atomic(path: Path, data: str | bytes, *, private: bool = False, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never a mix.

    The temporary file lives beside ``path`` (``os.replace`` is atomic only within a file system)
    and is removed if anything fails. ``private``: a 0700 directory and a 0600 file (caches, data
    stores); otherwise the file keeps the mode of the one it replaces, or gets the umask's (reports,
    allowlists). ``durable``: fsync the file before the rename and the directory after it; a cache,
    where a lost entry is only a miss, skips both.
    """
    directory = path.parent
    if private:
        private_dir(directory)
    else:
        directory.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        if not private:  # mkstemp makes 0600
            os.fchmod(descriptor, _mode_of(path))
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data.encode("utf-8") if isinstance(data, str) else data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if durable:
        directory_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(directory_fd)
        finally:
            os.close(directory_fd)


def _mode_of(path: Path) -> int:
    """The mode of the file being replaced, else an ordinary new file's (0666 under the umask)."""
    with contextlib.suppress(FileNotFoundError):
        return path.stat().st_mode & 0o777
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` so concurrent read-modify-write cycles serialise.

    The lock file exists only while a writer holds it.
    """
    lock_path = path.with_name(path.name + ".lock")
    # The holder unlinks the lock file before releasing it, so none is left behind. A waiter may then
    # win the lock on that unlinked file while another writer locks a new one: after locking, a
    # writer goes on only if the file it locked is still the one at ``lock_path``, else it retries.
    while True:
        try:
            descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as problem:
            raise UsageError(
                f"cannot create lock file: {problem.strerror}", location=Location(file=str(lock_path))
            ) from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            locked = os.fstat(descriptor)
            try:
                current = os.stat(lock_path)
            except FileNotFoundError:
                continue
            if (current.st_dev, current.st_ino) != (locked.st_dev, locked.st_ino):
                continue
            try:
                yield
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(lock_path)
            return
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)


def read_capped(path: Path, limit: int) -> bytes | None:
    """The bytes of regular file ``path``, or None when it holds more than ``limit``.

    Reading at most ``limit + 1`` bytes instead of trusting ``stat`` keeps a device named as a file
    (``/dev/zero`` reports 0 bytes and never ends) from filling memory; a FIFO is never opened.
    """
    if path.exists() and not path.is_file():
        raise OSError(errno.EINVAL, "not a regular file")
    with path.open("rb") as stream:
        data = stream.read(limit + 1)
    return None if len(data) > limit else data
