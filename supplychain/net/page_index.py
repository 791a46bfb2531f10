"""Where each version's entries sit in a Simple JSON page, kept by the SHA-256 of the page.

The reachable index sends no validators, so a warm resolution downloads every project page again
(uv does too). Decoding each page whole and sorting its entries by version was a fifth of a warm
resolution's CPU: 0.44 s for nnsight's 87 pages (24 MB, 61,000 entries), of which the resolver reads
a few dozen. A page byte-identical to one read before sorts the same way, so the first read stores
each version's entries as (start, end, position) spans of the page's text, and the next reads
decode only the entries of the versions the resolver reaches.

An entry is keyed by the SHA-256 of the page's bytes (and this format), so any change to the page
is a miss. It is written only after the whole page was parsed and checked, so it never speaks for
a page that did not parse. An unreadable entry is a miss. ``Listing`` checks each entry it decodes
against the version it was filed under, so a damaged index cannot hand one version's files out as
another's.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from supplychain.files import write_atomic
from supplychain.net.json_stream import Reader

DIRECTORY = "page-index"  # under the cache directory
KEEP_FOR = 30 * 24 * 3600  # seconds: entries of pages not seen again for this long are removed
_FORMAT = 1
_pruned: set[Path] = set()  # cache directories already pruned by this process

T = TypeVar("T")
Spans = list[int]  # flat (start, end, position in ``files``) triples


@dataclass(frozen=True, slots=True, kw_only=True)
class PageIndex:
    """A page's parsed head and its entries' spans: by version text, and the rest (``odd``)."""

    api_version: tuple[int, int] | None
    status: tuple[str, str | None] | None
    versions: dict[str, Spans]
    odd: Spans  # entries whose filename gives no version: read and checked on every use


def digest_of(content: bytes) -> str:
    """The key of a page's bytes (with this format: a new layout never reads an old one)."""
    return hashlib.sha256(b"supplychain page-index %d\n" % _FORMAT + content).hexdigest()


def load(cache_dir: Path, digest: str, length: int) -> PageIndex | None:
    """The stored index of the page with ``digest`` and text ``length``; None when absent or unreadable."""
    try:
        data = json.loads((cache_dir / DIRECTORY / f"{digest}.json").read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    if not (isinstance(data, dict) and data.get("length") == length and _well_formed(data, length)):
        return None
    api, status = data["api"], data["status"]
    return PageIndex(
        api_version=None if api is None else (api[0], api[1]),
        status=None if status is None else (status[0], status[1]),
        versions=data["versions"],
        odd=data["odd"],
    )


def _well_formed(data: dict[str, object], length: int) -> bool:
    versions, api, status = data.get("versions"), data.get("api", False), data.get("status", False)
    return (
        isinstance(versions, dict)
        and all(_spans(spans, length) for spans in versions.values())
        and _spans(data.get("odd"), length)
        and (api is None or (isinstance(api, list) and len(api) == 2 and all(type(n) is int for n in api)))
        and (
            status is None
            or (
                isinstance(status, list)
                and len(status) == 2
                and isinstance(status[0], str)
                and (status[1] is None or isinstance(status[1], str))
            )
        )
    )


def _spans(value: object, length: int) -> bool:
    """Whole (start, end, position) triples of integers within the text (checked in C: an index
    lists every entry of the page, tens of thousands for a long-lived project)."""
    if not isinstance(value, list) or len(value) % 3:
        return False
    return not value or (set(map(type, value)) == {int} and min(value) >= 0 and max(value) <= length)


def save(cache_dir: Path, digest: str, length: int, index: PageIndex) -> None:
    """Store ``index`` for the page; a failure only means the page is parsed whole next time."""
    directory = cache_dir / DIRECTORY
    body = json.dumps(
        {
            "length": length,
            "api": index.api_version,
            "status": index.status,
            "versions": index.versions,
            "odd": index.odd,
        },
        separators=(",", ":"),
    )
    with contextlib.suppress(OSError):
        write_atomic(directory / f"{digest}.json", body, private=True, durable=False)
        _prune(directory)


def _prune(directory: Path) -> None:
    """Once per process: remove entries not written for ``KEEP_FOR`` (pages that changed since)."""
    if directory in _pruned:
        return
    _pruned.add(directory)
    oldest = time.time() - KEEP_FOR
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.name.endswith(".json") and entry.stat(follow_symlinks=False).st_mtime < oldest:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def walk(
    text: str, reduce: Callable[[object], T]
) -> tuple[dict[str, object], list[tuple[int, int, T]]] | None:
    """A JSON page's top-level members but ``files``, and each ``files`` entry's span with ``reduce`` of it.

    Each entry is decoded, reduced (to its filename, say) and dropped before the next: a long-lived
    project's page is never held as objects whole. The same values ``json.loads`` gives (a repeated
    key: the last one counts), read with the same decoder (``json_stream.Reader``). None when the
    text is not a JSON object with a ``files`` array, or not JSON at all: the caller then parses it
    whole, and that parse says what is wrong.
    """
    try:
        reader = Reader(text)
        if reader.peek() != "{":
            return None
        head: dict[str, object] = {}
        files: list[tuple[int, int, T]] | None = None
        for key in reader.members():
            if key == "files" and reader.peek() == "[":
                files = [(start, end, reduce(entry)) for start, end, entry in reader.spans()]
            elif key == "files":
                reader.value()
                files = None
            else:
                head[key] = reader.value()
        reader.end()
    except (ValueError, RecursionError):  # json.JSONDecodeError is a ValueError
        return None
    return None if files is None else (head, files)
