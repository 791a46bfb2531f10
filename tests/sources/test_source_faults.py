"""Every network fault on every PyPI fact source ends as Unknown with a reason: no crash, no fake value."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path

import pytest
from packaging.utils import NormalizedName

from supplychain.clock import FixedClock
from supplychain.model import Known, PackageFacts, PackageRef, Provenance, Publisher, Unknown
from supplychain.net.http import Http, HttpSettings
from supplychain.resolve.graph import DependencyGraph
from supplychain.sources.enrich import collect_facts
from tests.sources.pypi_support import (
    PYPI_FIXTURES,
    by_name,
    config_for,
    context_for,
    package,
    point_endpoints,
    run_with,
    serve_pep740_page,
)
from tests.support.server import ReplayServer, Reply

# source id -> (path prefix it fetches for six 1.17.0, facts it owns that a fault must turn Unknown)
TARGETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pypi": ("/pypi/six/json", ("maintainers", "organization", "release_count", "yanked", "license")),
    "simple": ("/simple/six/", ("project_status", "has_wheel")),
    "integrity": ("/integrity/six/1.17.0/", ("provenance",)),
    "popularity": ("/pypistats/api/packages/six/recent", ("downloads_30d",)),
}
# Hand-made, in the documented shapes (pypistats API docs; PEP 740 provenance object).
PYPISTATS_SIX = {
    "data": {"last_day": 1, "last_month": 123456, "last_week": 7},
    "package": "six",
    "type": "recent_downloads",
}
PROVENANCE = {
    "version": 1,
    "attestation_bundles": [
        {
            "publisher": {
                "kind": "GitHub",
                "repository": "benjaminp/six",
                "workflow": "publish.yml",
                "environment": "pypi",
            },
            "attestations": [],
        }
    ],
}
WRONG_SHAPE: dict[str, bytes] = {
    "pypi": json.dumps({"ownership": "benjaminp", "releases": [], "info": "six"}).encode(),
    "simple": json.dumps({"meta": {"api-version": "1.1"}, "files": {"six-1.17.0.tar.gz": {}}}).encode(),
    "integrity": json.dumps({"attestation_bundles": "GitHub"}).encode(),
    "popularity": json.dumps({"data": {"last_month": "lots"}}).encode(),
}
FAULTS = ["persistent-500", "slow", "truncated", "malformed", "wrong-shape", "oversized", "403"]


SIX_FILES = {  # sha256 as the recorded page lists them
    "six-1.17.0-py2.py3-none-any.whl": "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274",
    "six-1.17.0.tar.gz": "ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81",
}


def collect(
    server: ReplayServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    clock: FixedClock,
    source: str,
    settings: HttpSettings,
    provenance: Mapping[str, object] | None = None,
) -> PackageFacts:
    server.mount("/", PYPI_FIXTURES)
    if source == "integrity":  # the recorded page predates PEP 740: serve one that links provenance
        given = provenance or {}
        files = {
            name: (digest, given.get(name, f"{server.url}/integrity/six/1.17.0/{name}/provenance"))
            for name, digest in SIX_FILES.items()
        }
        serve_pep740_page(server, "six", files)
    point_endpoints(monkeypatch, server)
    monkeypatch.setattr("supplychain.sources.popularity.load_top_packages", lambda _dir: None)
    graph = DependencyGraph()
    graph.add_package(package("six", "1.17.0"))
    config = config_for(tmp_path)
    facts = run_with(
        settings, lambda http: collect_facts(graph, context_for(http, config, clock), sources=[source])
    )
    return by_name(facts)["six"]


def inject(server: ReplayServer, prefix: str, reply: Callable[[int], Reply | None]) -> list[int]:
    calls: list[int] = []

    def handler(method: str, path: str, body: bytes) -> Reply | None:
        if not path.startswith(prefix):
            return None
        calls.append(1)
        return reply(len(calls))

    server.handlers.append(handler)
    return calls


def fault_reply(fault: str, source: str) -> Reply:
    if fault == "persistent-500":
        return Reply(500, b"oops")
    if fault == "403":
        return Reply(403, b"forbidden")
    if fault == "slow":
        return Reply(200, b"{}", delay=1.0)
    if fault == "truncated":
        return Reply(200, b'{"info": ', {"Content-Length": "400", "Connection": "close"})
    if fault == "malformed":
        return Reply(200, b'{"info": nope', {"Content-Type": "application/json"})
    if fault == "wrong-shape":
        return Reply(200, WRONG_SHAPE[source], {"Content-Type": "application/json"})
    if fault == "oversized":
        return Reply(200, b"[" + b"0," * 200_000 + b"0]", {"Content-Type": "application/json"})
    raise AssertionError(fault)


EXPECTED_REASON = {
    "persistent-500": "HTTP 500 after",
    "403": "HTTP 403",
    "slow": "timed out",
    "truncated": "truncated",
    "malformed": "not valid JSON",
    "wrong-shape": "",  # checked per source below
    "oversized": "exceeds",
}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("source", sorted(TARGETS))
def test_fault_gives_unknown_with_reason(
    fault: str,
    source: str,
    server: ReplayServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    prefix, facts_owned = TARGETS[source]
    calls = inject(server, prefix, lambda _n: fault_reply(fault, source))
    settings = HttpSettings(timeout=0.3 if fault == "slow" else 5, max_bytes=300_000)
    facts = collect(server, monkeypatch, tmp_path, clock, source, settings)
    assert calls, "the fault was never reached"
    for name in facts_owned:
        signal = getattr(facts, name)
        assert isinstance(signal, Unknown), (name, signal)
        assert signal.source in {source, "supplychain"} or signal.source.startswith(source)
        assert EXPECTED_REASON[fault] in signal.reason, (name, signal.reason)
        assert signal.reason != "not collected"
    if fault == "persistent-500":
        assert len(calls) >= 3  # retried (the test profile allows 3 attempts) before giving up per file


def test_wrong_shape_reasons_name_the_field(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    inject(server, "/pypi/six/json", lambda _n: Reply(200, WRONG_SHAPE["pypi"]))
    facts = collect(server, monkeypatch, tmp_path, clock, "pypi", HttpSettings(timeout=5))
    assert facts.maintainers == Unknown(reason="PyPI JSON: ownership is str, expected dict", source="pypi")
    assert facts.release_count == Unknown(reason="PyPI JSON: releases is list, expected dict", source="pypi")


@pytest.mark.parametrize(
    ("source", "recorded", "content_type"),
    [
        ("pypi", "pypi/six/json", "application/json"),
        ("simple", "simple/six/index.json", "application/vnd.pypi.simple.v1+json"),
    ],
)
def test_a_recorded_answer_cut_inside_its_file_list_gives_unknown_not_the_files_before_the_cut(
    source: str,
    recorded: str,
    content_type: str,
    server: ReplayServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    """The parsers read these answers one file entry at a time: a complete HTTP body whose JSON
    stops after this version's files must not pass for a page or history that ends there."""
    prefix, facts_owned = TARGETS[source]
    text = (PYPI_FIXTURES / recorded).read_text()
    cut = text.index("six-1.17.0", text.index("six-1.17.0") + 1) + 200  # inside the file list
    calls = inject(server, prefix, lambda _n: Reply(200, text[:cut].encode(), {"Content-Type": content_type}))
    facts = collect(server, monkeypatch, tmp_path, clock, source, HttpSettings(timeout=5))
    assert calls
    for name in facts_owned:
        signal = getattr(facts, name)
        assert isinstance(signal, Unknown), (name, signal)
        assert "response is not valid JSON" in signal.reason, (name, signal.reason)


