"""The imported database's advisories are kept by the bytes of the records they came from: a warm
audit neither parses nor matches them, and any change to those bytes, the datasets or the matching
code derives them again."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

import supplychain.sources.osv as osv_source
from supplychain.clock import FixedClock
from supplychain.model import Known, PackageRef, Unknown
from supplychain.sources import FactPatch
from supplychain.sources.datastore import DataStore
from supplychain.sources.osv import NO_MALICIOUS
from supplychain.sources.osv_records import OsvRecord, parse_record
from tests.sources.test_osv_source import OSV, run


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The record locations the OSV source parsed, in order."""
    seen: list[str] = []

    def counting(raw: object, where: str) -> OsvRecord:
        seen.append(where)
        return parse_record(raw, where)  # type: ignore[arg-type]

    monkeypatch.setattr(osv_source, "parse_record", counting)
    return seen


def by_name(result: dict[PackageRef, FactPatch]) -> dict[str, FactPatch]:
    return {ref.name: patch for ref, patch in result.items()}


def ids(patch: FactPatch) -> list[str]:
    fact = patch["advisories"]
    assert isinstance(fact, Known)
    return [advisory.id for advisory in fact.value]  # type: ignore[attr-defined]


def unstamped(result: dict[PackageRef, FactPatch]) -> dict[PackageRef, dict[str, object]]:
    """The patches without the time they were learned (a kept patch is stamped with the new run's)."""
    return {
        ref: {fact: (s.value, s.source) if isinstance(s, Known) else s for fact, s in patch.items()}
        for ref, patch in result.items()
    }


def test_a_warm_run_parses_nothing_and_answers_the_same(
    tmp_path: Path, clock: FixedClock, parses: list[str]
) -> None:
    DataStore(tmp_path / "data").import_path(OSV / "records")
    first = run(tmp_path, clock, offline=True, cache_dir=tmp_path / "cache")
    assert parses  # pyyaml's and urllib3's records, the malicious report
    assert ids(by_name(first)["pyyaml"])
    parses.clear()
    later = FixedClock(clock.now() + timedelta(days=40))  # past the 30 days: read, never rewritten
    second = run(tmp_path, later, offline=True, cache_dir=tmp_path / "cache")
    assert parses == []
    assert unstamped(second) == unstamped(first)
    fact = by_name(second)["pyyaml"]["advisories"]
    assert isinstance(fact, Known)
    assert fact.fetched_at == later.now()


def test_without_a_cache_dir_every_run_parses(tmp_path: Path, clock: FixedClock, parses: list[str]) -> None:
    DataStore(tmp_path / "data").import_path(OSV / "records")
    run(tmp_path, clock, offline=True)
    count = len(parses)
    run(tmp_path, clock, offline=True)
    assert count > 0
    assert len(parses) == 2 * count


def test_a_new_record_for_a_name_derives_its_advisories_again(
    tmp_path: Path, clock: FixedClock, parses: list[str]
) -> None:
    store = DataStore(tmp_path / "data")
    store.import_path(OSV / "records")
    before = by_name(run(tmp_path, clock, offline=True, cache_dir=tmp_path / "cache"))
    as_of = store.advisories_as_of()
    record = {
        "id": "PYSEC-0000-1",
        "modified": "2000-01-01T00:00:00Z",  # older than the dataset's date: that stays as it was
        "summary": "every pyyaml before 99",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "pyyaml"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99"}]}],
            }
        ],
    }
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "PYSEC-0000-1.json").write_text(json.dumps(record))
    store.import_path(extra)
    assert store.advisories_as_of() == as_of
    parses.clear()
    after = by_name(run(tmp_path, clock, offline=True, cache_dir=tmp_path / "cache"))
    assert ids(after["pyyaml"]) == sorted([*ids(before["pyyaml"]), "PYSEC-0000-1"])
    assert any("@" in where for where in parses)
    assert after["urllib3"] == before["urllib3"]


def test_a_change_to_the_matching_code_derives_again(
    tmp_path: Path, clock: FixedClock, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    DataStore(tmp_path / "data").import_path(OSV / "records")
    run(tmp_path, clock, offline=True, cache_dir=tmp_path / "cache")
    count = len(parses)
    monkeypatch.setattr(osv_source, "_matching_code", lambda: "the matching code after a fix")
    run(tmp_path, clock, offline=True, cache_dir=tmp_path / "cache")
    assert count > 0
    assert len(parses) == 2 * count


def test_a_dataset_dropped_from_the_data_dir_is_not_answered_by_kept_advisories(
    tmp_path: Path, clock: FixedClock
) -> None:
    """pyyaml has no MAL- record: its kept patch says "no malicious reports", true only while the
    malicious dataset is there."""
    DataStore(tmp_path / "data").import_path(OSV / "records")
    before = by_name(run(tmp_path, clock, offline=True, cache_dir=tmp_path / "cache"))
    assert isinstance(before["pyyaml"]["malicious_reports"], Known)
    manifest = tmp_path / "data" / "manifest.json"
    datasets = json.loads(manifest.read_text())["datasets"]
    del datasets["malicious"]
    manifest.write_text(json.dumps({"datasets": datasets}))
    after = by_name(run(tmp_path, clock, offline=True, cache_dir=tmp_path / "cache"))
    assert after["pyyaml"]["malicious_reports"] == Unknown(reason=NO_MALICIOUS, source="osv")
    assert ids(after["pyyaml"]) == ids(before["pyyaml"])
