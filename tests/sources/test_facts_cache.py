"""The facts cache: warm runs skip the network, failures are never remembered, bad entries are misses."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supplychain.clock import FixedClock
from supplychain.endpoints import Endpoints
from supplychain.model import (
    IndexOffer,
    Known,
    Maintainer,
    PackageFacts,
    Provenance,
    Publisher,
    Role,
    Signal,
    Unknown,
    Yank,
)
from supplychain.net.http import HttpSettings
from supplychain.resolve.graph import ROOT, DependencyGraph, Edge
from supplychain.sources.enrich import collect_facts
from supplychain.sources.facts_cache import FRESH_FOR, FactsCache, decode, encode, entry_key
from tests.sources.pypi_support import (
    PYPI_FIXTURES,
    config_for,
    context_for,
    package,
    point_endpoints,
    recorded_top_packages,
    run_with,
)
from tests.support.server import ReplayServer, Reply

PINS = [("requests", "2.25.1"), ("six", "1.17.0"), ("sigstore", "3.6.0"), ("pil", "1.1.6")]
CACHED = ["pypi", "simple", "integrity"]
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def replay(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> ReplayServer:
    server.mount("/", PYPI_FIXTURES)
    point_endpoints(monkeypatch, server)
    monkeypatch.setattr("supplychain.sources.popularity.load_top_packages", recorded_top_packages)
    return server


def audit_facts(
    tmp_path: Path,
    when: datetime = NOW,
    *,
    offline: bool = False,
    http_cache: bool = False,
    **overrides: object,
) -> dict[str, PackageFacts]:
    graph = DependencyGraph()
    for name, version in PINS:
        graph.add_package(package(name, version))
        graph.add_edge(ROOT, name, Edge(specifier=f"=={version}"))
    config = config_for(tmp_path, cache_dir=tmp_path / "cache", offline=offline, **overrides)
    # No HTTP cache underneath: every miss of the facts cache shows up as a request.
    settings = HttpSettings(
        timeout=5, attempts=1, offline=config.offline, cache_dir=tmp_path / "http" if http_cache else None
    )
    facts = run_with(
        settings,
        lambda http: collect_facts(graph, context_for(http, config, FixedClock(when)), sources=CACHED),
    )
    return {ref.name: found for ref, found in facts.items()}  # one version of each name here


def fetched(server: ReplayServer) -> list[str]:
    return [path for _method, path in server.requests]


def test_a_warm_run_answers_from_the_cache_with_the_same_facts(replay: ReplayServer, tmp_path: Path) -> None:
    cold = audit_facts(tmp_path)
    assert fetched(replay), "the cold run must fetch"
    replay.requests.clear()
    warm = audit_facts(tmp_path, NOW + timedelta(minutes=5))
    assert fetched(replay) == ["/simple/pil/"]  # a 404 is asked again: the index may gain it
    # fetched_at included: cached facts keep the time they were learned
    assert {n: f for n, f in warm.items() if n != "pil"} == {n: f for n, f in cold.items() if n != "pil"}
    assert warm["pil"].maintainers == cold["pil"].maintainers
    assert isinstance(warm["six"].maintainers, Known)


def test_a_warm_run_reads_the_whole_environment_in_one_query(
    replay: ReplayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit_facts(tmp_path)
    statements: list[str] = []
    real_connect = sqlite3.connect

    def connect(*args: object, **kwargs: object) -> sqlite3.Connection:
        db = real_connect(*args, **kwargs)  # type: ignore[arg-type]
        db.set_trace_callback(statements.append)
        return db

    monkeypatch.setattr("supplychain.sources.facts_cache.sqlite3.connect", connect)
    warm = audit_facts(tmp_path, NOW + timedelta(minutes=5))
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, statements  # was one connection and query per cached source
    assert isinstance(warm["six"].maintainers, Known)
    assert isinstance(warm["six"].has_wheel, Known)


def test_stale_entries_are_fetched_again_online_and_used_offline(
    replay: ReplayServer, tmp_path: Path
) -> None:
    cold = audit_facts(tmp_path)
    later = NOW + FRESH_FOR + timedelta(seconds=1)
    replay.requests.clear()
    offline = audit_facts(tmp_path, later, offline=True)
    assert fetched(replay) == []
    assert offline["six"] == cold["six"]
    online = audit_facts(tmp_path, later)
    assert "/pypi/six/json" in fetched(replay)
    assert isinstance(online["six"].maintainers, Known)
    assert online["six"].maintainers.fetched_at == later


def test_a_failed_fetch_is_never_remembered(replay: ReplayServer, tmp_path: Path) -> None:
    def broken(method: str, path: str, body: bytes) -> Reply | None:
        return Reply(status=503) if path == "/pypi/six/json" else None

    replay.handlers.append(broken)
    failed = audit_facts(tmp_path)
    assert isinstance(failed["six"].maintainers, Unknown)
    replay.handlers.remove(broken)
    replay.requests.clear()
    healed = audit_facts(tmp_path, NOW + timedelta(minutes=1))
    assert fetched(replay).count("/pypi/six/json") == 1
    assert isinstance(healed["six"].maintainers, Known)
    assert "/pypi/requests/json" not in fetched(replay)  # the healthy ones came from the cache


def test_offline_miss_is_unknown_not_remembered(replay: ReplayServer, tmp_path: Path) -> None:
    facts = audit_facts(tmp_path, offline=True)
    assert isinstance(facts["six"].maintainers, Unknown)
    assert "offline" in facts["six"].maintainers.reason
    online = audit_facts(tmp_path)
    assert isinstance(online["six"].maintainers, Known)


def test_a_settled_unknown_is_remembered_with_its_reason(replay: ReplayServer, tmp_path: Path) -> None:
    cold = audit_facts(tmp_path)
    status = cold["six"].project_status
    assert isinstance(status, Unknown)  # the recorded index speaks Simple API 1.1: no PEP 792 status
    assert status.settled
    replay.requests.clear()
    warm = audit_facts(tmp_path, NOW + timedelta(minutes=1))
    assert "/simple/six/" not in fetched(replay)
    assert warm["six"].project_status == status


def test_a_corrupt_cache_file_is_a_miss(replay: ReplayServer, tmp_path: Path) -> None:
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "facts-cache.sqlite").write_bytes(b"not a database\x00" * 100)
    facts = audit_facts(tmp_path)
    assert isinstance(facts["six"].maintainers, Known)


def test_an_entry_of_the_wrong_type_is_a_miss(replay: ReplayServer, tmp_path: Path) -> None:
    cold = audit_facts(tmp_path)
    with sqlite3.connect(tmp_path / "cache" / "facts-cache.sqlite") as db:
        # a count that is text, and a Known without its time: both must be refused on read
        db.execute('UPDATE facts SET body = replace(body, \'"value":12\', \'"value":"12"\')')
        db.execute("UPDATE facts SET body = replace(body, '\"fetched_at\"', '\"fetched\"')")
    replay.requests.clear()
    later = NOW + timedelta(minutes=1)
    warm = audit_facts(tmp_path, later)
    assert "/pypi/six/json" in fetched(replay)
    count = warm["six"].release_count
    assert isinstance(count, Known)
    assert count.fetched_at == later  # learned again, not read back
    assert count == Known(value=value_of(cold["six"].release_count), source="pypi", fetched_at=later)


def value_of(signal: Signal[object]) -> object:
    assert isinstance(signal, Known), signal
    return signal.value


def test_entries_are_keyed_on_the_endpoints_and_hold_no_credentials(
    replay: ReplayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit_facts(tmp_path)
    monkeypatch.setenv("SUPPLYCHAIN_PYPI_URL", replay.url.replace("://", "://alice:s3cr3t-token@") + "/")
    replay.requests.clear()
    audit_facts(tmp_path, endpoints=Endpoints.load())
    assert "/pypi/six/json" in fetched(replay)  # another index identity: not answered by the first
    stored = (tmp_path / "cache" / "facts-cache.sqlite").read_bytes()
    assert b"s3cr3t" not in stored
    assert (tmp_path / "cache" / "facts-cache.sqlite").stat().st_mode & 0o777 == 0o600


def test_a_lock_and_a_requirements_file_share_entries_for_the_same_index(tmp_path: Path) -> None:
    config = config_for(tmp_path, cache_dir=tmp_path / "cache")
    index = config.endpoints.index.reveal()
    from_lock = package("six", "1.17.0", url=index.rstrip("/"))  # uv.lock spells it without the slash
    from_requirements = package("six", "1.17.0")  # no recorded index: the configured one
    other_index = package("six", "1.17.0", url="https://mirror.example/simple/")
    key = lambda p: entry_key("simple", p, "f", config)  # noqa: E731
    assert key(from_lock) == key(from_requirements)
    assert key(other_index) != key(from_requirements)


def test_only_the_endpoints_the_cached_sources_read_are_in_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fingerprint() -> str:
        cache = FactsCache.for_config(config_for(tmp_path, cache_dir=tmp_path, endpoints=Endpoints.load()))
        assert cache is not None
        return cache.fingerprint

    before = fingerprint()
    monkeypatch.setenv("SUPPLYCHAIN_PYPISTATS_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("SUPPLYCHAIN_OSV_URL", "http://127.0.0.1:9/")
    assert fingerprint() == before  # popularity/OSV are not cached: moving them must not void the cache
    monkeypatch.setenv("SUPPLYCHAIN_PYPI_URL", "http://127.0.0.1:9/")
    assert fingerprint() != before


def test_facts_read_from_the_http_cache_keep_the_time_the_server_answered(
    replay: ReplayServer, tmp_path: Path
) -> None:
    answered = datetime.now(UTC)  # the replay server's Date header is the real clock
    audit_facts(tmp_path, http_cache=True)
    (tmp_path / "cache" / "facts-cache.sqlite").unlink()  # e.g. another target: no facts entry
    month_later = NOW + timedelta(days=30)
    facts = audit_facts(tmp_path, month_later, offline=True, http_cache=True)["six"]
    # provenance is Unknown here: the recorded pages (API 1.1) predate PEP 740
    for signal in (facts.maintainers, facts.has_wheel):
        assert isinstance(signal, Known), signal
        assert abs(signal.fetched_at - answered) < timedelta(minutes=5)  # not stamped with the run's day


def test_no_cache_dir_means_no_facts_cache(tmp_path: Path) -> None:
    assert FactsCache.for_config(config_for(tmp_path, cache_dir=None)) is None


def known(value: object) -> Known[object]:
    return Known(value=value, source="pypi", fetched_at=NOW)


def test_every_cached_fact_round_trips() -> None:
    patch: dict[str, Signal[object]] = {
        "maintainers": known(
            (Maintainer(user="a", role=Role.OWNER), Maintainer(user="b", role=Role.MAINTAINER))
        ),
        "organization": known(None),
        "first_release": known(NOW - timedelta(days=900)),
        "release_count": known(12),
        "upload_time": known(NOW - timedelta(days=3)),
        "latest_release": known(NOW),
        "latest_version": known("2.0"),
        "release_gap_days": known(None),
        "yanked": known(Yank(yanked=True, reason="broken")),
        "source_repository": known("https://github.com/o/r"),
        "license": known("MIT"),
        "summary": known(None),
        "project_status": Unknown(reason="Simple API: too old", source="simple", settled=True),
        "has_wheel": known(False),
        "index": known("https://pypi.org/simple/"),
        "index_offers": known(
            (
                IndexOffer(index="https://pkgs.corp.example/simple/", versions=("1.0", "2.0")),
                IndexOffer(index="https://pypi.org/simple/", versions=("99.0",)),
            )
        ),
        "provenance": known(
            Provenance(
                attested=True,
                publishers=(Publisher(kind="GitHub", repository="o/r", workflow="release.yml"),),
                files_checked=2,
            )
        ),
    }
    body = encode(patch)
    assert body is not None
    assert decode(body) == patch
    restored = decode(body)
    assert restored is not None
    status = restored["project_status"]
    assert isinstance(status, Unknown)
    assert status.settled


def test_a_patch_with_a_failed_fetch_or_an_uncached_fact_is_not_encoded() -> None:
    assert encode({"license": Unknown(reason="HTTP 503", source="pypi")}) is None
    assert encode({"popularity_rank": known(5)}) is None


def test_the_index_hashes_of_a_simple_patch_are_cached_and_read_back() -> None:
    """Without a decoder for the new fact, no Simple API patch would ever be stored again."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    hashes = ("sha256:" + "a" * 64, "sha256:" + "b" * 64)
    patch = {
        "index_hashes": Known(value=hashes, source="simple", fetched_at=at),
        "has_wheel": Known(value=True, source="simple", fetched_at=at),
    }
    text = encode(patch)
    assert text is not None
    assert decode(text) == patch


