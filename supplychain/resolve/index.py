"""Read project pages (Simple API, JSON or HTML) and core metadata from indexes, running nothing.

A wheel's metadata is its own ``METADATA`` (PEP 658 file, range reads or the whole file: see
:mod:`supplychain.net.wheel_metadata`), never the JSON API's ``requires_dist``: that is a summary of
the release, which can disagree with the file that would be installed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
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

from supplychain.errors import HttpStatusError, ResponseTooLarge
from supplychain.net import simple
from supplychain.net.http import Http
from supplychain.net.wheel_metadata import fetch_metadata_file, fetch_wheel_metadata
from supplychain.resolve.archive import read_sdist_pkg_info
from supplychain.resolve.core_metadata import CoreMetadata, parse_metadata, static_sdist_metadata
from supplychain.resolve.find_links import is_local, local_metadata, read_location
from supplychain.resolve.store import MetadataStore
from supplychain.urls import SafeUrl

_ARCHIVE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexFile:
    """One distribution file as a project page lists it, with the version and tags its name gives."""

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
    source: SafeUrl | None = None  # the ``--find-links`` location that lists it; None: the page's index

    @classmethod
    def of(cls, file: simple.DistributionFile, project: NormalizedName) -> IndexFile | None:
        """None for a file that cannot be ``project``'s: not a wheel or sdist by name (eggs, exes),
        or another project's file listed on its page (pip and uv skip those too)."""
        tags: frozenset[Tag] | None
        try:
            if file.filename.endswith(".whl"):
                name, version, _, tags = parse_wheel_filename(file.filename)
            elif file.filename.endswith((".tar.gz", ".zip")):
                name, version = parse_sdist_filename(file.filename)
                tags = None
            else:
                return None
        except (InvalidWheelFilename, InvalidSdistFilename):
            return None
        if name != project:
            return None
        return cls(
            filename=file.filename,
            url=file.url,
            version=version,
            tags=tags,
            hashes=tuple(f"{name}:{digest}" for name, digest in file.hashes),
            requires_python=file.requires_python,
            yanked=file.yanked is True,  # as pip: a file the page does not mark is a candidate
            upload_time=file.upload_time,
            has_metadata=file.core_metadata,
            size=file.size,
        )

    def python_ok(self, python: Version) -> bool:
        """Does the file's Requires-Python admit ``python``, pre-releases included?"""
        if not self.requires_python:
            return True
        return _admits(self.requires_python, python)


