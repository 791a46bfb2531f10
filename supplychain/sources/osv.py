"""OSV advisories source: the on-disk database when installed, else OSV's querybatch API.

The API's answers are kept in the facts cache for its freshness window (``--offline`` at any age),
so a warm run asks OSV nothing; the database's are not (it is local, and changes with ``db update``).

It gives two facts, ``advisories`` (vulnerabilities) and ``malicious_reports`` (MAL- reports): the
data directory holds one dataset per kind, and a kind whose dataset is missing is Unknown, never
an empty list.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from supplychain.errors import AdvisoryDataError, FetchError
from supplychain.model import Advisory, AdvisoryKind, Known, PackageRef, ResolvedPackage, Signal, Unknown
from supplychain.sources import FactPatch, SourceContext
from supplychain.sources.datastore import ADVISORIES, MALICIOUS, DataStore
from supplychain.sources.facts_cache import FactsCache, code_digest, derived_key
from supplychain.sources.osv_merge import group, merge
from supplychain.sources.osv_ranges import evaluate, forget_parsed, public
from supplychain.sources.osv_records import OsvRecord, parse_record
from supplychain.sources.scope import public_only

SOURCE = "osv"
BATCH = 1000  # OSV's documented querybatch limit
# Requests to OSV at once: the batches together, then the records they name: two or three
# sequential round trips in all for a few hundred packages (PyPI keeps the door's 16 per host).
PARALLEL = 48
NO_DATA = "no advisory data: run `supplychain db update`"
NO_VULNERABILITIES = (
    "no vulnerability data: the offline data holds only malicious-package reports "
    "(run `supplychain db update`, or import a vulnerability database with --from)"
)
NO_MALICIOUS = (
    "no malicious-package data: the offline data holds only vulnerability advisories "
    "(run `supplychain db update`, or import the malicious-packages reports with --from)"
)


def match_records(ref: PackageRef, records: Sequence[OsvRecord], *, source: str) -> tuple[Advisory, ...]:
    """The advisories among ``records`` that affect ``ref``; withdrawn records never match."""
    matched: list[OsvRecord] = []
    problems: dict[str, list[str]] = {}
    for record in records:
        if record.withdrawn:
            continue
        for entry in record.affected:
            if entry.ecosystem != "PyPI" or entry.name != ref.name:
                continue
            result = evaluate(ref.version, entry)
            if result.affected:
                if record not in matched:
                    matched.append(record)
                problems.setdefault(record.id, []).extend(f"{record.id}: {p}" for p in result.problems)
    return advisories_of(matched, name=ref.name, source=source, problems=problems)


def advisories_of(
    records: Sequence[OsvRecord], *, name: str, source: str, problems: Mapping[str, list[str]] | None = None
) -> tuple[Advisory, ...]:
    """One Advisory per advisory, merging records that alias each other, for the named package."""
    found = problems or {}
    merged = [
        merge(members, source=source, name=name, problems=[p for r in members for p in found.get(r.id, [])])
        for members in group(records)
    ]
    return tuple(sorted(merged, key=lambda advisory: advisory.id))


class OsvSource:
    """Gives the ``advisories`` fact; every fault is an Unknown with its reason, never an exception."""

    id = SOURCE

    async def collect(
        self, packages: Sequence[ResolvedPackage], context: SourceContext
    ) -> dict[PackageRef, FactPatch]:
        """Each package's advisories, from the imported database or else the OSV API."""
        try:
            return await self._collect(packages, context)
        finally:
            forget_parsed()

    async def _collect(
        self, packages: Sequence[ResolvedPackage], context: SourceContext
    ) -> dict[PackageRef, FactPatch]:
        # An internal name is never sent to OSV (and no public record is about our package).
        public = public_only(packages, context)
        refs = sorted({package.ref for package in public}, key=lambda ref: (ref.name, ref.version))
        if not refs:
            return {}
        store = DataStore(context.config.data_dir)
        cache = FactsCache.for_config(context.config)
        try:
            if store.has_advisories():
                return _from_store(store, refs, context.clock.now(), cache)
        except (AdvisoryDataError, OSError, ValueError, KeyError) as error:
            return _all_unknown(refs, f"advisory database unreadable: {error}")
        key = f"osv-api {context.config.endpoints.osv.reveal()}"  # another OSV's answers never match
        one_each = {package.ref: package for package in public}
        now = context.clock.now()
        stored = cache.load(key, one_each.values(), now) if cache is not None else {}
        patches = {ref: stored[ref] for ref in refs if _complete(stored.get(ref))}
        missing = [ref for ref in refs if ref not in patches]
        if not missing:
            return patches
        if context.http.offline:
            patches.update(_all_unknown(missing, NO_DATA))
            return patches
        fetched = await self._online(missing, context)
        if cache is not None:
            cache.store(key, [(one_each[ref], patch) for ref, patch in fetched.items()], now)
        patches.update(fetched)
        return patches

    async def _online(self, refs: list[PackageRef], context: SourceContext) -> dict[PackageRef, FactPatch]:
        base = context.config.endpoints.osv.reveal()
        context.http.widen(base, PARALLEL)
        patches: dict[PackageRef, FactPatch] = {}
        ids_of: dict[PackageRef, list[str]] = {}
        chunks = [refs[start : start + BATCH] for start in range(0, len(refs), BATCH)]
        answers = await asyncio.gather(*(_batch(base, chunk, context) for chunk in chunks))
        for chunk, found in zip(chunks, answers, strict=True):
            if isinstance(found, str):
                patches.update(_all_unknown(chunk, found))
            else:
                ids_of.update(zip(chunk, found, strict=True))
        wanted = sorted({vuln_id for ids in ids_of.values() for vuln_id in ids})
        fetched = await asyncio.gather(*(self._vuln(base, vuln_id, context) for vuln_id in wanted))
        records = dict(zip(wanted, fetched, strict=True))
        now = context.clock.now()
        for ref, ids in ids_of.items():
            failures = sorted(str(records[i]) for i in ids if not isinstance(records[i], OsvRecord))
            if failures:
                patches.update(_all_unknown([ref], "; ".join(failures)))
                continue
            mine = [r for i in ids if isinstance(r := records[i], OsvRecord) and not r.withdrawn]
            value = advisories_of(mine, name=ref.name, source="osv.dev")
            patches[ref] = {
                "advisories": Known(
                    value=tuple(a for a in value if a.kind is AdvisoryKind.VULNERABILITY),
                    source="osv.dev",
                    fetched_at=now,
                ),
                "malicious_reports": Known(
                    value=tuple(a for a in value if a.kind is AdvisoryKind.MALICIOUS),
                    source="osv.dev",
                    fetched_at=now,
                ),
            }
        return patches

    async def _vuln(self, base: str, vuln_id: str, context: SourceContext) -> OsvRecord | str:
        url = f"{base}v1/vulns/{quote(vuln_id, safe='')}"
        try:
            return parse_record(await context.http.get_json(url), url)
        except (FetchError, AdvisoryDataError) as error:
            return f"{vuln_id}: {_reason(error)}"


