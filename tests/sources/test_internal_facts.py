"""Internal packages: no public source is asked about them, and their facts come from their own index.

The "public" server answers every endpoint (PyPI JSON, Integrity, pypistats, OSV) and records every
request; an internal package must leave no trace there, whichever way its sources are run.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supplychain.clock import FixedClock
from supplychain.internal import InternalScope
from supplychain.model import IndexOffer, Known, Unknown, Yank
from supplychain.net.http import HttpSettings
from supplychain.resolve.graph import DependencyGraph
from supplychain.sources import Source
from supplychain.sources.enrich import SOURCES, collect_facts
from supplychain.sources.scope import INTERNAL_REASONS, PUBLIC_SOURCES
from supplychain.urls import SafeUrl
from tests.sources.pypi_support import by_name, config_for, context_for, package, point_endpoints, run_with
from tests.support.indexes import PublicLog
from tests.support.osv_api import OsvApi
from tests.support.server import ReplayServer, Reply

PAGE_TYPE = {"Content-Type": "application/vnd.pypi.simple.v1+json"}


def _file(version: str, uploaded: str | None, **extra: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "filename": f"corp_tool-{version}-py3-none-any.whl",
        "url": f"../../files/corp_tool-{version}-py3-none-any.whl",
        "hashes": {"sha256": "0" * 64},
        **extra,
    }
    if uploaded is not None:
        entry["upload-time"] = uploaded
    return entry


def _page(*files: dict[str, object]) -> bytes:
    """A PEP 691/700 page as an internal index that gives upload times (e.g. devpi's JSON) serves it."""
    return json.dumps({"meta": {"api-version": "1.1"}, "name": "corp-tool", "files": list(files)}).encode()


@pytest.fixture
def public(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> PublicLog:
    point_endpoints(monkeypatch, server)
    monkeypatch.setenv("SUPPLYCHAIN_OSV_URL", server.url + "/")
    OsvApi([]).install(server)
    return PublicLog(server)


@pytest.mark.parametrize("source_id", sorted(PUBLIC_SOURCES))
def test_each_public_source_skips_an_internal_name_even_run_on_its_own(
    public: PublicLog, tmp_path: Path, clock: FixedClock, source_id: str
) -> None:
    """The enrich stage never hands them internal packages; run directly, they still ask nothing."""
    served = package("corp-tool", "1.0", url=f"{public.server.url}/internal/simple/")
    settings = config_for(tmp_path, internal=InternalScope(patterns=("corp-*",)))
    source: Source = SOURCES[source_id]()

    async def job(http):  # type: ignore[no-untyped-def]
        return await source.collect([served], context_for(http, settings, clock))

    assert run_with(HttpSettings(timeout=5), job) == {}
    assert public.server.requests == []


def test_an_internal_package_gets_its_history_from_its_index_and_reasons_for_the_rest(
    public: PublicLog, tmp_path: Path, clock: FixedClock
) -> None:
    internal = f"{public.server.url}/internal/simple/"
    public.server.routes["/internal/simple/corp-tool/"] = Reply(
        200,
        _page(
            _file("0.9", "2025-01-10T09:00:00Z"),
            _file("1.0", "2025-03-01T12:00:00Z", yanked=False),  # no key at all: yank unknown
            _file("1.1", "2025-06-01T12:00:00Z", yanked="broken"),
        ),
        PAGE_TYPE,
    )
    graph = DependencyGraph()
    graph.add_package(package("corp-tool", "1.0", url=internal))
    settings = config_for(tmp_path, internal=InternalScope(indexes=(SafeUrl(internal),)))

    async def job(http):  # type: ignore[no-untyped-def]
        return await collect_facts(graph, context_for(http, settings, clock))

    facts = by_name(run_with(HttpSettings(timeout=5), job))["corp-tool"]
    paths = [path for _method, path in public.server.requests]
    # The page, then the version's wheel (its start-up hooks): the internal index only, nothing public.
    assert paths[0] == "/internal/simple/corp-tool/"
    assert all(path.startswith("/internal/") and path.endswith(".whl") for path in paths[1:]), paths
    at = clock.now()

    def known(value: object) -> Known[object]:
        return Known(value=value, source="simple", fetched_at=at)

    assert facts.first_release == known(datetime(2025, 1, 10, 9, 0, tzinfo=UTC))
    assert facts.upload_time == known(datetime(2025, 3, 1, 12, 0, tzinfo=UTC))
    assert facts.latest_release == known(datetime(2025, 6, 1, 12, 0, tzinfo=UTC))
    assert facts.release_count == known(3)
    assert facts.release_gap_days == known(50)
    assert facts.latest_version == known("1.0")  # 1.1 is yanked
    assert facts.yanked == known(Yank(yanked=False))
    assert facts.index_offers == known((IndexOffer(index=internal, versions=("0.9", "1.0", "1.1")),))
    for source_id in ("integrity", "popularity", "osv"):
        for fact, reason in INTERNAL_REASONS[source_id].items():
            assert getattr(facts, fact) == Unknown(reason=reason, source="internal"), fact
    assert facts.maintainers == Unknown(reason=INTERNAL_REASONS["pypi"]["maintainers"], source="internal")
    assert facts.advisories == Unknown(
        reason="internal package: not covered by public advisory data", source="internal"
    )


def test_an_html_page_gives_no_upload_times_and_says_so(
    public: PublicLog, tmp_path: Path, clock: FixedClock
) -> None:
    internal = f"{public.server.url}/internal/simple/"
    html = '<a href="../../files/corp_tool-1.0-py3-none-any.whl#sha256=00">corp_tool-1.0-py3-none-any.whl</a>'
    public.server.routes["/internal/simple/corp-tool/"] = Reply(
        200, html.encode(), {"Content-Type": "text/html"}
    )
    graph = DependencyGraph()
    graph.add_package(package("corp-tool", "1.0", url=internal))
    settings = config_for(tmp_path, internal=InternalScope(indexes=(SafeUrl(internal),)))

    async def job(http):  # type: ignore[no-untyped-def]
        return await collect_facts(graph, context_for(http, settings, clock), sources=["simple"])

    facts = by_name(run_with(HttpSettings(timeout=5), job))["corp-tool"]
    reason = "Simple API: the index does not give every file's upload time (PEP 700)"
    for fact in ("first_release", "upload_time", "latest_release", "release_gap_days"):
        assert getattr(facts, fact) == Unknown(reason=reason, source="simple"), fact
    assert facts.release_count == Known(value=1, source="simple", fetched_at=clock.now())
