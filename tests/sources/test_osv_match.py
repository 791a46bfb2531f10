"""Advisory matching on real OSV records, and the cross-check over every pin of two real locks."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from supplychain.model import AdvisoryKind, PackageRef, Severity
from supplychain.sources.osv import match_records
from supplychain.sources.osv_merge import band, cvss_score, preferred_id
from supplychain.sources.osv_records import OsvRecord, load_record

OSV = Path(__file__).parent.parent / "fixtures" / "osv"


def all_records() -> list[OsvRecord]:
    files = sorted(p for p in (OSV / "records").rglob("*") if p.suffix in {".yaml", ".json"})
    files += sorted(p for p in (OSV / "handmade").iterdir() if p.suffix in {".yaml", ".json"})
    return [load_record(path.read_bytes(), str(path)) for path in files]


RECORDS = all_records()


def by_name(name: str) -> list[OsvRecord]:
    return [r for r in RECORDS if any(a.name == name for a in r.affected)]


def ids(name: str, version: str) -> list[str]:
    ref = PackageRef(name=canonicalize_name(name), version=Version(version))
    return [a.id for a in match_records(ref, by_name(ref.name), source="test")]


def all_ids(name: str, version: str) -> set[str]:
    ref = PackageRef(name=canonicalize_name(name), version=Version(version))
    return {i for a in match_records(ref, by_name(ref.name), source="test") for i in a.ids}


def test_pyyaml_531_merges_aliases_and_offers_the_fix() -> None:
    ref = PackageRef(name=canonicalize_name("pyyaml"), version=Version("5.3.1"))
    found = match_records(ref, by_name("pyyaml"), source="test")
    full_load = next(a for a in found if "PYSEC-2021-142" in a.ids)
    assert full_load.id == "GHSA-8q59-q68h-6hv4"  # GHSA preferred over PYSEC and CVE
    assert "CVE-2020-14343" in full_load.aliases
    assert list(full_load.aliases) == sorted(full_load.aliases)
    assert Version("5.4") in full_load.fixed_in
    assert full_load.kind is AdvisoryKind.VULNERABILITY
    assert ids("pyyaml", "6.0.1") == []


def test_record_with_no_ranges_and_no_versions_is_flagged_not_a_firm_match() -> None:
    """PYSEC-2025-75 (a Keras 3 safe-mode bypass) names keras with no range: keras 2.12.0 matches,
    flagged as the record giving no affected range."""
    ref = PackageRef(name=canonicalize_name("keras"), version=Version("2.12.0"))
    (found,) = match_records(ref, by_name("keras"), source="test")
    assert found.id == "GHSA-c9rc-mg46-23w3"
    assert found.no_affected_range is True
    firm = match_records(PackageRef.of("pyyaml", "5.3.1"), by_name("pyyaml"), source="test")
    assert firm
    assert not any(a.no_affected_range for a in firm)


def test_requests_and_urllib3_real_versions() -> None:
    assert ids("requests", "2.19.0")
    assert ids("requests", "2.19.0") != ids("requests", "2.32.4")
    assert ids("urllib3", "1.26.4")
    assert "PYSEC-2021-108" in all_ids("urllib3", "1.26.4")  # CVE-2021-33503, fixed in 1.26.5
    assert "PYSEC-2021-108" not in all_ids("urllib3", "1.26.5")


def test_torch_local_version_matches_like_its_public_version() -> None:
    assert ids("torch", "1.13.1+cu116") == ids("torch", "1.13.1") != []


def test_last_affected_record() -> None:
    record = load_record((OSV / "records/pypa/fastapi-admin/PYSEC-2026-1356.yaml").read_bytes(), "f")
    events = dict(record.affected[0].ranges[0].events)
    last = Version(events["last_affected"])
    assert "PYSEC-2026-1356" in all_ids("fastapi-admin", str(last))
    assert "PYSEC-2026-1356" not in all_ids("fastapi-admin", f"{last}.post1")


def test_withdrawn_record_never_matches() -> None:
    record = load_record((OSV / "records/pypa/zstd/PYSEC-2023-121.yaml").read_bytes(), "z")
    version = record.affected[0].versions[0] if record.affected[0].versions else "1.0"
    ref = PackageRef(name=canonicalize_name("zstd"), version=Version(version))
    assert match_records(ref, [record], source="t") == ()


def test_non_pep440_event_is_a_problem_not_a_silent_answer() -> None:
    ref = PackageRef(name=canonicalize_name("binderhub"), version=Version("0.2.0"))
    found = [a for a in match_records(ref, by_name("binderhub"), source="t") if "PYSEC-2021-371" in a.ids]
    assert found
    assert any("0.2.0-n653" in p for p in found[0].problems)


def test_limit_event_handmade() -> None:
    assert ids("limit-demo", "1.4") == ["HANDMADE-LIMIT-1"]
    assert ids("limit-demo", "1.5") == []
    assert ids("limit-demo", "0.9") == []


def test_malicious_reports() -> None:
    with_versions = match_records(
        PackageRef(name=canonicalize_name("midi-melady-extraction"), version=Version("94.6")),
        by_name("midi-melady-extraction"),
        source="t",
    )
    assert [a.kind for a in with_versions] == [AdvisoryKind.MALICIOUS]
    assert ids("midi-melady-extraction", "94.7") == []
    assert ids("aaiohttp", "0.0.1") == ["MAL-2023-1574"] == ids("aaiohttp", "123.0")


def test_severity_from_cvss_and_bands() -> None:
    assert cvss_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") == 9.8
    assert cvss_score("not a vector") is None
    assert [band(s) for s in (0, 3.9, 4.0, 6.9, 7.0, 8.9, 9.0)] == [
        Severity.NONE, Severity.LOW, Severity.MEDIUM, Severity.MEDIUM, Severity.HIGH, Severity.HIGH,
        Severity.CRITICAL,
    ]  # fmt: skip
    assert preferred_id(["CVE-1", "PYSEC-2", "GHSA-x", "MAL-3"]) == "GHSA-x"
    vllm_ref = PackageRef(name=canonicalize_name("vllm"), version=Version("0.13.0"))
    vllm = match_records(vllm_ref, by_name("vllm"), source="t")
    assert any(a.severity is not None for a in vllm)


# --- the cross-check ----------------------------------------------------------------------------


def naive_affected(version: Version, record: OsvRecord, name: str) -> bool:
    """Written independently of osv_ranges: interval list built by a linear scan of sorted events."""
    public = Version(version.public)
    for entry in record.affected:
        if entry.ecosystem != "PyPI" or entry.name != name:
            continue
        listed = set()
        for value in entry.versions:
            with contextlib.suppress(InvalidVersion):
                listed.add(Version(Version(value).public))
        if public in listed:
            return True
        ranges = [r for r in entry.ranges if r.type == "ECOSYSTEM"]
        if not ranges and not entry.versions:
            return True
        for item in ranges:
            points = []
            try:
                for kind, value in item.events:
                    v = Version("0") if value == "0" else Version(Version(value).public)
                    points.append((v, kind))
            except InvalidVersion:
                return True  # undecidable ranges are reported, never dropped
            caps = [v for v, kind in points if kind == "limit"]
            order = {"introduced": 0, "fixed": 1, "last_affected": 2}
            walk = sorted((p for p in points if p[1] != "limit"), key=lambda p: (p[0], order[p[1]]))
            intervals: list[tuple[Version, Version | None, bool]] = []  # (start, end, end inclusive)
            start = None
            for v, kind in walk:
                if kind == "introduced" and start is None:
                    start = v
                elif kind != "introduced" and start is not None:
                    intervals.append((start, v, kind == "last_affected"))
                    start = None
            if start is not None:
                intervals.append((start, None, False))
            for low, high, inclusive in intervals:
                below = high is None or public < high or (inclusive and public == high)
                if low <= public and below and all(public < cap for cap in caps):
                    return True
    return False


def pins() -> Iterator[PackageRef]:
    for line in (OSV / "pins.txt").read_text().split():
        name, version = line.split("==")
        yield PackageRef(name=canonicalize_name(name), version=Version(version))


def test_cross_check_every_pin_of_real_locks() -> None:
    refs = list(pins())
    assert len(refs) > 200
    matched_total = 0
    for ref in refs:
        records = by_name(ref.name)
        got = {i for a in match_records(ref, records, source="t") for i in a.ids}
        expected = {
            i
            for r in records
            if not r.withdrawn and naive_affected(ref.version, r, ref.name)
            for i in (r.id, *r.aliases)
        }
        assert got == expected, ref
        matched_total += bool(got)
    assert matched_total >= 8  # the locks pin vulnerable torch, transformers, vllm, pyyaml 5.3.1...


def test_every_listed_version_of_every_record_is_affected() -> None:
    checked = 0
    for record in RECORDS:
        if record.withdrawn:
            continue
        for entry in record.affected:
            for value in entry.versions[:30]:
                try:
                    ref = PackageRef(name=canonicalize_name(entry.name), version=Version(value))
                except InvalidVersion:
                    continue
                assert record.id in {i for a in match_records(ref, [record], source="t") for i in a.ids}
                checked += 1
    assert checked > 1000
