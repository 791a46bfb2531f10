"""Simple API source (JSON or HTML pages): project status, wheels, serving index; for internal packages
their release history and the other indexes that offer their name (dependency confusion)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName
from packaging.version import Version

from supplychain.errors import FetchError, HttpStatusError
from supplychain.model import IndexOffer, Known, PackageRef, ResolvedPackage, Signal, Unknown, Yank
from supplychain.net.http import Http
from supplychain.net.shape import ShapeError
from supplychain.sources import FactPatch, SourceContext
from supplychain.sources.pypi_json import HISTORY_FACTS, unknown_patch
from supplychain.sources.scope import askable, index_of, is_internal, other_indexes, page_url, served_by

if TYPE_CHECKING:
    from supplychain.net.simple import DistributionFile, ProjectPage

SOURCE = "simple"
FACTS = ("project_status", "has_wheel", "index", "index_hashes", "index_offers")
_ABSENT = frozenset({404, 410})  # the index has no such project (pip and uv read 410 the same way)
_STATUS_SINCE = (1, 4)  # PEP 792 status markers arrived with Simple API version 1.4
_STATUSES = frozenset({"active", "archived", "quarantined", "deprecated"})

# One fetch per (client, URL) per run, shared with the integrity source which needs the file list:
# the task while it runs (every source asking meanwhile awaits it), then a weak reference to the
# page, so a page lives only while a source still reads it (see ``fetch_page``).
_Memo = dict[tuple[str, Version | None], "asyncio.Task[ProjectPage] | weakref.ref[ProjectPage]"]
_PAGES: dict[int, tuple[Http, _Memo]] = {}


async def fetch_page(http: Http, url: str, version: Version | None = None) -> ProjectPage:
    """The project page at ``url``, fetched once per client even when several sources ask.

    With ``version`` the page keeps only that version's files: pages of long-lived projects list
    thousands of files and a run holds every page until enrichment ends (350 MB for a
    360-package lock). The memo is per URL *and* version: a lock holding two versions of one name
    (networkx 3.4.2 and 3.6.1 in helm's) asked for the second got the first's files, "no files".

    A fetched page is held weakly: the sources that need it ask for it at once (each asks before
    its first answer arrives), so holding every page until the run ends only kept 28 MB of file
    entries (1,000 packages) alive at the first online run's memory peak. A source asking after
    every reader dropped it fetches it again (through the HTTP cache); a failure stays memoised.
    """
    _owner, memo = _PAGES.setdefault(id(http), (http, {}))
    for key in ((url, None), (url, version)):  # the whole page answers any version
        held = memo.get(key)
        page = held() if isinstance(held, weakref.ref) else None
        if page is not None:
            return page
        if isinstance(held, asyncio.Task):
            return await asyncio.shield(held)
    from supplychain.net import simple  # the page parser: a warm run, answered by the facts cache, needs none

    task = asyncio.ensure_future(simple.fetch_page(http, url, version=version))
    memo[key] = task
    task.add_done_callback(partial(_hold_weakly, memo, key))
    return await asyncio.shield(task)


def _hold_weakly(memo: _Memo, key: tuple[str, Version | None], task: asyncio.Task[ProjectPage]) -> None:
    """Once fetched, the memo keeps a page only while a source holds it (a failure for good)."""
    if not task.cancelled() and task.exception() is None and memo.get(key) is task:
        memo[key] = weakref.ref(task.result())


def forget_pages(http: Http) -> None:
    """Drop the per-run memo of ``http`` (called when a run ends)."""
    _PAGES.pop(id(http), None)


async def internal_offers(
    packages: Sequence[ResolvedPackage], context: SourceContext
) -> frozenset[NormalizedName]:
    """Names an internal index offers although another index served them: dependency confusion's victims.

    Asked before any public service, so none of them is ever sent there. Only internal indexes are
    asked here (and only those an installer asks too); a failed answer is reported by the source.
    """
    config = context.config
    asked: list[tuple[NormalizedName, str]] = []
    for package in packages:
        if is_internal(package, context):
            continue
        for index in other_indexes(package, config):
            if config.internal.is_internal(package.ref.name, index):
                asked.append((package.ref.name, page_url(index, package.ref.name)))
    answers = await asyncio.gather(*(_offered(context.http, url) for _name, url in asked))
    return frozenset(name for (name, _url), answer in zip(asked, answers, strict=True) if answer is True)


async def _offered(http: Http, url: str) -> bool | FetchError:
    """Whether the page lists any file, False when the index has no such project, or the failure."""
    try:
        page = await fetch_page(http, url)
    except HttpStatusError as error:
        return False if error.status in _ABSENT else error
    except FetchError as error:
        return error
    return bool(page.files)


class SimpleIndexSource:
    """Reads the project page on the index that served each package.

    For an internal package it reads the whole page: its release history comes from there, never
    from PyPI, and the other indexes an installer asks are asked whether they offer the name too.
    """

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
        internal = is_internal(package, context)
        url = page_url(index, package.ref.name)
        if not askable(index, package, context):
            reason = f"internal package with no recorded or configured index: {index.public} not asked"
            patch.update(
                unknown_patch(("project_status", "has_wheel", "index_hashes", *HISTORY_FACTS), reason, SOURCE)
            )
            patch["index_offers"] = Unknown(reason=reason, source=SOURCE)
            return patch
        try:
            # An internal project's page is small, and all of it is its release history.
            page = await fetch_page(context.http, url, None if internal else package.ref.version)
        except FetchError as error:
            absent = isinstance(error, HttpStatusError) and error.status == 404
            reason = f"not found on {index.public}" if absent else error.reason
            patch.update(unknown_patch(("project_status", "has_wheel", "index_hashes"), reason, SOURCE))
            if internal:
                patch.update(unknown_patch(HISTORY_FACTS, reason, SOURCE))
            patch["index_offers"] = await self._offers(package, context, internal, reason)
            return patch
        now = context.http.learned_at(url, now)  # a cached page is as old as its answer
        patch["index"] = Known(value=index.public, source=SOURCE, fetched_at=now)
        patch["project_status"] = _guard(lambda: _status(page), now)
        patch["has_wheel"] = _guard(lambda: _has_wheel(page, package.ref), now)
        patch["index_hashes"] = _guard(lambda: _index_hashes(page, package.ref), now)
        if internal:
            patch.update(release_history(page, package.ref, now))
        patch["index_offers"] = await self._offers(package, context, internal, page)
        return patch

    async def _offers(
        self, package: ResolvedPackage, context: SourceContext, internal: bool, serving: ProjectPage | str
    ) -> Signal[object]:
        """Every index the installer asks that offers the name, with its versions (internal names only).

        Only indexes the installer itself asks for the name are asked (none when the input pins it),
        so this reveals nothing a plain install would not.
        """
        config, name = context.config, package.ref.name
        others = other_indexes(package, config)
        if not internal:
            internal_indexes = [i for i in others if config.internal.is_internal(name, i)]
            answers = await asyncio.gather(
                *(_offered(context.http, page_url(i, name)) for i in internal_indexes)
            )
            problem = next((answer for answer in answers if isinstance(answer, FetchError)), None)
            if problem is not None:
                reason = f"could not ask an internal index whether it offers {name}: {problem.reason}"
                return Unknown(reason=reason, source=SOURCE)
            return Unknown(
                reason="not an internal name: other indexes not asked", source=SOURCE, settled=True
            )
        if isinstance(serving, str):
            return Unknown(reason=serving, source=SOURCE)
        now = context.clock.now()
        offers = [IndexOffer(index=index_of(package, config).public, versions=_versions(serving, name))]
        for index in others:
            if not askable(index, package, context):
                continue  # an index no installer of this input asks: the default one
            try:
                page = await fetch_page(context.http, page_url(index, name))
            except HttpStatusError as error:
                if error.status in _ABSENT:
                    continue
                return Unknown(reason=f"{index.public}: {error.reason}", source=SOURCE)
            except FetchError as error:
                return Unknown(reason=f"{index.public}: {error.reason}", source=SOURCE)
            versions = _versions(page, name)
            if versions:
                offers.append(IndexOffer(index=index.public, versions=versions))
        return Known(value=tuple(offers), source=SOURCE, fetched_at=now)


def _versions(page: ProjectPage, name: NormalizedName) -> tuple[str, ...]:
    """The versions of ``name`` a page lists files for, ascending."""
    found = {release[1] for file in page.files if (release := file.release) and release[0] == name}
    return tuple(str(version) for version in sorted(found))


def release_history(page: ProjectPage, ref: PackageRef, now: datetime) -> dict[str, Signal[object]]:
    """The release facts the PyPI JSON API gives public packages, from an index's own page.

    Upload times come from PEP 700 ``upload-time`` (JSON pages); a page that gives none for some
    file leaves the facts resting on times Unknown rather than guessing from the others.
    """
    releases: dict[Version, list[DistributionFile]] = {}
    for file in page.files:
        release = file.release
        if release is not None and release[0] == ref.name:
            releases.setdefault(release[1], []).append(file)

    def files() -> dict[Version, list[DistributionFile]]:
        if not releases:
            raise ShapeError("the index lists no files of this project")
        return releases

    def mine() -> list[DistributionFile]:
        found = releases.get(ref.version)
        if not found:
            raise ShapeError(f"no files for version {ref.version} on the index")
        return found

    def uploaded() -> dict[Version, datetime]:
        times: dict[Version, datetime] = {}
        for version, listed in files().items():
            stamps = [file.upload_time for file in listed]
            if any(stamp is None for stamp in stamps):
                raise ShapeError("the index does not give every file's upload time (PEP 700)")
            times[version] = min(stamp for stamp in stamps if stamp is not None)
        return times

    def upload() -> datetime:
        mine()  # this version has files on the page
        return uploaded()[ref.version]

    def gap() -> int | None:
        this = upload()
        earlier = [moment for moment in uploaded().values() if moment < this]
        return None if not earlier else (this - max(earlier)).days

    computers: dict[str, Callable[[], object]] = {
        "release_count": lambda: len(files()),
        "latest_version": lambda: _latest(files()),
        "yanked": lambda: _yank(mine()),
        "first_release": lambda: min(uploaded().values()),
        "latest_release": lambda: max(uploaded().values()),
        "upload_time": upload,
        "release_gap_days": gap,
    }
    return {fact: _guard(compute, now) for fact, compute in computers.items()}


def _latest(releases: Mapping[Version, list[DistributionFile]]) -> str:
    """The newest version not wholly yanked: final releases first, pre-releases when there are no others."""
    candidates = [version for version, files in releases.items() if not all(f.yanked is True for f in files)]
    final = [version for version in candidates if not version.is_prerelease]
    if not (final or candidates):
        raise ShapeError("no installable release")
    return str(max(final or candidates))


def _yank(files: list[DistributionFile]) -> Yank:
    yank = Yank.of_release((file.yanked, file.yanked_reason) for file in files)
    if yank is None:
        raise ShapeError("the index does not say whether this version's files are yanked (no 'yanked' key)")
    return yank


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


def _index_hashes(page: ProjectPage, ref: PackageRef) -> tuple[str, ...]:
    """Every hash the page lists for this version's files, ``algorithm:hex``, sorted."""
    files = page.files_of(ref.name, ref.version)
    if not files:
        raise ShapeError(f"no files for version {ref.version} on the index")
    hashes = sorted({f"{name}:{digest}" for file in files for name, digest in file.hashes})
    if not hashes:
        raise ShapeError(f"the index lists no hash for the files of version {ref.version}")
    return tuple(hashes)


__all__ = [
    "FACTS",
    "HISTORY_FACTS",
    "SimpleIndexSource",
    "fetch_page",
    "forget_pages",
    "index_of",
    "internal_offers",
    "page_url",
    "release_history",
    "served_by",
]
