"""The Simple repository API: one project page, PEP 691 JSON or PEP 503 HTML, parsed into typed files.

Every caller (the resolver, the Simple API and Integrity sources) reads pages through ``fetch_page``,
so a page means the same to all of them. Content is negotiated as pip does: JSON preferred, HTML
accepted, since most internal indexes (devpi, Artifactory, pypiserver, a static directory) serve
only HTML. A page that is not what the specification says is a ``MalformedResponse`` as a whole:
a half-read page could hide a file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from posixpath import basename
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from supplychain.errors import MalformedResponse
from supplychain.net import page_index
from supplychain.net.http import FetchedResponse, Http, json_text
from supplychain.net.json_stream import Reader
from supplychain.net.shape import ShapeError, expect, optional, parse_time, string_map
from supplychain.urls import redact

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
# pip's preference order (PEP 691 "Content negotiation"): JSON, then the versioned HTML, then any HTML.
ACCEPT = f"{SIMPLE_JSON}, {SIMPLE_HTML};q=0.2, text/html;q=0.01"
_JSON_TYPES = frozenset({SIMPLE_JSON, "application/json"})
_HTML_TYPES = frozenset({SIMPLE_HTML, "text/html"})
PEP_740_API = (1, 3)  # the Simple API version that added ``provenance`` (PEP 740)
_SUPPORTED_MAJOR = 1  # PEP 629: a client must refuse a page of a major version it does not know
_HASH_NAMES = frozenset(hashlib.algorithms_guaranteed)
_FRAGMENT_HASH = re.compile(r"([a-z0-9_]+)=([0-9a-fA-F]+)")
_METADATA_KEYS = ("core-metadata", "dist-info-metadata", "data-dist-info-metadata")  # PEP 714 renames

Hashes = tuple[tuple[str, str], ...]  # (algorithm, hex digest), sorted


@dataclass(frozen=True, slots=True, kw_only=True)
class DistributionFile:
    """One file a project page lists, as the page states it (nothing is fetched to check it)."""

    filename: str
    url: str  # absolute and without fragment; carries the page's credentials when it was relative
    hashes: Hashes
    requires_python: str | None
    yanked: bool | None  # None: a JSON page's file entry has no ``yanked`` key, so the index did not say
    yanked_reason: str | None  # None also when yanked without a reason
    upload_time: datetime | None  # PEP 700 (JSON pages only)
    size: int | None  # PEP 700 (JSON pages only)
    core_metadata: bool  # PEP 658/714: the metadata file is served at ``url + ".metadata"``
    core_metadata_hashes: Hashes
    provenance_listed: bool  # PEP 740: the page states it (a JSON key, or any HTML anchor from API 1.3)
    provenance: str | None  # its URL; None when unlisted or listed as none

    def __post_init__(self) -> None:
        if self.provenance is not None and not self.provenance_listed:
            raise ValueError("a provenance URL is a listed provenance")
        if self.yanked_reason is not None and not self.yanked:
            raise ValueError("a yank reason needs a yanked file")

    @property
    def release(self) -> tuple[NormalizedName, Version] | None:
        """The project and version the filename names; None unless it is a wheel's or an sdist's."""
        return release_of(self.filename)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectStatus:
    """A PEP 792 status marker as the page states it (the spec's four values, or anything newer)."""

    status: str
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, weakref_slot=True)  # memoised weakly per run
class ProjectPage:
    """What a project page says: its API version, status marker and files."""

    api_version: tuple[int, int] | None  # None: the page does not state it (common for HTML)
    status: ProjectStatus | None  # None: the page reports no status marker
    files: tuple[DistributionFile, ...]

    def files_of(self, name: NormalizedName, version: Version) -> tuple[DistributionFile, ...]:
        """The files of project ``name`` at ``version`` (a wheel only when its tags are valid too).

        A page may list another project's files; those are not this project's, whatever their version.
        """
        wanted = (name, version)
        return tuple(f for f in self.files if quick_version(f.filename) == version and f.release == wanted)


