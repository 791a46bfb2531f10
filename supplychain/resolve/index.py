"""Read project pages (PEP 691 JSON) and core metadata (PEP 658) from indexes, without running anything."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesParser
from urllib.parse import urljoin

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from supplychain.dates import timestamp_or_none
from supplychain.errors import FetchError, HttpStatusError, MalformedResponse
from supplychain.resolve.archive import read_sdist_pkg_info, read_wheel_metadata
from supplychain.resolve.store import MetadataStore
from supplychain.sources.http import Http
from supplychain.urls import SafeUrl, redact, same_index

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
_METADATA_BYTES = 4 * 1024 * 1024
_ARCHIVE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexFile:
    """One distribution file as a project page lists it."""

    filename: str
    url: str
    version: Version
    tags: frozenset[Tag] | None  # None: an sdist
    hashes: tuple[str, ...]
    requires_python: str | None
    yanked: bool
    upload_time: datetime | None
    has_metadata: bool  # PEP 658/714 metadata file offered
    size: int | None = None

    def python_ok(self, python: Version) -> bool:
        if not self.requires_python:
            return True
        try:
            return SpecifierSet(self.requires_python).contains(python, prereleases=True)
        except InvalidSpecifier:
            return True  # as pip and uv do: an unparseable bound does not exclude the file


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectPage:
    name: NormalizedName
    index: SafeUrl  # the index that served the page (first-index strategy)
    files: tuple[IndexFile, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CoreMetadata:
    """What resolution needs from METADATA/PKG-INFO; ``requires`` None = unknown without a build."""

    requires: tuple[str, ...] | None
    reason: str | None = None


class ProjectNotFound(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def parse_page(name: NormalizedName, index: SafeUrl, page_url: str, data: object) -> ProjectPage:
    """Keep the files whose names parse as wheels or sdists; the rest (eggs, exes) cannot be used."""
    files: list[IndexFile] = []
    raw_files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(raw_files, list):
        # A broken index is not "no such version": that would blame the requirements (exit 2).
        raise MalformedResponse(f"{redact(page_url)}: not a Simple API project page (no 'files' list)")
    for raw in raw_files:
        if not isinstance(raw, dict) or not isinstance(raw.get("filename"), str):
            continue
        filename: str = raw["filename"]
        tags: frozenset[Tag] | None
        try:
            if filename.endswith(".whl"):
                _, version, _, tags = parse_wheel_filename(filename)
            elif filename.endswith((".tar.gz", ".zip")):
                _, version = parse_sdist_filename(filename)
                tags = None
            else:
                continue
        except (InvalidWheelFilename, InvalidSdistFilename):
            continue
        uploaded = raw.get("upload-time")
        metadata = raw.get("core-metadata", raw.get("data-dist-info-metadata", False))
        hashes: dict[str, str] = raw["hashes"] if isinstance(raw.get("hashes"), dict) else {}
        files.append(
            IndexFile(
                filename=filename,
                url=urljoin(page_url, str(raw.get("url", ""))),
                version=version,
                tags=tags,
                hashes=tuple(sorted(f"{k}:{v}" for k, v in hashes.items())),
                requires_python=raw.get("requires-python") or None,
                yanked=bool(raw.get("yanked", False)),
                upload_time=timestamp_or_none(uploaded),
                has_metadata=bool(metadata),
                size=raw["size"] if isinstance(raw.get("size"), int) else None,
            )
        )
    return ProjectPage(name=name, index=index, files=tuple(files))


def parse_metadata(content: bytes) -> CoreMetadata:
    message = BytesParser().parsebytes(content, headersonly=True)
    return CoreMetadata(requires=tuple(message.get_all("Requires-Dist") or ()))


def static_sdist_metadata(content: bytes, filename: str) -> CoreMetadata:
    """PEP 643: metadata 2.2+ with Requires-Dist not Dynamic is what a build would produce."""
    message = BytesParser().parsebytes(content, headersonly=True)
    try:
        version = Version(str(message.get("Metadata-Version", "1.0")))
    except ValueError:
        version = Version("1.0")
    dynamic = {str(value).strip().lower() for value in message.get_all("Dynamic") or ()}
    if version >= Version("2.2") and "requires-dist" not in dynamic:
        return CoreMetadata(requires=tuple(message.get_all("Requires-Dist") or ()))
    why = "Requires-Dist is dynamic" if "requires-dist" in dynamic else f"metadata {version} < 2.2"
    return CoreMetadata(
        requires=None, reason=f"dependencies unknown without a build (sdist {filename}: {why})"
    )


class IndexClient:
    """Memoised async fetches of pages and metadata, shared by every concurrent caller."""

    def __init__(
        self,
        http: Http,
        indexes: Sequence[SafeUrl],
        *,
        pypi: tuple[SafeUrl, SafeUrl] | None = None,
        store: MetadataStore | None = None,
    ) -> None:
        """``pypi``: (its Simple index, its JSON API base) for wheels without PEP 658 metadata."""
        self.http = http
        self.indexes = tuple(indexes)
        self.pypi = pypi
        self.store = store
        self._pages: dict[NormalizedName, asyncio.Task[ProjectPage]] = {}
        self._metadata: dict[str, asyncio.Task[CoreMetadata]] = {}

    def cancel(self) -> None:
        """Stop prefetches nobody will read (the resolution finished or failed)."""
        for task in (*self._pages.values(), *self._metadata.values()):
            if not task.done():
                task.cancel()
            elif not task.cancelled():
                task.exception()  # retrieved: a failed prefetch nobody needed is not an error

    def page(self, name: NormalizedName) -> asyncio.Task[ProjectPage]:
        """Must be called on the event loop; starts the fetch once."""
        if name not in self._pages:
            self._pages[name] = asyncio.ensure_future(self._fetch_page(name))
        return self._pages[name]

    def metadata(self, file: IndexFile, index: SafeUrl) -> asyncio.Task[CoreMetadata]:
        if file.url not in self._metadata:
            self._metadata[file.url] = asyncio.ensure_future(self._fetch_metadata(file, index))
        return self._metadata[file.url]

    async def _fetch_page(self, name: NormalizedName) -> ProjectPage:
        for index in self.indexes:
            url = urljoin(index.reveal().rstrip("/") + "/", f"{name}/")
            try:
                response = await self.http.get(url, accept=SIMPLE_JSON)
            except HttpStatusError as error:
                if error.status in {404, 410}:
                    continue  # first-index: a project absent here may live on the next index
                raise
            return parse_page(name, index, url, response.json())
        raise ProjectNotFound(name)

    async def _fetch_metadata(self, file: IndexFile, index: SafeUrl) -> CoreMetadata:
        """From the on-disk store when this exact file (by hash) was read before."""
        if self.store is not None:
            known = self.store.get(file)
            if known is not None:
                return known
        metadata = await self._read_metadata(file, index)
        if self.store is not None:
            self.store.put(file, metadata)
        return metadata

    async def _read_metadata(self, file: IndexFile, index: SafeUrl) -> CoreMetadata:
        if file.has_metadata:
            try:
                response = await self.http.get(file.url + ".metadata", max_bytes=_METADATA_BYTES)
                return parse_metadata(response.content)
            except HttpStatusError as error:
                if error.status != 404:
                    raise
        if self.pypi is not None and same_index(index, self.pypi[0]) and file.tags is not None:
            from_json = await self._pypi_json(file)
            if from_json is not None:
                return from_json
        if file.size is not None and file.size > _ARCHIVE_BYTES:
            return CoreMetadata(
                requires=None,
                reason=f"dependencies unknown: {file.filename} has no metadata file and is too large",
            )
        archive = await self.http.get(file.url, max_bytes=_ARCHIVE_BYTES)
        if file.tags is not None:
            return parse_metadata(read_wheel_metadata(archive.content, file.filename))
        pkg_info = read_sdist_pkg_info(archive.content, file.filename)
        return static_sdist_metadata(pkg_info, file.filename)

    async def _pypi_json(self, file: IndexFile) -> CoreMetadata | None:
        """PyPI's JSON API serves the Requires-Dist of a release: a wheel of 500 MB need not be read."""
        assert self.pypi is not None
        name, version, _, _ = parse_wheel_filename(file.filename)
        info: object = None
        for path in (f"pypi/{name}/{version}/json", f"pypi/{name}/json"):
            try:
                info = (await self.http.get_json(urljoin(self.pypi[1].reveal(), path))).get("info")
            except (FetchError, AttributeError):
                continue
            if isinstance(info, dict) and info.get("version") == str(version):
                break  # the project-level document speaks for its latest version only
            info = None
        requires = info.get("requires_dist") if isinstance(info, dict) else None
        if not isinstance(requires, list):
            return None  # null: PyPI does not know, which is not "no dependencies"
        return CoreMetadata(requires=tuple(str(line) for line in requires))


__all__ = ["CoreMetadata", "FetchError", "IndexClient", "IndexFile", "ProjectNotFound", "ProjectPage"]
