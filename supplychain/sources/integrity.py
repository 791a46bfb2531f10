"""PEP 740 source: whether this version's files carry attestations, and who published them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from urllib.parse import quote

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from supplychain.errors import FetchError, HttpStatusError
from supplychain.model import Known, PackageRef, Provenance, Publisher, ResolvedPackage, Signal, Unknown
from supplychain.net import integrity
from supplychain.net.simple import DistributionFile
from supplychain.sources import FactPatch, SourceContext
from supplychain.sources.scope import public_only
from supplychain.sources.simple_index import fetch_page, index_of, page_url

SOURCE = "integrity"


class IntegritySource:
    """Per file: the Simple API ``provenance`` URL when given, else the Integrity API path."""

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
        ref = package.ref
        files = await version_files(package, context)
        if isinstance(files, Unknown):
            return files
        base = context.config.endpoints.integrity.reveal()
        urls: list[str | None] = []
        for file in target_files(files, context):
            default = f"{base}integrity/{quote(ref.name)}/{ref.version}/{quote(file.filename)}/provenance"
            urls.append(file.provenance if file.provenance_listed else default)
        # Wait for every file: on the first failure a plain gather would leave the siblings running,
        # orphaned requests that outlive the audit's client (unclosed connections, wasted retries).
        outcomes = await asyncio.gather(*(_publishers(context, url) for url in urls), return_exceptions=True)
        try:
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
        except FetchError as error:
            return Unknown(reason=error.reason, source=SOURCE)
        answers = [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
        attested = all(answer is not None for answer in answers)
        publishers = sorted(
            {p for answer in answers for p in answer or ()},
            key=lambda p: (p.kind, p.repository or "", p.workflow or "", p.environment or ""),
        )
        now = context.clock.now()
        page = page_url(index_of(package, context.config), ref.name)
        answered = [page, *(u for u in urls if isinstance(u, str))]
        learned = min(context.http.learned_at(u, now) for u in answered)
        return Known(
            value=Provenance(attested=attested, publishers=tuple(publishers), files_checked=len(urls)),
            source=SOURCE,
            fetched_at=learned,  # the oldest answer it rests on, when read from the cache
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
    ref = package.ref
    try:
        page = await fetch_page(
            context.http, page_url(index_of(package, context.config), ref.name), ref.version
        )
    except HttpStatusError as error:
        reason = "not found on the index" if error.status == 404 else error.reason
        return Unknown(reason=reason, source=SOURCE)
    except FetchError as error:
        return Unknown(reason=error.reason, source=SOURCE)
    files = page.files_of(ref.name, ref.version)
    if not files:
        return Unknown(reason=f"no files for version {ref.version} on the index", source=SOURCE, settled=True)
    return files


async def _publishers(context: SourceContext, url: str | None) -> tuple[Publisher, ...] | None:
    """The publishers attesting one file; None when the file has no attestation (404 / null / none)."""
    if url is None:
        return None
    try:
        return await integrity.fetch_provenance(context.http, url) or None
    except HttpStatusError as error:
        if error.status == 404:
            return None
        raise
