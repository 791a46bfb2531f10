"""PEP 740 source: whether this version's files carry attestations, and who published them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from supplychain.errors import FetchError, HttpStatusError
from supplychain.model import Known, PackageRef, Provenance, Publisher, ResolvedPackage, Signal, Unknown
from supplychain.sources import FactPatch, SourceContext
from supplychain.sources.pypi_json import ShapeError, expect
from supplychain.sources.simple_index import fetch_page, files_of, index_of, page_url

SOURCE = "integrity"
_PROVENANCE_JSON = "application/vnd.pypi.integrity.v1+json"


class _NoAttestation(Exception):
    """The Integrity API answered 404 (or the Simple API said ``provenance: null``) for a file."""


class IntegritySource:
    """Per file: the Simple API ``provenance`` URL when given, else the Integrity API path."""

    id = SOURCE

    async def collect(
        self, packages: Sequence[ResolvedPackage], context: SourceContext
    ) -> dict[PackageRef, FactPatch]:
        results = await asyncio.gather(*(self._one(package, context) for package in packages))
        return {
            package.ref: {"provenance": signal} for package, signal in zip(packages, results, strict=True)
        }

    async def _one(self, package: ResolvedPackage, context: SourceContext) -> Signal[object]:
        ref = package.ref
        files = await _files(package, context)
        if isinstance(files, Unknown):
            return files
        base = context.config.endpoints.integrity.reveal()
        urls = []
        for file in _for_target(files, context):
            filename = str(file["filename"])
            default = f"{base}integrity/{quote(ref.name)}/{ref.version}/{quote(filename)}/provenance"
            urls.append(file.get("provenance", default) if "provenance" in file else default)
        # Wait for every file: on the first failure a plain gather would leave the siblings running,
        # orphaned requests that outlive the audit's client (unclosed connections, wasted retries).
        outcomes = await asyncio.gather(*(_publishers(context, url) for url in urls), return_exceptions=True)
        try:
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
        except FetchError as error:
            return Unknown(reason=error.reason, source=SOURCE)
        except ShapeError as error:
            return Unknown(reason=f"Integrity API: {error}", source=SOURCE, settled=True)
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


def _for_target(files: list[dict[str, Any]], context: SourceContext) -> list[dict[str, Any]]:
    """The files this target would install (its wheels and the sdist), not every platform's.

    A release like torch has dozens of wheels; checking all of them cost tens of thousands of
    requests per audit. Falls back to every file when none matches, so nothing passes unchecked.
    """
    supported = context.config.target.tag_priority
    kept = []
    for file in files:
        filename = str(file.get("filename", ""))
        if not filename.endswith(".whl"):
            kept.append(file)
            continue
        try:
            tags = parse_wheel_filename(filename)[3]
        except InvalidWheelFilename:
            kept.append(file)
            continue
        if any(tag in supported for tag in tags):
            kept.append(file)
    return kept or files


async def _files(package: ResolvedPackage, context: SourceContext) -> list[dict[str, Any]] | Unknown:
    ref = package.ref
    try:
        page = await fetch_page(
            context.http, page_url(index_of(package, context.config), ref.name), ref.version
        )
        files = files_of(page, ref.version)
    except HttpStatusError as error:
        reason = "not found on the index" if error.status == 404 else error.reason
        return Unknown(reason=reason, source=SOURCE)
    except FetchError as error:
        return Unknown(reason=error.reason, source=SOURCE)
    except ShapeError as error:
        return Unknown(reason=f"Simple API: {error}", source=SOURCE, settled=True)
    if not files:
        return Unknown(reason=f"no files for version {ref.version} on the index", source=SOURCE, settled=True)
    return files


async def _publishers(context: SourceContext, url: object) -> tuple[Publisher, ...] | None:
    """The publishers attesting one file; None when the file has no attestation (404 / null)."""
    if url is None:
        return None
    if not isinstance(url, str):
        raise ShapeError("files[].provenance is not a URL")
    try:
        document = await context.http.get_json(url, accept=_PROVENANCE_JSON)
    except HttpStatusError as error:
        if error.status == 404:
            return None
        raise
    bundles = expect(
        expect(document, dict, "provenance").get("attestation_bundles"), list, "attestation_bundles"
    )
    if not bundles:
        return None
    found = []
    for raw in bundles:
        publisher = expect(expect(raw, dict, "attestation_bundles[]").get("publisher"), dict, "publisher")
        kind = expect(publisher.get("kind"), str, "publisher.kind")
        found.append(
            Publisher(
                kind=kind,
                repository=_optional(publisher, "repository"),
                workflow=_optional(publisher, "workflow"),
                environment=_optional(publisher, "environment"),
            )
        )
    return tuple(found)


def _optional(mapping: dict[str, Any], key: str) -> str | None:
    value = mapping.get(key)
    if value is None or value == "":
        return None
    return str(expect(value, str, f"publisher.{key}"))