def _from_store(
    store: DataStore, refs: list[PackageRef], now: datetime, memo: FactsCache | None
) -> dict[PackageRef, FactPatch]:
    """Each ref's advisories from the imported database.

    Parsing a name's records and matching them took a warm audit of 440 packages 0.15-0.2 s on
    every run, for the same answer. The patch is kept by the digest of the record lines it came from
    (and the version, the datasets' dates, and the matching code), so an edited record, an import
    or a fix to the matching derives it again; a ref whose key is kept is neither parsed nor matched.
    """
    as_of = {status.name: status.as_of for status in store.status()}
    labels = {dataset: _label(as_of.get(dataset)) for dataset in (ADVISORIES, MALICIOUS)}
    source = _label(store.advisories_as_of())
    lines = store.record_lines(ref.name for ref in refs)
    code = _matching_code()
    keys: dict[PackageRef, str] = {}
    if memo is not None and code is not None:
        setting = json.dumps([sorted(as_of), labels, source])
        digests = {name: _lines_digest(found) for name, found in lines.items()}
        keys = {
            ref: derived_key("osv-store", digests[ref.name], str(ref.version), setting, code) for ref in refs
        }
    kept = memo.recall_many(keys.values(), now) if memo is not None and keys else {}
    parsed: dict[str, list[OsvRecord]] = {}
    patches: dict[PackageRef, FactPatch] = {}
    derived: list[tuple[str, FactPatch]] = []
    for ref in refs:
        key = keys.get(ref)
        if key is not None and key in kept:
            patches[ref] = kept[key]
            continue
        if ref.name not in parsed:
            parsed[ref.name] = [parse_record(json.loads(line), where) for where, line in lines[ref.name]]
        patches[ref] = _store_patch(ref, parsed[ref.name], as_of=as_of, labels=labels, source=source, now=now)
        if key is not None:
            derived.append((key, patches[ref]))
    if memo is not None and derived:
        memo.remember(derived, now)
    return patches