Keep = Callable[[str], bool]  # a filename filter: False skips the file unread


async def fetch_page(
    http: Http, url: str, *, version: Version | None = None, keep: Keep | None = None
) -> ProjectPage:
    """GET and parse the project page at ``url``; with ``version``, only that version's files are kept.

    Pages of long-lived projects list thousands of files; a caller that asks about one version
    need not hold (or validate) the others. ``keep`` does the same by filename (the resolver's
    target: torch's page lists 2,000 wheels, a few dozen of which can be installed).
    """
    response = await http.get(url, accept=ACCEPT)
    cache_dir = http.settings.cache_dir
    if version is not None and cache_dir is not None and _content_type(response.headers)[0] in _JSON_TYPES:
        listing = _indexed_listing(response.content, url, keep, cache_dir)  # one version: see page_index
        if listing is not None:
            return listing.page_of(version)
    is_json, text = _text(response, url)
    del response  # the body: a page is held as text or as bytes while it is parsed, never both
    return _parse_text(is_json, text, url, version=version, keep=keep)


def parse_response(
    response: FetchedResponse, url: str, *, version: Version | None = None, keep: Keep | None = None
) -> ProjectPage:
    """Dispatch on the Content-Type, as pip does; anything but Simple JSON or HTML is refused."""
    return _parse_text(*_text(response, url), url, version=version, keep=keep)


def _parse_text(
    is_json: bool, text: str, url: str, *, version: Version | None, keep: Keep | None
) -> ProjectPage:
    if is_json:
        return parse_json_text(text, url, version=version, keep=keep)
    return parse_html_page(text, url, version=version, keep=keep)


def _text(response: FetchedResponse, url: str) -> tuple[bool, str]:
    """(True, JSON text) or (False, HTML text) by the Content-Type; anything else is refused."""
    media_type, charset = _content_type(response.headers)
    if media_type in _JSON_TYPES:
        return True, json_text(response.content, redact(url))
    if media_type in _HTML_TYPES:
        try:
            return False, response.content.decode(charset or "utf-8")
        except (LookupError, UnicodeDecodeError) as error:
            raise MalformedResponse(f"{redact(url)}: HTML page cannot be decoded ({error})") from None
    shown = media_type or "none"
    raise MalformedResponse(f"{redact(url)}: not a Simple API project page (Content-Type {shown})")


def _content_type(headers: Mapping[str, str]) -> tuple[str, str | None]:
    raw = next((value for key, value in headers.items() if key.lower() == "content-type"), "")
    media_type, *parameters = (part.strip() for part in raw.split(";"))
    charset = None
    for parameter in parameters:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"') or None
    return media_type.lower(), charset


def parse_json_page(
    data: object, url: str, *, version: Version | None = None, keep: Keep | None = None
) -> ProjectPage:
    """A PEP 691 JSON page; relative file URLs are resolved against ``url``."""
    try:
        page = expect(data, dict, "the page")
        files: list[DistributionFile] = []
        for number, raw in enumerate(expect(page.get("files"), list, "files")):
            if version is not None and isinstance(raw, dict) and _other_version(raw.get("filename"), version):
                continue  # well-formed and of another version: not read; anything odd is checked
            if keep is not None and isinstance(raw, dict) and _skipped(raw.get("filename"), keep):
                continue
            files.append(_json_file(raw, f"files[{number}]", url))
        api_version, status = _json_head(page)
        return ProjectPage(api_version=api_version, status=status, files=tuple(files))
    except ShapeError as error:
        raise MalformedResponse(f"{redact(url)}: not a Simple API project page ({error})") from None


