"""OsvSource: on-disk DB, online querybatch + vulns replayed from real records, faults → Unknown."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from supplychain.clock import FixedClock
from supplychain.endpoints import Endpoints
from supplychain.model import Known, Origin, OriginKind, PackageRef, ResolvedPackage, Unknown
from supplychain.net.http import HttpSettings, build_http
from supplychain.progress import NullProgress
from supplychain.sources import FactPatch, SourceContext, SourceSettings
from supplychain.sources.datastore import DataStore
from supplychain.sources.facts_cache import FRESH_FOR
from supplychain.sources.osv import NO_DATA, NO_MALICIOUS, NO_VULNERABILITIES, OsvSource
from supplychain.sources.osv_records import load_record
from supplychain.target import Target
from tests.support.server import ReplayServer, Reply

OSV = Path(__file__).parent.parent / "fixtures" / "osv"
PINS = {"pyyaml": "5.3.1", "urllib3": "1.26.4", "requests": "2.33.0", "midi-melady-extraction": "94.6"}


def packages() -> list[ResolvedPackage]:
    return [
        ResolvedPackage(
            ref=PackageRef(name=canonicalize_name(name), version=Version(version)),
            origin=Origin(kind=OriginKind.INDEX),
        )
        for name, version in sorted(PINS.items())
    ]


def run(
    tmp_path: Path,
    clock: FixedClock,
    *,
    offline: bool = False,
    cache_dir: Path | None = None,
    per_host: int = 16,
) -> dict[PackageRef, FactPatch]:
    config = SourceSettings(
        target=Target.parse(None, None),
        endpoints=Endpoints.load(),
        cache_dir=cache_dir,
        data_dir=tmp_path / "data",
        offline=offline,
    )

    async def job() -> dict[PackageRef, FactPatch]:
        http = build_http(HttpSettings.for_config(config, per_host=per_host))
        try:
            context = SourceContext(http=http, config=config, clock=clock, progress=NullProgress())
            return await OsvSource().collect(packages(), context)
        finally:
            await http.aclose()

    return asyncio.run(job())


def record_files() -> dict[str, bytes]:
    files = [*(OSV / "records" / "pypa").rglob("*.yaml"), *(OSV / "records" / "malicious").glob("*.json")]
    return {path.stem: path.read_bytes() for path in files}


def install_osv_api(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, *, drop_last: bool = False
) -> list[str]:
    """Answer as api.osv.dev would, computed from the real records (see tests/fixtures/osv/README.md)."""
    monkeypatch.setenv("SUPPLYCHAIN_OSV_URL", server.url + "/")
    records = {stem: load_record(data, stem) for stem, data in record_files().items()}
    raw = record_files()
    queries: list[str] = []

    def handler(method: str, path: str, body: bytes) -> Reply | None:
        if method == "POST" and path == "/v1/querybatch":
            results = []
            for query in json.loads(body)["queries"]:
                name, version = query["package"]["name"], query["version"]
                queries.append(f"{name}=={version}")
                ref = PackageRef(name=canonicalize_name(name), version=Version(version))
                from supplychain.sources.osv import match_records

                hits = sorted(
                    r.id for r in records.values() if not r.withdrawn and match_records(ref, [r], source="x")
                )
                results.append(
                    {"vulns": [{"id": i, "modified": records[i].modified} for i in hits]} if hits else {}
                )
            if drop_last:
                results = results[:-1]
            return Reply(200, json.dumps({"results": results}).encode(), {"Content-Type": "application/json"})
        if method == "GET" and path.startswith("/v1/vulns/"):
            stem = path.rsplit("/", 1)[1]
            if stem not in raw:
                return Reply(404, b'{"code":5,"message":"Bug not found."}')
            data = raw[stem]
            document = json.loads(data) if data.lstrip().startswith(b"{") else _yaml_as_json(data)
            return Reply(200, json.dumps(document).encode(), {"Content-Type": "application/json"})
        return None

    server.handlers.append(handler)
    return queries


def _yaml_as_json(data: bytes) -> object:
    import yaml

    return yaml.load(data, Loader=yaml.BaseLoader)


def advisories(patch: FactPatch) -> Known[tuple[object, ...]]:
    fact = patch["advisories"]
    assert isinstance(fact, Known), fact
    return fact  # type: ignore[return-value]


def test_no_data_offline_is_unknown(tmp_path: Path, clock: FixedClock) -> None:
    result = run(tmp_path, clock, offline=True)
    assert {str(p["advisories"]) for p in result.values()} == {str(Unknown(reason=NO_DATA, source="osv"))}


def test_on_disk_database(tmp_path: Path, clock: FixedClock) -> None:
    store = DataStore(tmp_path / "data")
    store.import_path(OSV / "records")
    result = run(tmp_path, clock, offline=True)
    by_name: dict[str, Known[tuple[object, ...]]] = {
        ref.name: advisories(patch) for ref, patch in result.items()
    }
    assert by_name["pyyaml"].source.startswith("osv-db:")
    assert by_name["pyyaml"].fetched_at == clock.now()
    assert "GHSA-8q59-q68h-6hv4" in {a.id for a in by_name["pyyaml"].value}  # type: ignore[attr-defined]
    assert by_name["midi-melady-extraction"].value == ()
    by_ref = {ref.name: patch for ref, patch in result.items()}
    malicious = by_ref["midi-melady-extraction"]["malicious_reports"]
    assert isinstance(malicious, Known)
    assert [a.kind.value for a in malicious.value] == ["malicious"]  # type: ignore[attr-defined]
    assert by_name["requests"].value == ()


def test_data_dir_with_only_malicious_dataset_leaves_vulnerabilities_unknown(
    tmp_path: Path, clock: FixedClock
) -> None:
    """Malicious-package reports say nothing about vulnerabilities: pyyaml 5.3.1 must not look clean."""
    DataStore(tmp_path / "data").import_path(OSV / "records" / "malicious")
    result = {ref.name: patch for ref, patch in run(tmp_path, clock, offline=True).items()}
    assert result["pyyaml"]["advisories"] == Unknown(reason=NO_VULNERABILITIES, source="osv")
    malicious = result["midi-melady-extraction"]["malicious_reports"]
    assert isinstance(malicious, Known)
    assert [a.id for a in malicious.value] == ["MAL-2024-11632"]  # type: ignore[attr-defined]
    assert result["pyyaml"]["malicious_reports"] == Known(
        value=(), source=malicious.source, fetched_at=clock.now()
    )


def test_data_dir_with_only_vulnerability_dataset_leaves_malicious_reports_unknown(
    tmp_path: Path, clock: FixedClock
) -> None:
    DataStore(tmp_path / "data").import_path(OSV / "records" / "pypa" / "pyyaml")
    result = {ref.name: patch for ref, patch in run(tmp_path, clock, offline=True).items()}
    assert result["midi-melady-extraction"]["malicious_reports"] == Unknown(reason=NO_MALICIOUS, source="osv")
    assert isinstance(result["pyyaml"]["advisories"], Known)


def test_online_querybatch_matches_the_database(
    tmp_path: Path, clock: FixedClock, server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries = install_osv_api(server, monkeypatch)
    online = run(tmp_path / "online", clock)
    assert sorted(queries) == sorted(f"{n}=={v}" for n, v in PINS.items())
    assert sum(1 for method, path in server.requests if method == "POST") == 1  # one batch for all
    DataStore(tmp_path / "db" / "data").import_path(OSV / "records")
    offline = run(tmp_path / "db", clock, offline=True)
    for ref in online:
        for fact in ("advisories", "malicious_reports"):
            got, want = online[ref][fact], offline[ref][fact]
            assert isinstance(got, Known)
            assert isinstance(want, Known)
            assert got.source == "osv.dev"
            assert [a.ids for a in got.value] == [a.ids for a in want.value]  # type: ignore[attr-defined]


def test_short_batch_answer_is_unknown_for_all(
    tmp_path: Path, clock: FixedClock, server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_osv_api(server, monkeypatch, drop_last=True)
    result = run(tmp_path, clock)
    for patch in result.values():
        fact = patch["advisories"]
        assert isinstance(fact, Unknown)
        assert "3 results for 4 queries" in fact.reason


def test_server_error_is_unknown(
    tmp_path: Path, clock: FixedClock, server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPPLYCHAIN_OSV_URL", server.url + "/")
    server.handlers.append(lambda method, path, body: Reply(500, b"oops"))
    result = run(tmp_path, clock)
    assert len(result) == 4
    for patch in result.values():
        fact = patch["advisories"]
        assert isinstance(fact, Unknown)
        assert "500" in fact.reason


def test_vuln_fetch_failure_is_unknown_for_that_package_only(
    tmp_path: Path, clock: FixedClock, server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_osv_api(server, monkeypatch)
    server.handlers.insert(0, lambda m, p, b: Reply(500, b"") if p == "/v1/vulns/MAL-2024-11632" else None)
    patches = {ref.name: patch for ref, patch in run(tmp_path, clock).items()}
    result: dict[str, object] = {name: patch["advisories"] for name, patch in patches.items()}
    assert isinstance(result["midi-melady-extraction"], Unknown)
    assert isinstance(patches["midi-melady-extraction"]["malicious_reports"], Unknown)
    assert isinstance(result["pyyaml"], Known)


def test_online_answers_are_kept_so_a_warm_run_asks_osv_nothing(
    tmp_path: Path, clock: FixedClock, server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_osv_api(server, monkeypatch)
    cache = tmp_path / "cache"
    first = run(tmp_path, clock, cache_dir=cache)
    asked = len(server.requests)
    assert asked > 1  # the batch and the records
    assert run(tmp_path, clock, cache_dir=cache) == first
    assert len(server.requests) == asked
    # Offline, the kept answers stand (their fetched_at says how old they are), not "no data".
    assert run(tmp_path, FixedClock(clock.now() + timedelta(days=3)), cache_dir=cache, offline=True) == first
    # Past the freshness window, OSV is asked again.
    later = FixedClock(clock.now() + FRESH_FOR + timedelta(seconds=1))
    run(tmp_path, later, cache_dir=cache)
    assert any(method == "POST" for method, _ in server.requests[asked:])


def test_another_osv_endpoints_answers_and_failures_are_never_reused(
    tmp_path: Path, clock: FixedClock, server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SUPPLYCHAIN_OSV_URL", server.url + "/")
    server.handlers.append(lambda method, path, body: Reply(503, b"down"))
    failed = run(tmp_path, clock, cache_dir=cache)
    assert all(isinstance(patch["advisories"], Unknown) for patch in failed.values())
    server.handlers.clear()
    install_osv_api(server, monkeypatch)
    answered = run(tmp_path, clock, cache_dir=cache)  # the failure was not kept: asked again
    assert all(isinstance(patch["advisories"], Known) for patch in answered.values())
    other = ReplayServer().start()
    try:
        monkeypatch.setenv("SUPPLYCHAIN_OSV_URL", other.url + "/")
        other.handlers.append(lambda method, path, body: Reply(500, b"oops"))
        elsewhere = run(tmp_path, clock, cache_dir=cache)
    finally:
        other.stop()
    assert other.requests  # asked, not answered from the first OSV's kept answers
    assert all(isinstance(patch["advisories"], Unknown) for patch in elsewhere.values())


def test_records_are_fetched_together_not_sixteen_at_a_time(
    tmp_path: Path, clock: FixedClock, server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the batch, records are asked together (up to PARALLEL), beyond the door's per-host limit.

    Each record request waits (at most 5 s) until more than the per-host limit are in flight: with
    the records asked together that happens at once; limited to 4 at a time it never does. No
    timing is asserted, only how many were in flight together.
    """
    import threading

    from supplychain.sources.osv import PARALLEL

    install_osv_api(server, monkeypatch)
    together = threading.Condition()
    in_flight = [0, 0]  # now, most at once

    def held_record(method: str, path: str, body: bytes) -> None:
        if path.startswith("/v1/vulns/"):
            with together:
                in_flight[0] += 1
                in_flight[1] = max(in_flight)
                together.notify_all()
                together.wait_for(lambda: in_flight[1] > 4, timeout=5.0)
                in_flight[0] -= 1

    server.handlers.insert(0, held_record)
    patches = run(tmp_path, clock, per_host=4)
    records = sum(1 for _method, path in server.requests if path.startswith("/v1/vulns/"))
    assert 4 < records <= PARALLEL
    assert in_flight[1] > 4
    assert all(isinstance(patch["advisories"], Known) for patch in patches.values())


def test_the_parsed_version_caches_are_dropped_once_the_advisories_are_matched(
    tmp_path: Path, clock: FixedClock
) -> None:
    """They held the records' version lists and parsed sets (~12 MB for 1,000 packages) through
    the rest of the run, past the first online run's memory peak."""
    from supplychain.sources import osv_ranges

    store = DataStore(tmp_path / "data")
    store.import_path(OSV / "records")
    matched: list[int] = []
    evaluate = osv_ranges.evaluate

    def counting(*args: Any, **kwargs: Any) -> Any:
        matched.append(osv_ranges._parse.cache_info().currsize)
        return evaluate(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("supplychain.sources.osv.evaluate", counting)
        result = run(tmp_path, clock, offline=True)
    pyyaml = next(patch for ref, patch in result.items() if ref.name == "pyyaml")
    assert "GHSA-8q59-q68h-6hv4" in {a.id for a in advisories(pyyaml).value}  # type: ignore[attr-defined]
    assert max(matched) > 0  # the caches were used while matching
    assert osv_ranges._parse.cache_info().currsize == 0
    assert osv_ranges._listed.cache_info().currsize == 0
    assert osv_ranges._listed_set.cache_info().currsize == 0
