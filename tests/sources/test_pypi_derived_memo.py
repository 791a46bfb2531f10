"""Facts derived from a PyPI JSON document are kept by the SHA-256 of its bytes: a document fetched
again byte-identical is not parsed again, and gives the same facts stamped with the new fetch."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

import supplychain.net.pypi_json as pypi_parser
import supplychain.sources.pypi_json as pypi_source
from supplychain.clock import FixedClock
from supplychain.model import Known, PackageFacts, PackageRef
from supplychain.net.http import HttpSettings
from supplychain.resolve.graph import ROOT, DependencyGraph, Edge
from supplychain.sources.enrich import collect_facts
from supplychain.sources.facts_cache import code_digest
from tests.sources.pypi_support import (
    PYPI_FIXTURES,
    config_for,
    context_for,
    package,
    point_endpoints,
    run_with,
)
from tests.support.server import ReplayServer, Reply

PINS = [("requests", "2.25.1"), ("six", "1.17.0"), ("urllib3", "2.5.0")]


@pytest.fixture
def served(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> ReplayServer:
    """The recorded PyPI answers on loopback, every endpoint pointed at them."""
    server.mount("/", PYPI_FIXTURES)
    point_endpoints(monkeypatch, server)
    return server


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URL of every PyPI document the source parses."""
    seen: list[str] = []
    real = pypi_parser.parse_text

    def counted(text: str, url: str) -> object:
        seen.append(url)
        return real(text, url)

    monkeypatch.setattr(pypi_parser, "parse_text", counted)
    return seen


def audit(tmp_path: Path, clock: FixedClock) -> dict[PackageRef, PackageFacts]:
    graph = DependencyGraph()
    for name, version in PINS:
        graph.add_package(package(name, version))
        graph.add_edge(ROOT, name, Edge(specifier=f"=={version}"))
    config = config_for(tmp_path, cache_dir=tmp_path / "cache")
    return run_with(
        HttpSettings(timeout=5),
        lambda http: collect_facts(graph, context_for(http, config, clock), sources=["pypi"]),
    )


def without_times(facts: dict[PackageRef, PackageFacts]) -> dict[str, object]:
    """Every fact the pypi source gave, by package and fact, without when it was learned."""
    found: dict[str, object] = {}
    for ref, known in facts.items():
        for fact in pypi_source.FACTS:
            signal = getattr(known, fact)
            assert signal.source == "pypi", (ref, fact, signal)
            found[f"{ref} {fact}"] = signal.value if isinstance(signal, Known) else signal
    return found


def test_an_identical_document_is_not_parsed_again_once_its_facts_are_stale(
    served: ReplayServer, tmp_path: Path, clock: FixedClock, parses: list[str]
) -> None:
    first = audit(tmp_path, clock)
    assert len(parses) == len(PINS)
    later = FixedClock(clock.now() + timedelta(days=1))  # the facts cache's 10 minutes are long gone
    again = audit(tmp_path, later)
    assert len(parses) == len(PINS), "a byte-identical document was parsed again"
    assert sum(path.endswith("/json") for _method, path in served.requests) == 2 * len(PINS)
    assert without_times(again) == without_times(first)
    release = again[PackageRef.of("six", "1.17.0")].release_count
    assert isinstance(release, Known)
    assert release.fetched_at == later.now()  # learned now, from the document fetched now


def test_a_changed_document_is_parsed_and_its_facts_follow_it(
    served: ReplayServer, tmp_path: Path, clock: FixedClock, parses: list[str]
) -> None:
    first = audit(tmp_path, clock)
    document = json.loads((PYPI_FIXTURES / "pypi" / "six" / "json").read_bytes())
    dropped = next(
        version for version, files in document["releases"].items() if files and version != "1.17.0"
    )
    del document["releases"][dropped]
    served.routes["/pypi/six/json"] = Reply(
        200, json.dumps(document).encode(), {"Content-Type": "application/json"}
    )
    again = audit(tmp_path, FixedClock(clock.now() + timedelta(days=1)))
    assert parses[len(PINS) :] == [f"{served.url}/pypi/six/json"]
    six = PackageRef.of("six", "1.17.0")
    before, after = first[six].release_count, again[six].release_count
    assert isinstance(before, Known)
    assert isinstance(after, Known)
    assert after.value == before.value - 1  # type: ignore[operator]


def test_facts_kept_by_older_code_are_derived_again(
    served: ReplayServer,
    tmp_path: Path,
    clock: FixedClock,
    parses: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The derivation code is part of the key: a fixed bug in it is not hidden by facts kept before."""
    audit(tmp_path, clock)
    monkeypatch.setattr(pypi_source, "_derivation", lambda: "the code after a fix")
    audit(tmp_path, FixedClock(clock.now() + timedelta(days=1)))
    assert len(parses) == 2 * len(PINS)


def test_the_derivation_code_is_read_from_the_modules_that_derive(tmp_path: Path) -> None:
    first = pypi_source._derivation()
    assert first is not None
    assert len(first) == 64
    assert pypi_source._derivation() == first
    module = tmp_path / "derive.py"
    module.write_text("A = 1\n")
    before = code_digest.__wrapped__(str(module))
    module.write_text("A = 2\n")
    assert code_digest.__wrapped__(str(module)) not in {before, None}
    assert code_digest.__wrapped__(str(module), str(tmp_path / "absent.py")) is None
