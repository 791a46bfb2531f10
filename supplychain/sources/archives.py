"""Safe in-memory readers for zip, tar.gz and directory archives: no extraction, bounded sizes."""

from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from supplychain.errors import AdvisoryDataError


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveLimits:
    """Bounds against decompression bombs and archives with absurd member counts."""

    max_members: int = 200_000
    max_member_bytes: int = 16 * 1024 * 1024
    max_total_bytes: int = 2 * 1024 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    name: str  # POSIX path inside the archive, validated relative
    data: bytes


def _safe_name(archive: Path, name: str) -> str:
    """Reject absolute names and ``..`` components: nothing may point outside the archive."""
    clean = name.replace("\\", "/")
    parts = PurePosixPath(clean).parts
    if clean.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
        raise AdvisoryDataError(f"{archive}: unsafe member name {name!r} (path traversal)")
    return clean


class _Budget:
    def __init__(self, archive: Path, limits: ArchiveLimits) -> None:
        self.archive, self.limits, self.members, self.total = archive, limits, 0, 0

    def count(self) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise AdvisoryDataError(f"{self.archive}: more than {self.limits.max_members} members")

    def read(self, stream: IO[bytes], name: str) -> bytes:
        """Read at most the per-member limit plus one byte, so a lying header cannot blow memory."""
        limit = self.limits.max_member_bytes
        data = stream.read(limit + 1)
        if not isinstance(data, bytes):
            raise AdvisoryDataError(f"{self.archive}: {name}: unreadable member")
        if len(data) > limit:
            raise AdvisoryDataError(f"{self.archive}: {name}: member larger than {limit} bytes")
        self.total += len(data)
        if self.total > self.limits.max_total_bytes:
            raise AdvisoryDataError(
                f"{self.archive}: uncompressed size over {self.limits.max_total_bytes} bytes"
            )
        return data


def iter_members(path: Path, *, limits: ArchiveLimits | None = None) -> Iterator[Member]:
    """Yield regular-file members of a ``.zip``, ``.tar.gz``/``.tgz``/``.tar`` or directory.

    Symlinks, hardlinks and devices are skipped; every fault is an AdvisoryDataError naming ``path``.
    """
    bounds = limits or ArchiveLimits()
    budget = _Budget(path, bounds)
    try:
        if path.is_dir():
            yield from _directory(path, budget)
        elif zipfile.is_zipfile(path):
            yield from _zip(path, budget)
        elif path.is_file():
            yield from _tar(path, budget)
        else:
            raise AdvisoryDataError(f"{path}: no such file or directory")
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, ValueError) as error:
        raise AdvisoryDataError(f"{path}: unreadable archive ({error})") from None


def _directory(root: Path, budget: _Budget) -> Iterator[Member]:
    for item in sorted(root.rglob("*")):
        if item.is_symlink() or not item.is_file():
            continue
        budget.count()
        with item.open("rb") as stream:
            data = budget.read(stream, str(item))
        yield Member(name=item.relative_to(root).as_posix(), data=data)


def _zip(path: Path, budget: _Budget) -> Iterator[Member]:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = _safe_name(path, info.filename)
            budget.count()
            mode = info.external_attr >> 16
            if info.is_dir() or (mode & 0o170000) == 0o120000:  # directory or symlink
                continue
            with archive.open(info) as stream:
                yield Member(name=name, data=budget.read(stream, name))


def _tar(path: Path, budget: _Budget) -> Iterator[Member]:
    with tarfile.open(path, mode="r:*") as archive:
        for info in archive:
            name = _safe_name(path, info.name)
            budget.count()
            if not info.isreg():  # symlinks, hardlinks, devices, directories
                continue
            stream = archive.extractfile(info)
            if stream is None:
                continue
            yield Member(name=name, data=budget.read(stream, name))