def parse_json_text(
    text: str, url: str, *, version: Version | None = None, keep: Keep | None = None
) -> ProjectPage:
    """``parse_json_page`` of the page's JSON text, its file entries read one at a time.

    An entry that is not kept (another version's, or refused by ``keep``) is dropped as soon as
    its filename is seen: a long-lived project's page (7 MB of JSON) is never held as objects
    whole. The same page as ``parse_json_page(json.loads(text))`` or the same MalformedResponse
    (the first bad kept entry's, after the whole text is checked to be JSON).
    """
    try:
        reader = Reader(text)
        if reader.peek() != "{":
            data = reader.value()
            reader.end()
            return parse_json_page(data, url, version=version, keep=keep)  # not an object: refused there
        head: dict[str, object] = {}
        files: list[DistributionFile] | ShapeError | None = None  # None: no "files" key (yet)
        for key in reader.members():
            if key != "files":
                head[key] = reader.value()
            elif reader.peek() == "[":
                files = _streamed_files(reader, url, version, keep)
            else:
                files = _not_a_list(reader.value())
        reader.end()
    except json.JSONDecodeError as error:
        raise MalformedResponse(f"{redact(url)}: response is not valid JSON ({error})") from None
    try:
        if files is None:
            expect(None, list, "files")
        if isinstance(files, ShapeError):
            raise files
        assert files is not None
        api_version, status = _json_head(head)
    except ShapeError as error:
        raise MalformedResponse(f"{redact(url)}: not a Simple API project page ({error})") from None
    return ProjectPage(api_version=api_version, status=status, files=tuple(files))


def _not_a_list(value: object) -> ShapeError:
    """The error ``parse_json_page`` gives for a ``files`` member that is not an array."""
    try:
        expect(value, list, "files")
    except ShapeError as error:
        return error
    raise AssertionError("called for a value that is not an array")  # pragma: no cover


def _streamed_files(
    reader: Reader, url: str, version: Version | None, keep: Keep | None
) -> list[DistributionFile] | ShapeError:
    """The kept entries of the ``files`` array at the cursor, or the first bad one's error (the rest
    of the array is still read, so text that is not JSON is refused as such)."""
    files: list[DistributionFile] = []
    problem: ShapeError | None = None
    for number in reader.elements():
        raw = reader.value()
        if problem is not None:
            continue
        if version is not None and isinstance(raw, dict) and _other_version(raw.get("filename"), version):
            continue
        if keep is not None and isinstance(raw, dict) and _skipped(raw.get("filename"), keep):
            continue
        try:
            files.append(_json_file(raw, f"files[{number}]", url))
        except ShapeError as error:
            problem = error
    return files if problem is None else problem


def _json_head(page: Mapping[str, object]) -> tuple[tuple[int, int] | None, ProjectStatus | None]:
    """The page's API version and status marker."""
    meta = page.get("meta")
    api = None if meta is None else expect(meta, dict, "meta").get("api-version")
    version = _api_version(None if api is None else expect(api, str, "meta.api-version"))
    return version, _json_status(page.get("project-status"))


def _json_file(raw: object, where: str, page_url: str) -> DistributionFile:
    entry = expect(raw, dict, where)
    yanked = entry.get("yanked")
    if yanked is not None and not isinstance(yanked, bool | str):
        raise ShapeError(f"{where}.yanked is {type(yanked).__name__}, expected bool or str")
    uploaded = optional(entry.get("upload-time"), str, f"{where}.upload-time")
    size = optional(entry.get("size"), int, f"{where}.size")
    if size is not None and size < 0:
        raise ShapeError(f"{where}.size is negative")
    metadata, metadata_hashes = _json_metadata(entry, where)
    listed = "provenance" in entry
    provenance = optional(entry.get("provenance"), str, f"{where}.provenance")
    hashes = entry.get("hashes")
    return DistributionFile(
        filename=expect(entry.get("filename"), str, f"{where}.filename"),
        url=_absolute(page_url, expect(entry.get("url"), str, f"{where}.url")),
        hashes=_sorted(string_map(hashes, f"{where}.hashes")) if hashes is not None else (),
        requires_python=optional(entry.get("requires-python"), str, f"{where}.requires-python") or None,
        # PEP 691: a non-empty string is a reason; pip reads an empty one as "not yanked"
        yanked=None if yanked is None else bool(yanked),
        yanked_reason=yanked if isinstance(yanked, str) and yanked else None,
        upload_time=(
            None if uploaded is None else parse_time(uploaded, f"{where}.upload-time", assume_utc=True)
        ),
        size=size,
        core_metadata=metadata,
        core_metadata_hashes=metadata_hashes,
        provenance_listed=listed,
        provenance=None if provenance is None else _absolute(page_url, provenance),
    )