def _store_patch(
    ref: PackageRef,
    records: Sequence[OsvRecord],
    *,
    as_of: Mapping[str, datetime | None],
    labels: Mapping[str, str],
    source: str,
    now: datetime,
) -> FactPatch:
    found = match_records(ref, records, source=source)
    vulnerabilities = tuple(a for a in found if a.kind is AdvisoryKind.VULNERABILITY)
    malicious = tuple(a for a in found if a.kind is AdvisoryKind.MALICIOUS)
    patch: dict[str, Signal[object]] = {}
    if MALICIOUS in as_of:
        patch["malicious_reports"] = Known(value=malicious, source=labels[MALICIOUS], fetched_at=now)
    else:
        patch["malicious_reports"] = Unknown(reason=NO_MALICIOUS, source=SOURCE)
        vulnerabilities += malicious  # a vulnerability record's MAL- alias: never dropped
    if ADVISORIES in as_of:
        patch["advisories"] = Known(value=vulnerabilities, source=labels[ADVISORIES], fetched_at=now)
    else:
        patch["advisories"] = Unknown(reason=NO_VULNERABILITIES, source=SOURCE)
    return patch


def _lines_digest(lines: Sequence[tuple[str, bytes]]) -> str:
    """SHA-256 of a name's record lines, each with its length (no two lists share a digest)."""
    digest = hashlib.sha256()
    for _, line in lines:
        digest.update(len(line).to_bytes(8, "big"))
        digest.update(line)
    return digest.hexdigest()


def _matching_code() -> str | None:
    """The code an advisory patch is derived by: parsing, matching, merging, and its stored form."""
    from supplychain import model
    from supplychain.sources import facts_cache, osv_merge, osv_ranges, osv_records

    modules = (model, facts_cache, osv_merge, osv_ranges, osv_records)
    return code_digest(__file__, *(module.__file__ for module in modules))


class _ShapeError(Exception):
    pass


async def _batch(base: str, chunk: list[PackageRef], context: SourceContext) -> list[list[str]] | str:
    """The vulnerability ids OSV lists for each ref of one querybatch, or why the batch failed."""
    body = {
        "queries": [
            {"package": {"name": ref.name, "ecosystem": "PyPI"}, "version": str(public(ref.version))}
            for ref in chunk
        ]
    }
    try:
        return _batch_ids(await context.http.post_json(f"{base}v1/querybatch", body), len(chunk))
    except (FetchError, _ShapeError) as error:
        return f"OSV querybatch failed: {_reason(error)}"


def _reason(error: Exception) -> str:
    reason = getattr(error, "reason", None)
    return reason if isinstance(reason, str) else str(error)


def _batch_ids(answer: Any, expected: int) -> list[list[str]]:
    """One result per query, in order: a short or long answer cannot be attributed, so it fails."""
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, list):
        raise _ShapeError("answer has no 'results' list")
    if len(results) != expected:
        raise _ShapeError(f"{len(results)} results for {expected} queries")
    ids: list[list[str]] = []
    for result in results:
        vulns = result.get("vulns", []) if isinstance(result, dict) else None
        if not isinstance(vulns, list) or not all(
            isinstance(v, dict) and isinstance(v.get("id"), str) for v in vulns
        ):
            raise _ShapeError("a result is not {'vulns': [{'id': ...}]}")
        if isinstance(result, dict) and result.get("next_page_token"):
            raise _ShapeError("paginated result (more than one page of vulnerabilities) not followed")
        ids.append(sorted({v["id"] for v in vulns}))
    return ids


def _complete(patch: FactPatch | None) -> bool:
    return patch is not None and all(fact in patch for fact in ("advisories", "malicious_reports"))


def _all_unknown(refs: Sequence[PackageRef], reason: str) -> dict[PackageRef, FactPatch]:
    unknown: Signal[object] = Unknown(reason=reason, source=SOURCE)
    return {ref: {"advisories": unknown, "malicious_reports": unknown} for ref in refs}


def _label(as_of: datetime | None) -> str:
    return f"osv-db:{as_of.date().isoformat() if as_of else 'unknown'}"


__all__ = ["NO_DATA", "NO_MALICIOUS", "NO_VULNERABILITIES", "OsvSource", "advisories_of", "match_records"]
