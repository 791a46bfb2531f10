"""A wheel's start-up hooks (``.pth``, ``sitecustomize``, ``usercustomize``) read by range requests.

The member names come from the zip's central directory, fetched as for METADATA (the tail, perhaps
the directory); each ``.pth`` member is then read on its own to tell an ``import`` line, which
``site`` executes at every interpreter start (CPython ``Lib/site.py``, ``addpackage``), from a list
of paths. Nothing in the wheel is run.
"""

from __future__ import annotations

import zipfile

from supplychain.errors import MalformedResponse
from supplychain.model import StartupHook
from supplychain.net.http import Http
from supplychain.net.wheel_metadata import (
    WHOLE_FILE_BYTES,
    ZIP_ERRORS,
    SparseFile,
    open_wheel,
    read_by_ranges,
    read_member,
    wheel_filename,
)

PTH_BYTES = 1024 * 1024  # a .pth past this is refused (Unknown), not guessed about
MAX_PTH_MEMBERS = 16  # each costs a range request; more makes the wheel unread (Unknown)
_CUSTOMIZE = frozenset({"sitecustomize", "usercustomize"})  # a module or a package of that name
_SCHEME_DIRS = ("purelib", "platlib")  # <name>.data/<dir>/ installs into site-packages too


async def fetch_startup_hooks(
    http: Http, url: str, *, size: int | None = None, max_bytes: int = WHOLE_FILE_BYTES
) -> tuple[StartupHook, ...]:
    """The start-up hooks the wheel at ``url`` installs, sorted by member; raises FetchError kinds."""
    sparse, fetch = await open_wheel(http, url, size=size, max_bytes=max_bytes)
    reads = 4 + MAX_PTH_MEMBERS  # the tail, the central directory and one span per .pth
    return await read_by_ranges(
        sparse, wheel_filename(url), fetch, startup_hooks_of, what="hooks", reads=reads
    )


def startup_hooks_of(sparse: SparseFile, filename: str) -> tuple[StartupHook, ...]:
    """Parse what ``sparse`` holds; raises ``Unfetched`` for the next span needed."""
    try:
        with zipfile.ZipFile(sparse) as archive:
            hooks = []
            members = [(info, _installed(info.filename)) for info in archive.infolist()]
            pth = [info for info, name in members if name is not None and name.endswith(".pth")]
            if len(pth) > MAX_PTH_MEMBERS:
                raise MalformedResponse(f"{filename}: {len(pth)} .pth files (more than {MAX_PTH_MEMBERS})")
            for info, name in members:
                if name is None:
                    continue
                if name.endswith(".pth"):
                    hooks.append(
                        StartupHook(member=info.filename, runs_code=_runs_code(archive, info, sparse))
                    )
                elif name.removesuffix(".py") in _CUSTOMIZE or name.split("/")[0] in _CUSTOMIZE:
                    hooks.append(StartupHook(member=info.filename, runs_code=True))
    except ZIP_ERRORS as error:
        raise MalformedResponse(f"{filename}: not a readable wheel ({error})") from None
    return tuple(sorted(set(hooks), key=lambda hook: hook.member))


def _installed(member: str) -> str | None:
    """Where ``member`` lands relative to site-packages when that is a hook's place, else None.

    Top-level files (``x.pth``, ``sitecustomize.py``) and a ``sitecustomize/`` package count, in the
    wheel's root or its ``*.data/purelib|platlib/`` directories; ``.pth`` files deeper are never read.
    """
    parts = member.split("/")
    if len(parts) > 2 and parts[0].endswith(".data") and parts[1] in _SCHEME_DIRS:
        parts = parts[2:]
    if len(parts) == 1:
        return parts[0] if parts[0].endswith(".pth") or parts[0].removesuffix(".py") in _CUSTOMIZE else None
    return "/".join(parts) if parts[0] in _CUSTOMIZE else None


def _runs_code(archive: zipfile.ZipFile, info: zipfile.ZipInfo, sparse: SparseFile) -> bool:
    """Whether a ``.pth`` has a line ``site`` executes: one starting ``import`` + space or tab."""
    content = read_member(archive, info, sparse, PTH_BYTES, info.filename)
    return any(line.startswith((b"import ", b"import\t")) for line in content.splitlines())


__all__ = ["MAX_PTH_MEMBERS", "PTH_BYTES", "fetch_startup_hooks", "startup_hooks_of"]
