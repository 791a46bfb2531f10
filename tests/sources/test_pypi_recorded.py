"""Facts for a dozen real packages from recorded real PyPI JSON, Simple API and Integrity answers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from supplychain.clock import FixedClock
from supplychain.model import (
    Known,
    Maintainer,
    OriginKind,
    PackageFacts,
    Role,
    Unknown,
    Yank,
)
from supplychain.net.http import HttpSettings
from supplychain.resolve.graph import ROOT, DependencyGraph, Edge
from supplychain.sources.enrich import collect_facts
from tests.sources.pypi_support import (
    PYPI_FIXTURES,
    by_name,
    config_for,
    context_for,
    package,
    point_endpoints,
    recorded_top_packages,
    run_with,
)
from tests.support.server import ReplayServer

PINS = [
    ("requests", "2.25.1"),
    ("urllib3", "2.5.0"),
    ("sigstore", "3.6.0"),
    ("pycrypto", "2.6.1"),
    ("tomli", "2.2.1"),
    ("idna", "3.10"),
    ("six", "1.17.0"),
    ("certifi", "2025.8.3"),
    ("click", "8.1.8"),
    ("attrs", "25.3.0"),
    ("pil", "1.1.6"),
    ("readychars", "0.0.1"),
]
INDEX_SOURCES = ["pypi", "simple", "integrity", "popularity"]


@pytest.fixture
def recorded(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> dict[str, PackageFacts]:
    server.mount("/", PYPI_FIXTURES)
    point_endpoints(monkeypatch, server)
    monkeypatch.setattr("supplychain.sources.popularity.load_top_packages", recorded_top_packages)
    graph = DependencyGraph()
    for name, version in PINS:
        graph.add_package(package(name, version))
        graph.add_edge(ROOT, name, Edge(specifier=f"=={version}"))
    config = config_for(tmp_path)
    facts = run_with(
        HttpSettings(timeout=5),
        lambda http: collect_facts(graph, context_for(http, config, clock), sources=INDEX_SOURCES),
    )
    return by_name(facts)


def value(signal: object) -> object:
    assert isinstance(signal, Known), signal
    return signal.value


def test_popular_package_facts(recorded: dict[str, PackageFacts]) -> None:
    facts = recorded["requests"]
    assert value(facts.maintainers) == (
        Maintainer(user="Lukasa", role=Role.OWNER),
        Maintainer(user="graffatcolmingov", role=Role.OWNER),
        Maintainer(user="nateprewitt", role=Role.OWNER),
    )
    assert value(facts.organization) is None
    assert value(facts.upload_time) == datetime(2020, 12, 16, 19, 22, 28, 848085, tzinfo=UTC) or (
        value(facts.upload_time).date().isoformat() == "2020-12-16"  # type: ignore[attr-defined]
    )
    assert value(facts.first_release).year == 2011  # type: ignore[attr-defined]
    # 2.25.0 on 2020-11-11T20:05Z, 2.25.1 on 2020-12-16T19:38Z: 34 whole days.
    assert value(facts.release_gap_days) == 34
    assert value(facts.yanked) == Yank(yanked=False)
    assert value(facts.has_wheel) is True
    assert value(facts.source_repository) == "https://github.com/psf/requests"
    assert value(facts.license) == "Apache-2.0"
    assert value(facts.summary) == "Python HTTP for Humans."
    assert value(facts.popularity_rank) == 7
    # pypistats is not recorded (unreachable from here): downloads come from the dataset, which says so.
    assert facts.downloads_30d.source.startswith("top-pypi-packages")
    assert value(facts.downloads_30d) == 1291814272
    assert isinstance(facts.index_offers, Unknown)
    assert facts.index_offers.settled  # a public name: no other index asked
    assert value(facts.index).endswith("/simple/")  # type: ignore[union-attr]


def test_release_count_and_latest_ignore_empty_and_yanked_releases(recorded: dict[str, PackageFacts]) -> None:
    facts = recorded["urllib3"]
    # urllib3 0.3-0.4.1 are listed with no files: not releases anyone can install.
    assert "0.3" not in str(value(facts.release_count))
    latest = value(recorded["requests"].latest_version)
    assert latest == "2.34.2"
    assert value(facts.yanked) == Yank(yanked=False)


def test_yanked_version_with_its_reason(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    server.mount("/", PYPI_FIXTURES)
    point_endpoints(monkeypatch, server)
    graph = DependencyGraph()
    graph.add_package(package("requests", "2.32.0"))
    config = config_for(tmp_path)
    facts = by_name(
        run_with(
            HttpSettings(timeout=5),
            lambda http: collect_facts(graph, context_for(http, config, clock), sources=["pypi"]),
        )
    )["requests"]
    assert value(facts.yanked) == Yank(
        yanked=True, reason="Yanked due to conflicts with CVE-2024-35195 mitigation"
    )
    # 2.31.0 was uploaded 2023-05-22T15:12Z, 2.32.0 on 2024-05-20T16:08Z: a 364-day gap.
    assert value(facts.release_gap_days) == 364


def test_indie_single_maintainer(recorded: dict[str, PackageFacts]) -> None:
    assert value(recorded["idna"].maintainers) == (Maintainer(user="kjd", role=Role.OWNER),)
    assert value(recorded["six"].maintainers) == (Maintainer(user="gutworth", role=Role.OWNER),)
    assert value(recorded["tomli"].maintainers) == (
        Maintainer(user="encukou", role=Role.MAINTAINER),
        Maintainer(user="hauntsaninja", role=Role.MAINTAINER),
        Maintainer(user="hukkin", role=Role.OWNER),
    )


def test_organisation_owned_with_no_personal_roles_is_known_empty(recorded: dict[str, PackageFacts]) -> None:
    assert value(recorded["attrs"].organization) == "attrs"
    assert value(recorded["attrs"].maintainers) == ()
    assert value(recorded["click"].organization) == "pallets"
    assert value(recorded["attrs"].license) == "MIT"


def test_sdist_only(recorded: dict[str, PackageFacts]) -> None:
    facts = recorded["pycrypto"]
    assert value(facts.has_wheel) is False
    assert value(facts.license) == "Public domain"
    assert value(facts.source_repository) is None  # www.pycrypto.org is not a forge
    assert value(facts.popularity_rank) == 1390


def test_an_index_without_pep_740_leaves_provenance_unknown(recorded: dict[str, PackageFacts]) -> None:
    # The recorded pages are Simple API 1.1 (before PEP 740) and the sandbox's PyPI answered 404 for
    # every Integrity API URL (statuses.json): that says nothing about attestations. Unknown, not
    # "not attested" (which failed every package of four research environments at SL4).
    for name in ("sigstore", "tomli"):
        signal = recorded[name].provenance
        assert isinstance(signal, Unknown), (name, signal)
        assert "does not serve PEP 740" in signal.reason
    assert value(recorded["sigstore"].organization) == "Sigstore"


def test_project_without_files_gives_unknown_release_history(recorded: dict[str, PackageFacts]) -> None:
    facts = recorded["pil"]
    for fact in ("first_release", "release_count", "upload_time", "latest_version", "yanked"):
        signal = getattr(facts, fact)
        assert isinstance(signal, Unknown), fact
    assert "no release has files" in facts.first_release.reason  # type: ignore[union-attr]
    assert value(facts.maintainers)  # ownership is still reported
    assert value(facts.popularity_rank) is None  # dataset present, name not in it


def test_removed_malicious_name(recorded: dict[str, PackageFacts]) -> None:
    facts = recorded["readychars"]
    assert facts.maintainers == Unknown(reason="not found on PyPI", source="pypi")
    assert facts.yanked == Unknown(reason="not found on PyPI", source="pypi")
    assert facts.index_offers.reason == "not an internal name: other indexes not asked"  # type: ignore[union-attr]
    assert isinstance(facts.has_wheel, Unknown)
    assert "not found" in facts.has_wheel.reason
    assert isinstance(facts.downloads_30d, Unknown)
    assert value(facts.popularity_rank) is None


def test_project_status_unknown_when_index_api_predates_pep_792(recorded: dict[str, PackageFacts]) -> None:
    status = recorded["requests"].project_status
    assert status == Unknown(
        reason="Simple API: index API version 1.1 does not report project status", source="simple"
    )


def test_archived_project_status(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    server.routes["/simple/pil/"] = __import__("tests.support.server", fromlist=["Reply"]).Reply(
        200,
        (PYPI_FIXTURES / "quoted" / "simple-pil.json").read_bytes(),
        {"Content-Type": "application/vnd.pypi.simple.v1+json"},
    )
    point_endpoints(monkeypatch, server)
    graph = DependencyGraph()
    graph.add_package(package("pil", "1.1.6"))
    facts = by_name(
        run_with(
            HttpSettings(timeout=5),
            lambda http: collect_facts(
                graph, context_for(http, config_for(tmp_path), clock), sources=["simple"]
            ),
        )
    )["pil"]
    assert value(facts.project_status) == "archived"
    assert isinstance(facts.has_wheel, Unknown)  # archived with no files for 1.1.6


def test_one_simple_page_fetch_serves_simple_and_integrity(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    server.mount("/", PYPI_FIXTURES)
    point_endpoints(monkeypatch, server)
    graph = DependencyGraph()
    graph.add_package(package("six", "1.17.0"))
    run_with(
        HttpSettings(timeout=5),
        lambda http: collect_facts(
            graph, context_for(http, config_for(tmp_path), clock), sources=["simple", "integrity"]
        ),
    )
    assert [path for _m, path in server.requests].count("/simple/six/") == 1


def test_non_index_packages_are_not_looked_up(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    server.mount("/", PYPI_FIXTURES)
    point_endpoints(monkeypatch, server)
    graph = DependencyGraph()
    graph.add_package(
        package("requests", "2.25.1", OriginKind.VCS, "git+https://example.invalid/psf/requests")
    )
    facts = by_name(
        run_with(
            HttpSettings(timeout=5),
            lambda http: collect_facts(
                graph, context_for(http, config_for(tmp_path), clock), sources=INDEX_SOURCES
            ),
        )
    )["requests"]
    assert server.requests == []
    assert facts.maintainers == Unknown(reason="not on an index (vcs)", source="pypi")
    assert facts.provenance == Unknown(reason="not on an index (vcs)", source="integrity")