@functools.lru_cache(maxsize=4096)
def _admits(requires_python: str, python: Version) -> bool:
    """One parse per distinct Requires-Python: a page repeats the same few thousands of times."""
    try:
        return SpecifierSet(requires_python).contains(python, prereleases=True)
    except InvalidSpecifier:
        return True  # as pip and uv do: an unparseable bound does not exclude the file


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectPage:
    """A project's usable files, from the first index that has the project, read per version.

    The resolver asks for the files of the few versions it considers; the index page's entries of
    the others are never checked or parsed (see ``simple.Listing``).
    """

    name: NormalizedName
    index: SafeUrl  # the index that served the page (first-index strategy)
    linked: tuple[IndexFile, ...] = ()  # the project's find-links files, read whole
    listing: simple.Listing | None = None  # the index's page; None: found on find-links only
    versions: tuple[Version, ...] = ()  # every version a listed filename names, newest first (see ``of``)
    _usable: dict[Version, tuple[IndexFile, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(
        cls,
        name: NormalizedName,
        index: SafeUrl,
        *,
        linked: tuple[IndexFile, ...] = (),
        listing: simple.Listing | None = None,
    ) -> ProjectPage:
        """The page with its versions sorted once (each distinct version string was parsed once)."""
        versions = {file.version for file in linked} | (listing.versions if listing is not None else set())
        return cls(
            name=name,
            index=index,
            linked=linked,
            listing=listing,
            versions=tuple(sorted(versions, reverse=True)),
        )

    def files_of(self, version: Version) -> tuple[IndexFile, ...]:
        """The usable files of ``version``: find-links ones first, then the index page's, in page order."""
        known = self._usable.get(version)
        if known is None:
            listed = () if self.listing is None else self.listing.files_of(version)
            found = (IndexFile.of(file, self.name) for file in listed)
            known = (
                *(file for file in self.linked if file.version == version),
                *(file for file in found if file is not None),
            )
            self._usable[version] = known
        return known

    @property
    def files(self) -> tuple[IndexFile, ...]:
        """Every usable file, oldest version first: reads the whole page (not for the resolver's loop)."""
        return tuple(file for version in reversed(self.versions) for file in self.files_of(version))


class ProjectNotFound(Exception):
    """No index has a page for the project (404/410 on each); the resolver says who required it."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class InternalNameWithheld(ProjectNotFound):
    """An internal name the resolver would have had to ask the default (public) index about."""


def project_url(index: SafeUrl, name: NormalizedName) -> str:
    """The project's page on ``index`` (PEP 503: the normalised name with a trailing slash)."""
    return urljoin(index.reveal().rstrip("/") + "/", f"{name}/")


class IndexClient:
    """Memoised async fetches of pages and metadata, shared by every concurrent caller."""

    def __init__(
        self,
        http: Http,
        indexes: Sequence[SafeUrl],
        *,
        store: MetadataStore | None = None,
        pins: Mapping[NormalizedName, SafeUrl] | None = None,
        withheld: Callable[[NormalizedName], bool] | None = None,
        keep: simple.Keep | None = None,
        find_links: Sequence[SafeUrl] = (),
        no_index: bool = False,
    ) -> None:
        self.http = http
        self.indexes = () if no_index else tuple(indexes)  # pip's --no-index: only find-links are read
        self.find_links = tuple(find_links)
        self.store = store
        self.pins = dict(pins or {})  # a pinned name is asked of its index only, as uv does
        self.withheld = withheld  # names never to be asked of these indexes (internal ones)
        self.keep = keep  # files the target could use: others are skipped unparsed
        self._pages: dict[NormalizedName, asyncio.Task[ProjectPage]] = {}
        self._metadata: dict[str, asyncio.Task[CoreMetadata]] = {}
        self._links: asyncio.Task[tuple[tuple[SafeUrl, simple.DistributionFile], ...]] | None = None

    def cancel(self) -> None:
        """Stop prefetches nobody will read (the resolution finished or failed)."""
        links = () if self._links is None else (self._links,)
        for task in (*self._pages.values(), *self._metadata.values(), *links):
            if not task.done():
                task.cancel()
            elif not task.cancelled():
                task.exception()  # retrieved: a failed prefetch nobody needed is not an error

    def page(self, name: NormalizedName) -> asyncio.Task[ProjectPage]:
        """Must be called on the event loop; starts the fetch once."""
        if name not in self._pages:
            self._pages[name] = asyncio.ensure_future(self._fetch_page(name))
        return self._pages[name]

    def metadata(self, file: IndexFile) -> asyncio.Task[CoreMetadata]:
        """Must be called on the event loop; reads the file's metadata once."""
        if file.url not in self._metadata:
            self._metadata[file.url] = asyncio.ensure_future(self._fetch_metadata(file))
        return self._metadata[file.url]

    async def _fetch_page(self, name: NormalizedName) -> ProjectPage:
        """Find-links files of the name, then the first index's page that has it (pip merges both)."""
        linked = await self._linked(name)
        if self.withheld is not None and (self.indexes or self.pins) and self.withheld(name):
            if linked:  # found where no index is asked: the public index hears nothing of it
                return ProjectPage.of(name, linked[0].source or self.find_links[0], linked=linked)
            raise InternalNameWithheld(name)
        pinned = self.pins.get(name)
        for index in (pinned,) if pinned is not None else self.indexes:
            try:
                listing = await simple.fetch_listing(self.http, project_url(index, name), keep=self.keep)
            except HttpStatusError as error:
                if error.status in {404, 410}:
                    continue  # first-index: a project absent here may live on the next index
                raise
            return ProjectPage.of(name, index, linked=linked, listing=listing)
        if linked:
            return ProjectPage.of(name, linked[0].source or self.find_links[0], linked=linked)
        raise ProjectNotFound(name)

    def places(self) -> list[str]:
        """Where a project is looked for, as messages name them: the indexes, then find-links."""
        return [*map(str, self.indexes), *(f"find-links {link}" for link in self.find_links)]

    async def lists_version(self, name: NormalizedName, version: Version, index: SafeUrl | None) -> bool:
        """Does ``index`` (the one that has the project, if any) or a find-links location list
        ``version`` at all, for any target?

        The resolver's pages keep only files that may fit the target; this reads the version's
        files whole (the index's page again, every find-links location without the filter).
        """
        if index is not None and index not in self.find_links:
            full = await simple.fetch_page(self.http, project_url(index, name), version=version)
            if full.files_of(name, version):
                return True
        for location in self.find_links:
            for listed in await read_location(self.http, location, None):
                file = IndexFile.of(listed, name)
                if file is not None and file.version == version:
                    return True
        return False

    async def _linked(self, name: NormalizedName) -> tuple[IndexFile, ...]:
        """The files of ``name`` every find-links location lists, each location read once per run."""
        if not self.find_links:
            return ()
        if self._links is None:
            self._links = asyncio.ensure_future(self._read_links())
        found: list[IndexFile] = []
        for location, listed in await asyncio.shield(self._links):
            file = IndexFile.of(listed, name)
            if file is not None:
                found.append(dataclasses.replace(file, source=location))
        return tuple(found)

    async def _read_links(self) -> tuple[tuple[SafeUrl, simple.DistributionFile], ...]:
        listed: list[tuple[SafeUrl, simple.DistributionFile]] = []
        for location in self.find_links:
            listed.extend((location, file) for file in await read_location(self.http, location, self.keep))
        return tuple(listed)

    async def _fetch_metadata(self, file: IndexFile) -> CoreMetadata:
        """From the on-disk store when this exact file (by hash) was read before."""
        if self.store is not None:
            known = self.store.get(file)
            if known is not None:
                return known
        try:
            metadata = await self._read_metadata(file)
        except ResponseTooLarge as error:
            # Not stored: the limit and the server's range support may change, the file does not.
            return CoreMetadata(requires=None, reason=f"dependencies unknown: {error.reason}")
        if self.store is not None:
            self.store.put(file, metadata)
        return metadata

    async def _read_metadata(self, file: IndexFile) -> CoreMetadata:
        if is_local(file.url):  # a local find-links location: the file itself, from disk
            if file.source is None or not is_local(file.source.reveal()):
                # only a location on this machine names files on it: a remote page does not get them read
                reason = f"dependencies unknown: a remote page links the local file {file.url}"
                return CoreMetadata(requires=None, reason=reason)
            return local_metadata(file.url, file.filename, _ARCHIVE_BYTES)
        if file.tags is not None:
            sha256 = next((h.removeprefix("sha256:") for h in file.hashes if h.startswith("sha256:")), None)
            metadata = await fetch_wheel_metadata(
                self.http,
                file.url,
                size=file.size,
                sha256=sha256,
                metadata_file=file.has_metadata,
                max_bytes=_ARCHIVE_BYTES,
            )
            return parse_metadata(metadata)
        if file.has_metadata:
            pkg_info = await fetch_metadata_file(self.http, file.url)
            if pkg_info is not None:  # an sdist's metadata file is its PKG-INFO: static or not
                return static_sdist_metadata(pkg_info, file.filename)
        if file.size is not None and file.size > _ARCHIVE_BYTES:
            return CoreMetadata(
                requires=None,
                reason=f"dependencies unknown: {file.filename} has no metadata file and is too large",
            )
        archive = await self.http.get(file.url, max_bytes=_ARCHIVE_BYTES)
        return static_sdist_metadata(read_sdist_pkg_info(archive.content, file.filename), file.filename)


__all__ = [
    "IndexClient",
    "IndexFile",
    "InternalNameWithheld",
    "ProjectNotFound",
    "ProjectPage",
]
