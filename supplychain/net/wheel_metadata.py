"""A wheel's ``*.dist-info/METADATA`` without downloading the wheel, as pip's lazy_wheel and uv do.

In order: the PEP 658/714 metadata file when the index offers one; else HTTP range reads (the end
of the file for the zip's end records, then the central directory, then the METADATA member);
else, when the server ignores ranges, the whole file within a size limit. The zip structures are
parsed by the stdlib :mod:`zipfile` over a sparse view of the bytes fetched so far; nothing in the
wheel is ever run.
"""

from __future__ import annotations

import bisect
import hashlib
import struct
import zipfile
import zlib
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from supplychain.errors import HttpStatusError, MalformedResponse, ResponseTooLarge
from supplychain.net.http import ByteRange, Http

TAIL_BYTES = 64 * 1024  # the end records and, for most wheels, the central directory and METADATA
WHOLE_FILE_BYTES = 256 * 1024 * 1024  # when ranges are refused, a larger wheel stays unread
METADATA_BYTES = 4 * 1024 * 1024  # a METADATA (or PEP 658 file) past this is not metadata
_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024  # torch's, for ~15,000 members, is about 2 MB
_MIN_READ = 16 * 1024  # a read past what was planned fetches at least this much
_MAX_READS = 8  # range requests for one wheel: three suffice for a well-formed one
T = TypeVar("T")
# What zipfile raises on a damaged or hostile archive (or a sparse view lacking bytes it assumed).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    NotImplementedError,
    EOFError,
    OSError,
    ValueError,
    struct.error,
    zlib.error,
)
Fetch = Callable[[int, int], Awaitable[ByteRange]]


class Unfetched(Exception):
    """zipfile read bytes ``[start, stop)`` of the file that were not fetched yet."""

    def __init__(self, start: int, stop: int) -> None:
        super().__init__(start, stop)
        self.start = start
        self.stop = stop


