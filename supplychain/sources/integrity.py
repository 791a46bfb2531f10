"""PEP 740 source: whether this version's files carry attestations, who published them, and if they verify."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from supplychain.errors import FetchError, HttpStatusError
from supplychain.model import Known, PackageRef, Provenance, Publisher, ResolvedPackage, Signal, Unknown
from supplychain.net import integrity
from supplychain.net.http import Http
from supplychain.sources import FactPatch, SourceContext
from supplychain.sources.attestation import Verdict, verify_provenance
from supplychain.sources.scope import public_only
from supplychain.sources.simple_index import fetch_page, index_of, page_url
from supplychain.urls import same_origin

if TYPE_CHECKING:
    from supplychain.net.simple import DistributionFile

SOURCE = "integrity"


class IntegritySource:
    """Per file: the provenance URL the index's page gives, fetched on the index's origin and verified.

    Only the page decides (PEP 740): a JSON file with ``provenance: null`` (or an HTML anchor without
    ``data-provenance`` on a page of API 1.3 or later) has none; a page that does not state it, or
    predates PEP 740, leaves provenance unknown. No Integrity API URL is guessed: an index that does not
    serve PEP 740 answers 404 for every file, which says nothing about the file.
    """

    id = SOURCE

    async def collect(
        self, packages: Sequence[ResolvedPackage], context: SourceContext
    ) -> dict[PackageRef, FactPatch]:
        packages = public_only(packages, context)  # an internal name is never sent to the Integrity API
        results = await asyncio.gather(*(self._one(package, context) for package in packages))
        return {
            package.ref: {"provenance": signal} for package, signal in zip(packages, results, strict=True)
        }

    async def _one(self, package: ResolvedPackage, context: SourceContext) -> Signal[object]:
        page = page_url(index_of(package, context.config), package.ref.name)
        return await page_provenance(
            context.http, page, package.ref, context.clock.now(), lambda files: target_files(files, context)
        )


async def page_provenance(
    http: Http,
    page: str,
    ref: PackageRef,
    now: datetime,
    choose: Callable[[tuple[DistributionFile, ...]], tuple[DistributionFile, ...]] = lambda files: files,
) -> Signal[Provenance]:
    """The provenance of ``ref``'s files (those ``choose`` keeps) as the project page at ``page`` states it.

    The one reading of PEP 740 for the audit and the allowlist's delta reviews alike.
    """
    listed = await _files(http, page, ref)
    if isinstance(listed, Unknown):
        return listed
    api, files = listed
    # Wait for every file: on the first failure a plain gather would leave the siblings running,
    # orphaned requests that outlive the audit's client (unclosed connections, wasted retries).
    outcomes = await asyncio.gather(
        *(_one_file(http, page, api, file) for file in choose(files)), return_exceptions=True
    )
    answers: list[_FileAnswer] = []
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            if isinstance(outcome, FetchError):
                return Unknown(reason=outcome.reason, source=SOURCE)
            raise outcome
        if isinstance(outcome, Unknown):
            return outcome
        answers.append(outcome)
    return _combine(answers, http, now, page)


@dataclass(frozen=True, slots=True, kw_only=True)
class _FileAnswer:
    url: str | None  # the provenance fetched; None when the page states the file has none
    publishers: tuple[Publisher, ...] = ()
    verdict: Verdict | None = None  # None: nothing to verify


def _combine(answers: list[_FileAnswer], http: Http, now: datetime, page: str) -> Signal[Provenance]:
    """All files attested and every attestation verified, or why not; one uncheckable one is unknown."""
    verdicts = [a.verdict for a in answers if a.verdict is not None]
    failed = tuple(sorted(v.problem for v in verdicts if v.verified is False and v.problem))
    unchecked = [v.problem for v in verdicts if v.verified is None and v.problem]
    if unchecked and not failed:
        return Unknown(reason=unchecked[0], source=SOURCE)
    attested = all(a.url is not None for a in answers)
    publishers = sorted(
        {p for answer in answers for p in answer.publishers},
        key=lambda p: (p.kind, p.repository or "", p.workflow or "", p.environment or "", p.email or ""),
    )
    answered = [page, *(a.url for a in answers if a.url is not None)]
    learned = min(http.learned_at(u, now) for u in answered)
    return Known(
        value=Provenance(
            attested=attested,
            publishers=tuple(publishers),
            files_checked=len(answers),
            verified=attested and not failed,
            problems=failed,
        ),
        source=SOURCE,
        fetched_at=learned,  # the oldest answer it rests on, when read from the cache
    )


async def _one_file(
    http: Http, page: str, api: tuple[int, int] | None, file: DistributionFile
) -> _FileAnswer | Unknown:
    """What the page says about one file's provenance, fetched and verified when it names one."""
    from supplychain.net.simple import PEP_740_API

    if api is not None and api < PEP_740_API:
        shown = ".".join(map(str, api))
        reason = f"the index does not serve PEP 740 (Simple API {shown} predates 1.3)"
        return Unknown(reason=reason, source=SOURCE, settled=True)
    if not file.provenance_listed:
        reason = f"the index does not serve PEP 740 (its page has no provenance for {file.filename})"
        return Unknown(reason=reason, source=SOURCE, settled=True)
    if file.provenance is None:
        return _FileAnswer(url=None)
    if not same_origin(file.provenance, page):
        return Unknown(reason="provenance URL not on the index's host", source=SOURCE, settled=True)
    data, publishers = await integrity.fetch_provenance_object(http, file.provenance)
    sha256 = dict(file.hashes).get("sha256")
    return _FileAnswer(
        url=file.provenance, publishers=publishers, verdict=verify_provenance(data, file.filename, sha256)
    )


def target_files(files: tuple[DistributionFile, ...], context: SourceContext) -> tuple[DistributionFile, ...]:
    """The files this target would install (its wheels and the sdist), not every platform's.

    A release like torch has dozens of wheels; checking all of them cost tens of thousands of
    requests per audit. Falls back to every file when none matches, so nothing passes unchecked.
    """
    supported = context.config.target.tag_priority
    kept = []
    for file in files:
        if not file.filename.endswith(".whl"):
            kept.append(file)
            continue
        try:
            tags = parse_wheel_filename(file.filename)[3]
        except InvalidWheelFilename:
            kept.append(file)
            continue
        if any(tag in supported for tag in tags):
            kept.append(file)
    return tuple(kept) or files


async def version_files(
    package: ResolvedPackage, context: SourceContext
) -> tuple[DistributionFile, ...] | Unknown:
    """This version's files as the serving index lists them, or why they are unknown."""
    page = page_url(index_of(package, context.config), package.ref.name)
    listed = await _files(context.http, page, package.ref)
    return listed if isinstance(listed, Unknown) else listed[1]


async def _files(
    http: Http, url: str, ref: PackageRef
) -> tuple[tuple[int, int] | None, tuple[DistributionFile, ...]] | Unknown:
    """The page's API version and this version's files."""
    try:
        page = await fetch_page(http, url, ref.version)
    except HttpStatusError as error:
        reason = "not found on the index" if error.status == 404 else error.reason
        return Unknown(reason=reason, source=SOURCE)
    except FetchError as error:
        return Unknown(reason=error.reason, source=SOURCE)
    files = page.files_of(ref.name, ref.version)
    if not files:
        return Unknown(reason=f"no files for version {ref.version} on the index", source=SOURCE, settled=True)
    return page.api_version, files