def test_absent_ownership_is_unknown_not_zero(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    document = json.loads((PYPI_FIXTURES / "pypi" / "six" / "json").read_text())
    del document["ownership"]
    inject(server, "/pypi/six/json", lambda _n: Reply(200, json.dumps(document).encode()))
    facts = collect(server, monkeypatch, tmp_path, clock, "pypi", HttpSettings(timeout=5))
    assert facts.maintainers == Unknown(reason="PyPI JSON: PyPI did not report ownership", source="pypi")
    assert isinstance(facts.organization, Unknown)
    assert isinstance(facts.release_count, Known)  # the rest of the document still counts


@pytest.mark.parametrize("source", sorted(TARGETS))
def test_429_with_retry_after_then_success(
    source: str, server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    prefix, facts_owned = TARGETS[source]
    success = {
        "popularity": Reply(200, json.dumps(PYPISTATS_SIX).encode()),
        "integrity": Reply(200, json.dumps(PROVENANCE).encode()),
    }.get(source)
    calls = inject(
        server, prefix, lambda n: Reply(429, b"slow down", {"Retry-After": "0"}) if n == 1 else success
    )
    facts = collect(server, monkeypatch, tmp_path, clock, source, HttpSettings(timeout=5))
    assert len(calls) >= 2
    for name in facts_owned:
        if source == "simple" and name == "project_status":
            continue  # the recorded page is API 1.1: status is honestly unknown either way
        assert isinstance(getattr(facts, name), Known), (name, getattr(facts, name))
    if source == "popularity":
        assert facts.downloads_30d == Known(value=123456, source="pypistats", fetched_at=clock.now())


def test_attested_file_publishers(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    inject(server, "/integrity/six/1.17.0/", lambda _n: Reply(200, json.dumps(PROVENANCE).encode()))
    facts = collect(server, monkeypatch, tmp_path, clock, "integrity", HttpSettings(timeout=5))
    publisher = Publisher(
        kind="GitHub", repository="benjaminp/six", workflow="publish.yml", environment="pypi"
    )
    empty = "an attestation bundle holds no attestation"  # a bundle without attestations proves nothing
    assert facts.provenance == Known(
        value=Provenance(
            attested=True,
            publishers=(publisher,),
            files_checked=2,
            problems=tuple(f"{name}: {empty}" for name in sorted(SIX_FILES)),
        ),
        source="integrity",
        fetched_at=clock.now(),
    )
    assert publisher.identity == "github:benjaminp/six"


def test_one_file_unattested_means_not_attested(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    inject(
        server,
        "/integrity/six/1.17.0/six-1.17.0-py2.py3-none-any.whl/",
        lambda _n: Reply(200, json.dumps(PROVENANCE).encode()),
    )
    none = {"six-1.17.0.tar.gz": None}  # the index states the sdist has no provenance
    facts = collect(server, monkeypatch, tmp_path, clock, "integrity", HttpSettings(timeout=5), none)
    provenance = facts.provenance
    assert isinstance(provenance, Known)
    assert provenance.value.attested is False
    assert provenance.value.files_checked == 2
    assert [p.repository for p in provenance.value.publishers] == ["benjaminp/six"]


def test_unreachable_pypistats_is_asked_once_then_the_dataset_answers(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    from tests.sources.pypi_support import recorded_top_packages

    monkeypatch.setenv("SUPPLYCHAIN_PYPISTATS_URL", "http://127.0.0.1:9/")  # discard port: refused
    monkeypatch.setattr("supplychain.sources.popularity.load_top_packages", recorded_top_packages)
    monkeypatch.setenv("SUPPLYCHAIN_PYPI_URL", server.url + "/")
    graph = DependencyGraph()
    for name, version in [
        ("six", "1.17.0"),
        ("idna", "3.10"),
        ("pycrypto", "2.6.1"),
        ("readychars", "0.0.1"),
    ]:
        graph.add_package(package(name, version))
    attempts: list[str] = []
    import supplychain.net.http as door

    real_send = door.Http._send

    async def counting_send(self: door.Http, method: str, raw: str, *args: object) -> object:
        attempts.append(raw)
        return await real_send(self, method, raw, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(door.Http, "_send", counting_send)
    config = config_for(tmp_path)
    facts = by_name(
        run_with(
            HttpSettings(timeout=2),
            lambda http: collect_facts(graph, context_for(http, config, clock), sources=["popularity"]),
        )
    )
    assert len(set(attempts)) == 1  # one package probed (with its retries), no more
    assert isinstance(facts["six"].downloads_30d, Known)
    assert facts["six"].downloads_30d.source.startswith(
        "top-pypi-packages (hugovk/top-pypi-packages, as of 2026-04-01"
    )
    unknown = facts["readychars"].downloads_30d
    assert isinstance(unknown, Unknown)
    assert "connection failed" in unknown.reason
    assert "not among the dataset's top packages" in unknown.reason


def test_a_name_absent_from_a_complete_top_list_has_the_cutoff_as_upper_bound(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    """The last three rows of the real 2026-04-01 snapshot, as a complete top-3 list."""
    from supplychain.sources.datastore import TopPackages

    top = TopPackages(
        as_of=clock.now(),
        source="ClickHouse",
        downloads={NormalizedName("a"): 57_491, NormalizedName("six"): 57_488, NormalizedName("c"): 57_487},
        ranks={NormalizedName("a"): 1, NormalizedName("six"): 2, NormalizedName("c"): 3},
    )
    monkeypatch.setenv("SUPPLYCHAIN_PYPISTATS_URL", "http://127.0.0.1:9/")  # discard port: refused
    monkeypatch.setattr("supplychain.sources.popularity.load_top_packages", lambda _dir: top)
    graph = DependencyGraph()
    graph.add_package(package("six", "1.17.0"))
    graph.add_package(package("readychars", "0.0.1"))
    facts = by_name(
        run_with(
            HttpSettings(timeout=2),
            lambda http: collect_facts(
                graph, context_for(http, config_for(tmp_path), clock), sources=["popularity"]
            ),
        )
    )
    bound = facts["readychars"].downloads_30d_at_most
    assert isinstance(bound, Known)
    assert bound.value == 57_487
    assert "not in the top 3 (cut-off 57,487 downloads/30d)" in bound.source
    assert isinstance(facts["readychars"].downloads_30d, Unknown)  # a bound is not a count
    in_list = facts["six"].downloads_30d_at_most
    assert isinstance(in_list, Known)
    assert in_list.value is None


def test_pypistats_still_throttling_after_retries_is_not_asked_for_every_package(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    calls = inject(server, "/pypistats/", lambda _n: Reply(429, b"slow down", {"Retry-After": "0"}))
    point_endpoints(monkeypatch, server)
    monkeypatch.setattr("supplychain.sources.popularity.load_top_packages", lambda _dir: None)
    graph = DependencyGraph()
    for name, version in [("six", "1.17.0"), ("idna", "3.10"), ("attrs", "25.3.0")]:
        graph.add_package(package(name, version))
    config = config_for(tmp_path)
    facts = by_name(
        run_with(
            HttpSettings(timeout=5),
            lambda http: collect_facts(graph, context_for(http, config, clock), sources=["popularity"]),
        )
    )
    assert len(calls) == 3  # one package's attempts (3 in the test profile), then no more
    for name in ("six", "idna", "attrs"):
        signal = facts[name].downloads_30d
        assert isinstance(signal, Unknown)
        assert "HTTP 429 after" in signal.reason
    names = ("attrs", "idna", "six")
    probed = next(n for n in names if f"/packages/{n}/recent" in str(facts[n].downloads_30d))
    for name in {"six", "idna", "attrs"} - {probed}:
        reason = str(facts[name].downloads_30d)
        assert "not asked, the service failed earlier in this run" in reason  # not blamed on itself


def test_a_failed_service_is_quoted_once_not_nested_per_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    """Each "not asked" quotes the original failure; nesting grew reasons to 6,721 characters."""
    monkeypatch.setenv("SUPPLYCHAIN_PYPISTATS_URL", "http://127.0.0.1:9/")  # discard port: refused
    monkeypatch.setattr("supplychain.sources.popularity.load_top_packages", lambda _dir: None)
    graph = DependencyGraph()
    for number in range(50):
        graph.add_package(package(f"pkg{number:02d}", "1.0"))
    config = config_for(tmp_path)
    facts = by_name(
        run_with(
            HttpSettings(timeout=2),
            lambda http: collect_facts(graph, context_for(http, config, clock), sources=["popularity"]),
        )
    )
    reasons = []
    for name in sorted(facts):
        signal = facts[name].downloads_30d
        assert isinstance(signal, Unknown)
        reasons.append(signal.reason)
    probed = [r for r in reasons if "not asked" not in r]
    assert len(probed) == 1
    assert "connection failed" in probed[0]
    others = {r for r in reasons if "not asked" in r}
    assert len(others) == 1  # the 49 others give one identical, bounded reason
    (other,) = others
    assert other.count("not asked") == 1
    assert len(other) < 2 * len(probed[0])


def test_pypistats_answers_and_its_404s_are_kept_so_a_warm_run_asks_nothing(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    """A count and a 'no figures' (404) are answers; a 500 is not, and is asked again next run."""
    from supplychain.sources.popularity import NO_STATS, STATS_FRESH_FOR

    def answer(method: str, path: str, body: bytes) -> Reply | None:
        if path == "/pypistats/api/packages/six/recent":
            return Reply(200, json.dumps(PYPISTATS_SIX).encode(), {"Content-Type": "application/json"})
        if path == "/pypistats/api/packages/readychars/recent":
            return Reply(404, b'{"message": "Not Found"}')
        return Reply(500, b"oops") if path.startswith("/pypistats/") else None

    server.handlers.append(answer)
    point_endpoints(monkeypatch, server)
    monkeypatch.setattr("supplychain.sources.popularity.load_top_packages", lambda _dir: None)
    graph = DependencyGraph()
    for name, version in [("six", "1.17.0"), ("readychars", "0.0.1"), ("idna", "3.10")]:
        graph.add_package(package(name, version))
    config = config_for(tmp_path, cache_dir=tmp_path / "cache")

    def audit(at: FixedClock) -> dict[str, PackageFacts]:
        return by_name(
            run_with(
                HttpSettings(timeout=5),
                lambda http: collect_facts(graph, context_for(http, config, at), sources=["popularity"]),
            )
        )

    def asked() -> list[str]:
        return [path for _method, path in server.requests if path.startswith("/pypistats/")]

    first = audit(clock)
    assert first["six"].downloads_30d == Known(value=123456, source="pypistats", fetched_at=clock.now())
    none = first["readychars"].downloads_30d
    assert isinstance(none, Unknown)
    assert NO_STATS in none.reason
    assert isinstance(first["idna"].downloads_30d, Unknown)
    before = len(asked())
    second = audit(FixedClock(clock.now() + STATS_FRESH_FOR - timedelta(minutes=1)))
    assert [path.split("/")[4] for path in asked()[before:]] == ["idna"] * (len(asked()) - before)
    assert asked()[before:]  # the 500 was not kept: idna asked again, six and readychars not
    assert second["six"].downloads_30d == first["six"].downloads_30d  # fetched_at: the first answer's
    assert second["readychars"].downloads_30d == first["readychars"].downloads_30d
    before = len(asked())
    audit(FixedClock(clock.now() + STATS_FRESH_FOR + timedelta(minutes=1)))
    assert {path.split("/")[4] for path in asked()[before:]} == {"six", "readychars", "idna"}
    # Offline, years later: the kept answers stand, and nothing is asked (not even the HTTP cache).
    offline = config_for(tmp_path, cache_dir=tmp_path / "cache", offline=True)
    before, sent = len(asked()), []
    later = FixedClock(clock.now() + timedelta(days=900))

    async def job(http: Http) -> dict[PackageRef, PackageFacts]:
        facts = await collect_facts(graph, context_for(http, offline, later), sources=["popularity"])
        sent.append(http.requests_sent)
        return facts

    kept = by_name(run_with(HttpSettings(timeout=5, offline=True), job))
    assert len(asked()) == before
    assert sent == [0]
    count = kept["six"].downloads_30d
    assert isinstance(count, Known)
    assert count.value == 123456
    assert count.fetched_at == clock.now() + STATS_FRESH_FOR + timedelta(minutes=1)  # the last answer's
    assert kept["readychars"].downloads_30d == first["readychars"].downloads_30d
    missing = kept["idna"].downloads_30d
    assert isinstance(missing, Unknown)
    assert "not asked (--offline)" in missing.reason