class SparseFile:
    """A read-only, seekable view of a remote file of ``size`` bytes of which some spans are held.

    Reading a span not held raises ``Unfetched``, which is how the reader learns what to fetch
    next while :mod:`zipfile` does all the parsing.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._starts: list[int] = []  # sorted, non-overlapping, non-adjacent spans
        self._spans: list[bytes] = []
        self._position = 0

    def add(self, offset: int, data: bytes) -> None:
        """Hold ``data`` at ``offset``, merged with any span it overlaps or touches."""
        start, stop = offset, offset + len(data)
        if start < 0 or stop > self.size:
            raise ValueError(f"bytes {start}-{stop} outside a file of {self.size}")
        first = bisect.bisect_left(self._starts, start)
        if first and self._end(first - 1) >= start:
            first -= 1
        last = first
        while last < len(self._starts) and self._starts[last] <= stop:
            last += 1
        merged_start = min([start, *self._starts[first:last]])
        merged = bytearray(max([stop, *(self._end(i) for i in range(first, last))]) - merged_start)
        for held_start, held in zip(self._starts[first:last], self._spans[first:last], strict=True):
            merged[held_start - merged_start : held_start - merged_start + len(held)] = held
        merged[start - merged_start : stop - merged_start] = data
        self._starts[first:last] = [merged_start]
        self._spans[first:last] = [bytes(merged)]

    def _end(self, index: int) -> int:
        return self._starts[index] + len(self._spans[index])

    def holds(self, start: int, stop: int) -> bool:
        """Whether every byte of ``[start, stop)`` (within the file) is held."""
        index = bisect.bisect_right(self._starts, start) - 1
        return index >= 0 and self._end(index) >= min(stop, self.size)

    def missing(self, start: int, stop: int) -> tuple[int, int]:
        """The first span within ``[start, stop)`` not held (empty when all of it is)."""
        index = bisect.bisect_right(self._starts, start) - 1
        if index >= 0 and self._end(index) > start:
            start = min(self._end(index), stop)
        following = bisect.bisect_right(self._starts, start)
        if following < len(self._starts):
            stop = min(stop, self._starts[following])
        return start, max(start, min(stop, self.size))

    def seek(self, offset: int, whence: int = 0, /) -> int:
        """``io`` semantics (whence 0, 1 or 2); past the end is allowed and reads ``b""`` there."""
        base = {0: 0, 1: self._position, 2: self.size}[whence]
        if base + offset < 0:
            raise OSError("seek before the start of the file")
        self._position = base + offset
        return self._position

    def tell(self) -> int:
        """The current position, as :mod:`zipfile` asks of a file object."""
        return self._position

    def seekable(self) -> bool:
        """Always: :mod:`zipfile` seeks to the end records and back."""
        return True

    def read(self, n: int = -1, /) -> bytes:
        """Up to ``n`` bytes (all when negative) from the position; ``Unfetched`` if not held, unmoved."""
        start = min(self._position, self.size)
        stop = self.size if n < 0 else min(self.size, start + n)
        if start == stop:
            return b""
        if not self.holds(start, stop):
            raise Unfetched(start, stop)
        index = bisect.bisect_right(self._starts, start) - 1
        held_start = self._starts[index]
        self._position = stop
        return self._spans[index][start - held_start : stop - held_start]


def wheel_filename(url: str) -> str:
    """The file name at the end of a wheel URL (percent-decoded, query and fragment dropped)."""
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


async def fetch_metadata_file(http: Http, url: str) -> bytes | None:
    """The PEP 658/714 metadata file of the distribution at ``url``; None when the index has none."""
    try:
        response = await http.get(url.split("#", 1)[0] + ".metadata", max_bytes=METADATA_BYTES)
    except HttpStatusError as error:
        if error.status in {404, 410}:
            return None
        raise
    return response.content


async def fetch_wheel_metadata(
    http: Http,
    url: str,
    *,
    size: int | None = None,
    sha256: str | None = None,
    metadata_file: bool = False,
    max_bytes: int = WHOLE_FILE_BYTES,
) -> bytes:
    """The METADATA of the wheel at ``url``, fetching as little of the wheel as the index allows.

    ``size`` and ``sha256`` are what the index page says of the file: every answer must agree with
    the size, and a whole file read must have the hash. Raises ResponseTooLarge when the server
    ignores ranges and the file is larger than ``max_bytes``; MalformedResponse for a broken wheel
    or a server that answers other bytes than asked.
    """
    if metadata_file:
        content = await fetch_metadata_file(http, url)
        if content is not None:
            return content
    filename = wheel_filename(url)
    sparse, fetch = await open_wheel(http, url, size=size, sha256=sha256, max_bytes=max_bytes)
    return await metadata_by_ranges(sparse, filename, fetch)


async def open_wheel(
    http: Http,
    url: str,
    *,
    size: int | None = None,
    sha256: str | None = None,
    max_bytes: int = WHOLE_FILE_BYTES,
) -> tuple[SparseFile, Fetch]:
    """The wheel's tail as a SparseFile, and how to fetch more of it (see ``fetch_wheel_metadata``)."""
    filename = wheel_filename(url)
    try:
        first = await http.get_range(url, -TAIL_BYTES, size=size, max_bytes=max_bytes)
    except ResponseTooLarge:
        known = f" of {size} bytes" if size is not None else ""
        raise ResponseTooLarge(
            f"{filename}: the index ignores range requests and the file{known} exceeds "
            f"the {max_bytes}-byte limit for reading a whole wheel"
        ) from None
    if first.whole and sha256 is not None and hashlib.sha256(first.content).hexdigest() != sha256:
        raise MalformedResponse(f"{filename}: the file does not have the sha256 the index lists")
    sparse = SparseFile(first.total)
    sparse.add(first.offset, first.content)

    async def fetch(start: int, stop: int) -> ByteRange:
        return await http.get_range(url, start, stop, size=sparse.size, max_bytes=max_bytes)

    return sparse, fetch


async def metadata_by_ranges(sparse: SparseFile, filename: str, fetch: Fetch) -> bytes:
    """Let zipfile parse what ``sparse`` holds, fetching each span it lacks with ``fetch(start, stop)``."""
    return await read_by_ranges(sparse, filename, fetch, _metadata_member, what="METADATA")


