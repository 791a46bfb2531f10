"""Simple API (PEP 691 JSON) source: project status, wheels, serving index, public-name shadowing."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from supplychain.config import AuditConfig
from supplychain.errors import FetchError, HttpStatusError
from supplychain.model import Known, OriginKind, PackageRef, ResolvedPackage, Signal, Unknown
from supplychain.sources import FactPatch, SourceContext
from supplychain.sources.http import Http
from supplychain.sources.pypi_json import ShapeError, expect, unknown_patch
from supplychain.urls import SafeUrl

SOURCE = "simple"
FACTS = ("project_status", "has_wheel", "index", "on_public_index")
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
_STATUS_SINCE = (1, 4)  # PEP 792 status markers arrived with Simple API version 1.4
_STATUSES = frozenset({"active", "archived", "quarantined", "deprecated"})

# One fetch per (client, URL) per run, shared with the integrity source which needs the file list.
_PAGES: dict[int, tuple[Http, dict[str, asyncio.Task[Any]]]] = {}


async def fetch_page(http: Http, url: str, version: Version | None = None) -> Any:
    """The Simple JSON page at ``url``, fetched once per client even when several sources ask.

    With ``version`` the page is kept trimmed to that version's files: pages of long-lived
    projects list thousands of files and a run holds every page until enrichment ends (350 MB
    for a 360-package lock). Every caller of one URL asks about the same version.
    """
    _owner, tasks = _PAGES.setdefault(id(http), (http, {}))
    if url not in tasks:
        tasks[url] = asyncio.ensure_future(_fetch_trimmed(http, url, version))
    return await asyncio.shield(tasks[url])


async def _fetch_trimmed(http: Http, url: str, version: Version | None) -> Any:
    page = await http.get_json(url, accept=SIMPLE_JSON)
    if version is None or not isinstance(page, dict) or not isinstance(page.get("files"), list):
        return page  # malformed pages stay as they are: the callers' shape checks report them
    kept = [entry for entry in page["files"] if not _is_other_version(entry, version)]
    return {**page, "files": kept}


def _is_other_version(entry: Any, version: Version) -> bool:
    """True only for a well-formed file entry of another version; anything odd is kept."""
    if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
        return False
    found = _quick_version(entry["filename"])
    return found is not None and found != version


def _quick_version(filename: str) -> Version | None:
    """The version a filename names, parsed once per distinct version string (no tag parsing)."""
    if filename.endswith(".whl"):
        parts = filename.split("-")
        return _parsed(parts[1]) if len(parts) >= 5 else None
    for suffix in (".tar.gz", ".zip"):  # what parse_sdist_filename accepts, split the same way
        if filename.endswith(suffix):
            _name, dash, version = filename[: -len(suffix)].rpartition("-")
            return _parsed(version) if dash else None
    return _version_of(filename)


def forget_pages(http: Http) -> None:
    """Drop the per-run memo of ``http`` (called when a run ends)."""
    _PAGES.pop(id(http), None)


def index_of(package: ResolvedPackage, config: AuditConfig) -> SafeUrl:
    """The index that served the package: its recorded origin URL, else the configured/default index."""
    url = package.origin.url if package.origin.kind is OriginKind.INDEX else None
    if url is None:
        url = config.index_urls[0] if config.index_urls else config.endpoints.index
    raw = url.reveal()
    return SafeUrl(raw if raw.endswith("/") else raw + "/")


def served_by(package: ResolvedPackage, config: AuditConfig) -> SafeUrl | None:
    """What the sources ask ``config.internal`` about: the index as the index sources see it (the
    policy reads the same value back as the ``index`` fact), else the direct URL."""
    if package.origin.kind in {OriginKind.INDEX, OriginKind.UNKNOWN}:
        return index_of(package, config)
    return package.origin.url


def page_url(index: SafeUrl, name: str) -> str:
    return f"{index.reveal()}{quote(name)}/"


def files_of(page: Any, version: Version) -> list[dict[str, Any]]:
    """The file entries of ``version`` on a Simple JSON page (shape-checked).

    A wheel's version is checked from its second dash-separated part before the full filename
    parse: pages like torch's list tens of thousands of wheels, and parsing every tag was most of
    a warm audit.
    """
    files = expect(expect(page, dict, "Simple JSON page").get("files"), list, "files")
    chosen = []
    for raw in files:
        entry = expect(raw, dict, "files[]")
        filename = expect(entry.get("filename"), str, "files[].filename")
        if _quick_version(filename) != version:
            continue
        if _version_of(filename) == version:  # the full parse: a wheel's tags must be valid too
            chosen.append(entry)
    return chosen


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _version_of(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None


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
        patch["has_wheel"] = _guard(lambda: _has_wheel(page, package.ref.version), now)
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


def _guard(compute: Any, now: Any) -> Signal[object]:
    try:
        return Known(value=compute(), source=SOURCE, fetched_at=now)
    except ShapeError as error:
        return Unknown(reason=f"Simple API: {error}", source=SOURCE, settled=True)


def api_version(page: Any) -> tuple[int, int]:
    meta = expect(expect(page, dict, "Simple JSON page").get("meta"), dict, "meta")
    text = expect(meta.get("api-version"), str, "meta.api-version")
    major, _, minor = text.partition(".")
    if not (major.isdigit() and minor.isdigit()):
        raise ShapeError(f"meta.api-version {text!r} is not MAJOR.MINOR")
    return int(major), int(minor)


def _status(page: Any) -> str:
    version = api_version(page)
    marker = page.get("project-status")
    if marker is None:
        if version >= _STATUS_SINCE:
            return "active"
        raise ShapeError(f"index API version {version[0]}.{version[1]} does not report project status")
    status = expect(expect(marker, dict, "project-status").get("status"), str, "project-status.status")
    if status not in _STATUSES:
        raise ShapeError(f"unknown project status {status!r}")
    return str(status)


def _has_wheel(page: Any, version: Version) -> bool:
    files = files_of(page, version)
    if not files:
        raise ShapeError(f"no files for version {version} on the index")
    return any(str(f["filename"]).endswith(".whl") for f in files)
