"""Group OSV records whose ids or aliases overlap into one ``Advisory`` each (union-find)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from packaging.version import InvalidVersion, Version

from supplychain.dates import timestamp_or_none
from supplychain.model import Advisory, AdvisoryKind, Severity
from supplychain.sources.osv_records import OsvRecord

_PREFERENCE = ("GHSA-", "PYSEC-", "CVE-", "MAL-")
_LABELS = {
    "none": Severity.NONE,
    "low": Severity.LOW,
    "moderate": Severity.MEDIUM,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "important": Severity.HIGH,
    "critical": Severity.CRITICAL,
}


def preferred_id(ids: Iterable[str]) -> str:
    """GHSA first (reviewed, what GitHub users see), then PYSEC, CVE, MAL, others; ties by text."""

    def rank(value: str) -> tuple[int, str]:
        for index, prefix in enumerate(_PREFERENCE):
            if value.startswith(prefix):
                return index, value
        return len(_PREFERENCE), value

    return min(ids, key=rank)


def band(score: float) -> Severity:
    """The qualitative rating of a CVSS base score (CVSS v3.1 specification, section 5; v4 bands alike)."""
    if score == 0:
        return Severity.NONE
    if score < 4:
        return Severity.LOW
    if score < 7:
        return Severity.MEDIUM
    if score < 9:
        return Severity.HIGH
    return Severity.CRITICAL


def cvss_score(vector: str) -> float | None:
    """The base score of a CVSS v3.x or v4 vector; None when the vector is not one."""
    from cvss import CVSS3, CVSS4  # 20 ms of start-up: only a matched advisory needs it
    from cvss.exceptions import CVSSError

    try:
        if vector.startswith("CVSS:4"):
            return float(CVSS4(vector).base_score)
        if vector.startswith("CVSS:3"):
            return float(CVSS3(vector).scores()[0])
    except (CVSSError, ValueError, KeyError, IndexError):
        return None
    return None


def group(records: Sequence[OsvRecord]) -> list[list[OsvRecord]]:
    """Union-find over ids and aliases; groups in a deterministic order."""
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for record in records:
        for alias in record.aliases:
            a, b = find(record.id), find(alias)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[str, list[OsvRecord]] = {}
    for record in records:
        groups.setdefault(find(record.id), []).append(record)
    return [sorted(members, key=lambda r: r.id) for _, members in sorted(groups.items())]


def _published(records: Sequence[OsvRecord]) -> datetime | None:
    found = [when for when in (timestamp_or_none(r.published) for r in records) if when is not None]
    return min(found) if found else None


def gives_no_range(record: OsvRecord, name: str | None) -> bool:
    """The record's entries for ``name`` list no affected versions and no PyPI (ECOSYSTEM) range."""
    entries = [entry for entry in record.affected if name is None or entry.name == name]
    return all(
        not entry.versions and not any(item.type == "ECOSYSTEM" for item in entry.ranges) for entry in entries
    )


def merge(
    records: Sequence[OsvRecord], *, source: str, name: str | None = None, problems: Iterable[str] = ()
) -> Advisory:
    """One advisory for one group of matching records; withdrawn records were dropped before."""
    ids = {record.id for record in records} | {a for record in records for a in record.aliases}
    main = preferred_id(ids)
    scores = [s for r in records for kind, vector in r.severity if (s := cvss_score(vector)) is not None]
    score = max(scores) if scores else None
    severity = band(score) if score is not None else None
    if severity is None:
        labels = [r.database_severity for r in records] + [a.severity for r in records for a in r.affected]
        known = [_LABELS[label.lower()] for label in labels if label and label.lower() in _LABELS]
        severity = max(known) if known else None
    bounds: dict[str, set[Version]] = {"fixed": set(), "last_affected": set()}
    for record in records:
        for entry in record.affected:
            if name is not None and entry.name != name:
                continue
            for item in entry.ranges:
                for kind, value in item.events:
                    if kind in bounds:
                        try:
                            bounds[kind].add(Version(value))
                        except InvalidVersion:
                            continue
    by_id = {record.id: record for record in records}
    lead = by_id.get(main) or records[0]
    summary = next((r.summary for r in [lead, *records] if r.summary), "") or lead.details[:200]
    malicious = any(value.startswith("MAL-") for value in ids)
    return Advisory(
        id=main,
        aliases=tuple(sorted(ids - {main})),
        kind=AdvisoryKind.MALICIOUS if malicious else AdvisoryKind.VULNERABILITY,
        severity=Severity.CRITICAL if malicious and severity is None else severity,
        summary=summary.strip(),
        fixed_in=tuple(sorted(bounds["fixed"])),
        source=source,
        last_affected=tuple(sorted(bounds["last_affected"])),
        cvss_score=score,
        published=_published(records),
        url=f"https://osv.dev/vulnerability/{main}",
        problems=tuple(sorted(set(problems))),
        no_affected_range=all(gives_no_range(record, name) for record in records),
    )