async def read_by_ranges(
    sparse: SparseFile,
    filename: str,
    fetch: Fetch,
    parse: Callable[[SparseFile, str], T],
    *,
    what: str,
    reads: int = _MAX_READS,
) -> T:
    """``parse(sparse, filename)``, fetching each span it lacks (it raises ``Unfetched``) in turn."""
    for _ in range(reads):
        try:
            return parse(sparse, filename)
        except Unfetched as wanted:
            first, last = wanted.start, wanted.stop
        if last - first > _CENTRAL_DIRECTORY_BYTES:
            raise MalformedResponse(f"{filename}: a zip structure of {last - first} bytes is too large")
        start, stop = sparse.missing(first, max(last, first + _MIN_READ))  # not less, but nothing held
        if start >= stop:
            raise MalformedResponse(f"{filename}: the zip points outside the file")
        answer = await fetch(start, stop)
        if answer.total != sparse.size:
            raise MalformedResponse(f"{filename}: the file changed size between two range requests")
        sparse.add(answer.offset, answer.content)
    raise MalformedResponse(f"{filename}: {what} not found within {reads} range requests")


def wheel_metadata_from_bytes(content: bytes, filename: str) -> bytes:
    """The METADATA of a wheel held whole in memory."""
    sparse = SparseFile(len(content))
    sparse.add(0, content)
    return _metadata_member(sparse, filename)  # every byte is held: nothing is left to fetch


def _metadata_member(sparse: SparseFile, filename: str) -> bytes:
    """Parse with zipfile; raises Unfetched for the next span it needs.

    The METADATA member's local header and data are asked for in one span before zipfile reads
    them, so a well-formed wheel needs the tail, perhaps the central directory, and that span.
    """
    try:
        with zipfile.ZipFile(sparse) as archive:
            info = _metadata_info(archive.infolist(), filename)
            return read_member(archive, info, sparse, METADATA_BYTES, f"{filename}: METADATA")
    except ZIP_ERRORS as error:
        raise MalformedResponse(f"{filename}: not a readable wheel ({error})") from None


def read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, sparse: SparseFile, limit: int, what: str
) -> bytes:
    """One member's bytes (at most ``limit``), its local header and data asked for in one span.

    Raises ``Unfetched`` for that span when not held, MalformedResponse for a member too large,
    outside the file or encrypted; ``what`` names it in messages.
    """
    if info.file_size > limit or info.compress_size > limit:
        raise MalformedResponse(f"{what} of {info.file_size} bytes is too large")
    if info.header_offset < 0 or info.header_offset + 30 > sparse.size:
        raise MalformedResponse(f"{what} lies outside the file")
    if info.flag_bits & 0x1:
        raise MalformedResponse(f"{what} is encrypted")
    planned = info.header_offset + 30 + len(info.orig_filename.encode()) + len(info.extra)
    planned += info.compress_size + 256  # the local extra field may be longer than the central one
    if not sparse.holds(info.header_offset, planned):
        raise Unfetched(info.header_offset, min(planned, sparse.size))
    with archive.open(info) as member:
        content = member.read(limit + 1)
    if len(content) > limit:
        raise MalformedResponse(f"{what} inflates past {limit} bytes")
    return content


def _metadata_info(infos: list[zipfile.ZipInfo], filename: str) -> zipfile.ZipInfo:
    """The one top-level ``<name>-<version>.dist-info/METADATA`` of the wheel's own project (as pip)."""
    try:
        project: str | None = parse_wheel_filename(filename)[0]
    except InvalidWheelFilename:
        project = None
    found = []
    for info in infos:
        top, _, rest = info.filename.partition("/")
        if rest != "METADATA" or not top.endswith(".dist-info"):
            continue
        if project is None or canonicalize_name(top.removesuffix(".dist-info").rsplit("-", 1)[0]) == project:
            found.append(info)
    if len(found) != 1:
        what = "no" if not found else "more than one"
        raise MalformedResponse(f"{filename}: {what} {project or ''}-*.dist-info/METADATA")
    return found[0]


__all__ = [
    "METADATA_BYTES",
    "TAIL_BYTES",
    "WHOLE_FILE_BYTES",
    "ZIP_ERRORS",
    "Fetch",
    "SparseFile",
    "Unfetched",
    "fetch_metadata_file",
    "fetch_wheel_metadata",
    "metadata_by_ranges",
    "open_wheel",
    "read_by_ranges",
    "read_member",
    "wheel_filename",
    "wheel_metadata_from_bytes",
]
