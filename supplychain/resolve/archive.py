"""Read the PKG-INFO out of an sdist held in memory: no extraction, bounded reads.

A wheel's METADATA is read by :mod:`supplychain.net.wheel_metadata`, usually without the whole wheel.
"""

from __future__ import annotations

import functools
import io
import tarfile
import zipfile
from collections.abc import Callable

from supplychain.errors import MalformedResponse

_MAX_MEMBERS = 20_000
_MAX_MEMBER_BYTES = 4 * 1024 * 1024


def read_sdist_pkg_info(content: bytes, filename: str) -> bytes:
    """``<top>/PKG-INFO`` of a .tar.gz or .zip sdist."""
    try:
        if filename.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                infos = archive.infolist()
                if len(infos) > _MAX_MEMBERS:
                    raise MalformedResponse(f"{filename}: more than {_MAX_MEMBERS} members")
                for info in infos:
                    parts = info.filename.split("/")
                    if len(parts) == 2 and parts[1] == "PKG-INFO":
                        return _bounded(info.file_size, filename, functools.partial(archive.read, info))
        else:
            with tarfile.open(fileobj=io.BytesIO(content), mode="r:*") as tar:
                for count, member in enumerate(tar):
                    if count > _MAX_MEMBERS:
                        raise MalformedResponse(f"{filename}: more than {_MAX_MEMBERS} members")
                    parts = member.name.split("/")
                    if len(parts) == 2 and parts[1] == "PKG-INFO" and member.isfile():
                        handle = tar.extractfile(member)
                        if handle is not None:
                            return _bounded(member.size, filename, handle.read)
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as error:
        raise MalformedResponse(f"{filename}: not a readable sdist ({error})") from None
    raise MalformedResponse(f"{filename}: no PKG-INFO")


def _bounded(size: int, filename: str, read: Callable[[], bytes]) -> bytes:
    if size > _MAX_MEMBER_BYTES:
        raise MalformedResponse(f"{filename}: metadata member of {size} bytes is too large")
    return read()