def _json_metadata(entry: Mapping[str, object], where: str) -> tuple[bool, Hashes]:
    """As pip reads it: the first of the PEP 714 names that is not null."""
    key = next((k for k in _METADATA_KEYS if entry.get(k) is not None), None)
    if key is None:
        return False, ()
    value = entry[key]
    if isinstance(value, bool):
        return value, ()
    return True, _sorted(string_map(value, f"{where}.{key}"))


def _json_status(value: object) -> ProjectStatus | None:
    if value is None:
        return None
    marker = expect(value, dict, "project-status")
    return ProjectStatus(
        status=expect(marker.get("status"), str, "project-status.status"),
        reason=optional(marker.get("reason"), str, "project-status.reason") or None,
    )


def _api_version(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    major, dot, minor = text.strip().partition(".")
    if not (major.isdigit() and dot and minor.isdigit()):
        raise ShapeError(f"API version {text!r} is not MAJOR.MINOR")
    if int(major) != _SUPPORTED_MAJOR:
        raise ShapeError(f"API version {text} is not supported (only {_SUPPORTED_MAJOR}.x)")
    return int(major), int(minor)


@dataclass(frozen=True, slots=True, kw_only=True)
class Listing:
    """A project page read one version at a time: what a resolver needs of a page.

    A resolver looks at a handful of the hundreds of versions a page lists; checking every file
    entry of the others (parsing times, hashes, URLs) was most of a warm resolution's CPU. The
    page's shape, and any entry whose name gives no version (never a candidate), are checked at
    once; a version's entries when it is first read, and a malformed one then fails the whole
    read, as it fails ``parse_json_page``.
    """

    url: str
    api_version: tuple[int, int] | None
    status: ProjectStatus | None
    odd: tuple[DistributionFile, ...]  # files whose names give no plain version (no wheel or sdist)
    # JSON entries by version: (position, entry), or (position, (start, end)) of the entry in ``text``
    # when the page was sorted through its stored index (``page_index``)
    unread: Mapping[Version, Iterable[tuple[int, object]]]
    keep: Keep | None = None  # applied to the unread entries' filenames as they are read
    read: dict[Version, tuple[DistributionFile, ...]] = field(default_factory=dict)
    text: str = ""  # the page, for entries given by their span
    odd_at: tuple[int, ...] = ()  # each odd file's position in the page's ``files``

    @property
    def versions(self) -> frozenset[Version]:
        """Every version a filename names (files of other projects or for other targets included)."""
        return frozenset(self.unread) | frozenset(self.read)

    def files_of(self, version: Version) -> tuple[DistributionFile, ...]:
        """The kept files whose names give ``version``, checked once; MalformedResponse for a bad entry."""
        known = self.read.get(version)
        if known is None:
            known = tuple(file for _number, file in self._kept(version))
            self.read[version] = known
        return known

    def page_of(self, version: Version) -> ProjectPage:
        """What ``parse_json_page(..., version=version)`` gives: the version's kept files and the odd
        ones, in the page's order; MalformedResponse for a bad entry among them."""
        files = dict(zip(self.odd_at, self.odd, strict=True))
        files.update(self._kept(version))
        return ProjectPage(
            api_version=self.api_version, status=self.status, files=tuple(files[n] for n in sorted(files))
        )

    def _kept(self, version: Version) -> list[tuple[int, DistributionFile]]:
        """The version's entries that ``keep`` accepts, checked, with their positions in the page."""
        try:
            return [
                (number, _json_file(entry, f"files[{number}]", self.url))
                for number, entry in self._entries(version)
                if self.keep is None or not _skipped(_filename(entry), self.keep)
            ]
        except ShapeError as error:
            raise MalformedResponse(f"{redact(self.url)}: not a Simple API project page ({error})") from None

    def _entries(self, version: Version) -> list[tuple[int, object]]:
        """The version's entries, decoded from the page where the stored index gave their spans."""
        entries: list[tuple[int, object]] = []
        for number, held in self.unread.get(version, ()):
            entry = held
            if isinstance(held, tuple):
                start, end = held
                try:
                    entry = json.loads(self.text[start:end])
                except (ValueError, RecursionError):
                    entry = None
                filename = _filename(entry)
                if not (isinstance(filename, str) and quick_version(filename) == version):
                    raise MalformedResponse(
                        f"{redact(self.url)}: the cached index of this page does not match it "
                        f"(files[{number}]); run `supplychain cache clean`"
                    )
            entries.append((number, entry))
        return entries


@dataclass(frozen=True, slots=True)
class _Spanned:
    """A version's entries as flat (start, end, position) triples of the page's text, unpacked only
    when the version is read (most never are)."""

    flat: list[int]

    def __iter__(self) -> Iterator[tuple[int, object]]:
        flat = self.flat
        for i in range(0, len(flat), 3):
            yield flat[i + 2], (flat[i], flat[i + 1])


async def fetch_listing(http: Http, url: str, *, keep: Keep | None = None) -> Listing:
    """GET the project page at ``url`` and sort its files by version, reading none yet (see ``Listing``)."""
    response = await http.get(url, accept=ACCEPT)
    cache_dir = http.settings.cache_dir
    if cache_dir is not None and _content_type(response.headers)[0] in _JSON_TYPES:
        indexed = _indexed_listing(response.content, url, keep, cache_dir)
        if indexed is not None:
            return indexed
    is_json, text = _text(response, url)
    del response
    if not is_json:  # HTML is parsed whole anyway: its files are read at once
        page = parse_html_page(text, url, keep=keep)
        odd: list[DistributionFile] = []
        read: dict[Version, list[DistributionFile]] = {}
        for file in page.files:
            found = quick_version(file.filename)
            if found is None:
                odd.append(file)
            else:
                read.setdefault(found, []).append(file)
        return Listing(
            url=url,
            api_version=page.api_version,
            status=page.status,
            odd=tuple(odd),
            unread={},
            read={version: tuple(files) for version, files in read.items()},
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise MalformedResponse(f"{redact(url)}: response is not valid JSON ({error})") from None
    del text
    return _json_listing(data, url, keep)


def _indexed_listing(content: bytes, url: str, keep: Keep | None, cache_dir: Path) -> Listing | None:
    """A JSON page sorted by version through its stored index (``page_index``), storing it on a miss.

    None when the page is not plain UTF-8 JSON text: the caller parses it whole and says what is wrong.
    """
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    digest = page_index.digest_of(content)
    stored = page_index.load(cache_dir, digest, len(text))
    if stored is not None:
        listing = _from_index(stored, text, url, keep)
        if listing is not None:
            return listing
    walked = page_index.walk(text, _filename)
    if walked is None:
        return None
    head, entries = walked
    try:
        api_version, status = _json_head(head)
    except ShapeError as error:
        raise MalformedResponse(f"{redact(url)}: not a Simple API project page ({error})") from None
    by_version: dict[Version, list[int]] = {}
    odd: list[int] = []
    for number, (start, end, filename) in enumerate(entries):
        found = quick_version(filename) if isinstance(filename, str) else None
        (odd if found is None else by_version.setdefault(found, [])).extend((start, end, number))
    index = page_index.PageIndex(
        api_version=api_version,
        status=None if status is None else (status.status, status.reason),
        versions={str(version): spans for version, spans in by_version.items()},
        odd=odd,
    )
    listing = _from_index(index, text, url, keep)
    if listing is not None:  # else an odd entry is malformed: the whole parse says which
        page_index.save(cache_dir, digest, len(text), index)
    return listing


def _from_index(stored: page_index.PageIndex, text: str, url: str, keep: Keep | None) -> Listing | None:
    """The listing of a page read before; None when the stored index does not fit this page."""
    unread: dict[Version, Iterable[tuple[int, object]]] = {}
    for version_text, flat in stored.versions.items():
        version = _parsed(version_text)
        if version is None or version in unread:
            return None
        unread[version] = _Spanned(flat)
    odd: list[DistributionFile] = []
    odd_at: list[int] = []
    flat = stored.odd
    try:
        for i in range(0, len(flat), 3):
            raw = json.loads(text[flat[i] : flat[i + 1]])
            if keep is not None and _skipped(_filename(raw), keep):
                continue
            odd.append(_json_file(raw, f"files[{flat[i + 2]}]", url))
            odd_at.append(flat[i + 2])
    except (ValueError, RecursionError, ShapeError):
        return None  # the page parsed when the index was stored: the index is what is wrong
    status = (
        None if stored.status is None else ProjectStatus(status=stored.status[0], reason=stored.status[1])
    )
    return Listing(
        url=url,
        api_version=stored.api_version,
        status=status,
        odd=tuple(odd),
        unread=unread,
        keep=keep,
        text=text,
        odd_at=tuple(odd_at),
    )


def _json_listing(data: object, url: str, keep: Keep | None) -> Listing:
    try:
        page = expect(data, dict, "the page")
        unread: dict[Version, list[tuple[int, object]]] = {}
        odd: list[DistributionFile] = []
        odd_at: list[int] = []
        for number, raw in enumerate(expect(page.get("files"), list, "files")):
            filename = _filename(raw)
            if isinstance(filename, str):
                found = quick_version(filename)
                if found is not None:  # the target filter too waits until the version is read
                    unread.setdefault(found, []).append((number, raw))
                    continue
                if keep is not None and not keep(filename):
                    continue
            odd.append(_json_file(raw, f"files[{number}]", url))  # anything odd is checked now
            odd_at.append(number)
        api_version, status = _json_head(page)
    except ShapeError as error:
        raise MalformedResponse(f"{redact(url)}: not a Simple API project page ({error})") from None
    return Listing(
        url=url,
        api_version=api_version,
        status=status,
        odd=tuple(odd),
        unread={version: tuple(entries) for version, entries in unread.items()},
        keep=keep,
        odd_at=tuple(odd_at),
    )


def parse_html_page(
    text: str, url: str, *, version: Version | None = None, keep: Keep | None = None
) -> ProjectPage:
    """A PEP 503 HTML page: anchors with their ``data-*`` attributes, hashes in URL fragments."""
    reader = _PageReader()
    reader.feed(text)
    reader.close()
    base = urljoin(url, reader.base) if reader.base else url
    files: list[DistributionFile] = []
    try:
        for attributes in reader.anchors:
            file = _html_file(attributes, base)
            if file is None or (version is not None and _other_version(file.filename, version)):
                continue
            if keep is not None and not keep(file.filename):
                continue
            files.append(file)
        meta = reader.meta
        status = None
        if "pypi:project-status" in meta:  # PEP 792's meta tags
            reason = meta.get("pypi:project-status-reason") or None
            status = ProjectStatus(status=meta["pypi:project-status"], reason=reason)
        api = _api_version(meta.get("pypi:repository-version"))
        if api is not None and api >= PEP_740_API:
            # HTML cannot say null: from 1.3 on an anchor without data-provenance states "none"
            files = [f if f.provenance_listed else replace(f, provenance_listed=True) for f in files]
        return ProjectPage(api_version=api, status=status, files=tuple(files))
    except ShapeError as error:
        raise MalformedResponse(f"{redact(url)}: not a Simple API project page ({error})") from None


def _html_file(attributes: Mapping[str, str | None], base: str) -> DistributionFile | None:
    """None for an anchor that names no file (no href, or a directory link like ``../``)."""
    href = attributes.get("href")
    if not href:
        return None
    parts = urlsplit(urljoin(base, href.strip()))
    filename = unquote(basename(parts.path))
    if not filename:
        return None
    hashes: Hashes = ()
    found = _FRAGMENT_HASH.fullmatch(parts.fragment)
    if found and found.group(1) in _HASH_NAMES:
        hashes = ((found.group(1), found.group(2).lower()),)
    metadata, metadata_hashes = _html_metadata(attributes)
    yanked = "data-yanked" in attributes
    provenance = attributes.get("data-provenance")
    return DistributionFile(
        filename=filename,
        url=urlunsplit(parts._replace(fragment="")),
        hashes=hashes,
        # html.parser has already undone the escaping (``&gt;=3.8`` is ``>=3.8``)
        requires_python=(attributes.get("data-requires-python") or "").strip() or None,
        yanked=yanked,
        yanked_reason=(attributes.get("data-yanked") or None) if yanked else None,
        upload_time=None,
        size=None,
        core_metadata=metadata,
        core_metadata_hashes=metadata_hashes,
        provenance_listed=bool(provenance),
        provenance=urljoin(base, provenance.strip()) if provenance else None,
    )


def _html_metadata(attributes: Mapping[str, str | None]) -> tuple[bool, Hashes]:
    """``data-core-metadata`` (or its PEP 658 name): ``true`` or ``<hash name>=<digest>``, as pip reads it."""
    value = attributes.get("data-core-metadata", attributes.get("data-dist-info-metadata"))
    if value is None:
        return False, ()
    value = value.strip()
    if value.lower() == "true":
        return True, ()
    name, equals, digest = value.partition("=")
    if equals and name in _HASH_NAMES and digest:
        return True, ((name, digest.lower()),)
    return False, ()


class _PageReader(HTMLParser):
    """Collects anchors, ``<meta name=... content=...>`` and the first ``<base href>`` of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[dict[str, str | None]] = []
        self.meta: dict[str, str] = {}
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "a":
            self.anchors.append(attributes)
        elif tag == "meta":
            name, content = attributes.get("name"), attributes.get("content")
            if name and content is not None:
                self.meta.setdefault(name.strip().lower(), content.strip())
        elif tag == "base" and self.base is None and attributes.get("href"):
            self.base = attributes["href"]


def _absolute(page_url: str, url: str) -> str:
    """``url`` resolved against the page (PEP 691 allows relative URLs), fragment dropped."""
    url = url.partition("#")[0]
    if url.startswith(("https://", "http://")):
        return url  # the common case, without urljoin's cost (pages list up to tens of thousands)
    return urljoin(page_url, url)


def _sorted(hashes: Mapping[str, str]) -> Hashes:
    return tuple(sorted((name.lower(), digest.lower()) for name, digest in hashes.items()))


def _filename(entry: object) -> object:
    return entry.get("filename") if isinstance(entry, dict) else None


def _skipped(filename: object, keep: Keep) -> bool:
    """True only for a filename string the caller's filter refuses; anything odd is kept (and checked)."""
    return isinstance(filename, str) and not keep(filename)


def _other_version(filename: object, version: Version) -> bool:
    """True only for a filename naming another version; anything odd is kept (and checked)."""
    if not isinstance(filename, str):
        return False
    found = quick_version(filename)
    return found is not None and found != version


def quick_version(filename: str) -> Version | None:
    """The version a filename names, from its dash-separated parts only (no tag parsing).

    Pages like torch's list tens of thousands of wheels: parsing every tag set would dominate.
    """
    if filename.endswith(".whl"):
        parts = filename.split("-")
        return _parsed(parts[1]) if len(parts) >= 5 else None
    for suffix in (".tar.gz", ".zip"):  # what parse_sdist_filename accepts, split the same way
        if filename.endswith(suffix):
            _name, dash, text = filename[: -len(suffix)].rpartition("-")
            return _parsed(text) if dash else None
    return version_of(filename)


def release_of(filename: str) -> tuple[NormalizedName, Version] | None:
    """Project and version of a wheel or sdist by packaging's full filename parse; None for other files."""
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[:2]
        return parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None


def version_of(filename: str) -> Version | None:
    """The version of a wheel or sdist by packaging's full filename parse; None for other files."""
    found = release_of(filename)
    return None if found is None else found[1]


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None
