"""Crash-safe, exclusive edits of a text file: lock, write a temp file beside it, fsync, rename."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from supplychain.errors import UsageError
from supplychain.model import Location


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


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that readers see the old or the new file, never a mix.

    The temp file lives in the same directory (``os.replace`` is atomic only within a file system);
    it is fsynced before the rename and the directory after it, and removed if anything fails.
    """
    directory = path.parent if str(path.parent) else Path(".")
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(temp_name, path.stat().st_mode & 0o777)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    directory_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_fd)
    finally:
        os.close(directory_fd)