def test_derived_facts_are_recalled_stamped_now_and_pruned_after_a_month_alone(tmp_path: Path) -> None:
    from supplychain.sources.facts_cache import DERIVED_KEEP_FOR, derived_key

    cache = FactsCache.for_config(config_for(tmp_path, cache_dir=tmp_path / "cache"))
    assert cache is not None
    then = datetime(2026, 1, 1, tzinfo=UTC)
    patch = {"release_count": Known(value=3, source="pypi", fetched_at=then)}
    key = derived_key("pypi", "ab" * 32, "1.0")
    assert cache.recall(key, then) is None
    cache.remember([(key, patch)], then)
    later = then + timedelta(days=2)
    assert cache.recall(key, later) == {"release_count": Known(value=3, source="pypi", fetched_at=later)}
    assert cache.recall(derived_key("pypi", "ab" * 32, "2.0"), later) is None  # another version
    assert cache.recall(derived_key("pypi", "cd" * 32, "1.0"), later) is None  # other bytes
    cache.store("pypi", [(package("six", "1.17.0"), patch)], then)  # a package's facts: never pruned
    month_on = then + DERIVED_KEEP_FOR + timedelta(days=1)
    cache.remember([(derived_key("pypi", "ef" * 32, "1.0"), patch)], month_on)
    assert cache.recall(key, month_on) is None
    with sqlite3.connect(cache.path) as db:
        assert db.execute("SELECT count(*) FROM facts WHERE key NOT LIKE 'derived:%'").fetchone() == (1,)
