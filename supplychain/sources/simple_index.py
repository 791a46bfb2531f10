"""Simple API source (JSON or HTML pages): project status, wheels, serving index, public-name shadowing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from urllib.parse import quote

from packaging.version import Version

from supplychain.errors import FetchError, HttpStatusError
from supplychain.model import Known, OriginKind, PackageRef, ResolvedPackage, Signal, Unknown
from supplychain.net import simple
from supplychain.net.http import Http
from supplychain.net.shape import ShapeError
from supplychain.net.simple import ProjectPage
from supplychain.sources import FactPatch, SourceContext, SourceSettings
from supplychain.sources.pypi_json import unknown_patch
from supplychain.urls import SafeUrl

SOURCE = "simple"
FACTS = ("project_status", "has_wheel", "index", "on_public_index")
_STATUS_SINCE = (1, 4)  # PEP 792 status markers arrived with Simple API version 1.4
_STATUSES = frozenset({"active", "archived", "quarantined", "deprecated"})

# One fetch per (client, URL) per run, shared with the integrity source which needs the file list.
_PAGES: dict[int, tuple[Http, dict[str, asyncio.Task[ProjectPage]]]] = {}


async def fetch_page(http: Http, url: str, version: Version | None = None) -> ProjectPage:
    """The project page at ``url``, fetched once per client even when several sources ask.

    With ``version`` the page keeps only that version's files: pages of long-lived projects list
    thousands of files and a run holds every page until enrichment ends (350 MB for a
    360-package lock). Every caller of one URL asks about the same version.
    """
    _owner, tasks = _PAGES.setdefault(id(http), (http, {}))
    if url not in tasks:
        tasks[url] = asyncio.ensure_future(simple.fetch_page(http, url, version=version))
    return await asyncio.shield(tasks[url])


def forget_pages(http: Http) -> None:
    """Drop the per-run memo of ``http`` (called when a run ends)."""
    _PAGES.pop(id(http), None)


def index_of(package: ResolvedPackage, config: SourceSettings) -> SafeUrl:
    """The index that served the package: its recorded origin URL, else the configured/default index."""
    url = package.origin.url if package.origin.kind is OriginKind.INDEX else None
    if url is None:
        url = config.index_urls[0] if config.index_urls else config.endpoints.index
    raw = url.reveal()
    return SafeUrl(raw if raw.endswith("/") else raw + "/")


def page_url(index: SafeUrl, name: str) -> str:
    return f"{index.reveal()}{quote(name)}/"


def served_by(package: ResolvedPackage, config: SourceSettings) -> SafeUrl | None:
    """What the sources ask ``config.internal`` about: the index as the index sources see it (the
    policy reads the same value back as the ``index`` fact), else the direct URL."""
    if package.origin.kind in {OriginKind.INDEX, OriginKind.UNKNOWN}:
        return index_of(package, config)
    return package.origin.url


class SimpleIndexSource:
    """Reads the project page on the index that served each package."""

    id = SOURCE

    async def collect(
        self, packages: Sequence[ResolvedPackage], context: SourceContext
    ) -> dict[PackageRef, FactPatch]:
        results = await asyncio.gather(*(self._one(package, context) for package in packages))
        return {package.ref: patch for package, patch in zip(packages, results, strict=True)}

    async def _one(self, package: ResolvedPackage, context: SourceContext) -> FactPatch:
        now = context.clock.now()
        index = index_of(package, context.config)
        patch: dict[str, Signal[object]] = {"index": Known(value=index.public, source=SOURCE, fetched_at=now)}
        internal = context.config.internal.is_internal(package.ref.name, index)
        url = page_url(index, package.ref.name)
        try:
            page = await fetch_page(context.http, url, package.ref.version)
        except HttpStatusError as error:
            reason = f"not found on {index.public}" if error.status == 404 else error.reason
            patch.update(unknown_patch(("project_status", "has_wheel"), reason, SOURCE))
            if error.status == 404 and not internal:
                patch["on_public_index"] = Known(value=False, source=SOURCE, fetched_at=now)
            else:
                patch["on_public_index"] = await self._public(package, context, internal)
            return patch
        except FetchError as error:
            patch.update(unknown_patch(("project_status", "has_wheel"), error.reason, SOURCE))
            patch["on_public_index"] = await self._public(package, context, internal)
            return patch
        now = context.http.learned_at(url, now)  # a cached page is as old as its answer
        patch["index"] = Known(value=index.public, source=SOURCE, fetched_at=now)
        patch["project_status"] = _guard(lambda: _status(page), now)
        patch["has_wheel"] = _guard(lambda: _has_wheel(page, package.ref), now)
        patch["on_public_index"] = await self._public(package, context, internal)
        return patch

    async def _public(
        self, package: ResolvedPackage, context: SourceContext, internal: bool
    ) -> Signal[object]:
        """For internal packages: does the same name exist on public PyPI (dependency confusion)?"""
        now = context.clock.now()
        if not internal:
            return Known(value=True, source=SOURCE, fetched_at=now)
        try:
            await fetch_page(context.http, page_url(context.config.endpoints.index, package.ref.name))
        except HttpStatusError as error:
            if error.status == 404:
                return Known(value=False, source=SOURCE, fetched_at=now)
            return Unknown(reason=error.reason, source=SOURCE)
        except FetchError as error:
            return Unknown(reason=error.reason, source=SOURCE)
        return Known(value=True, source=SOURCE, fetched_at=now)


def _guard(compute: Callable[[], object], now: datetime) -> Signal[object]:
    try:
        return Known(value=compute(), source=SOURCE, fetched_at=now)
    except ShapeError as error:
        return Unknown(reason=f"Simple API: {error}", source=SOURCE, settled=True)


def _status(page: ProjectPage) -> str:
    """PEP 792: a page of API 1.4 or later without a marker means ``active``; older pages cannot say."""
    if page.status is None:
        if page.api_version is None:
            raise ShapeError("the index does not state its API version, so not the project status")
        if page.api_version >= _STATUS_SINCE:
            return "active"
        major, minor = page.api_version
        raise ShapeError(f"index API version {major}.{minor} does not report project status")
    if page.status.status not in _STATUSES:
        raise ShapeError(f"unknown project status {page.status.status!r}")
    return page.status.status


def _has_wheel(page: ProjectPage, ref: PackageRef) -> bool:
    files = page.files_of(ref.name, ref.version)
    if not files:
        raise ShapeError(f"no files for version {ref.version} on the index")
    return any(file.filename.endswith(".whl") for file in files)
