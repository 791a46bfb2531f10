"""The JSON contract of facts, internal-index shadowing checks and enrich progress events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from packaging.version import Version

from supplychain.clock import FixedClock
from supplychain.internal import InternalScope
from supplychain.model import (
    FACT_NAMES,
    Action,
    Advisory,
    AdvisoryKind,
    IndexOffer,
    Known,
    Maintainer,
    PackageFacts,
    PackageRef,
    Role,
    Severity,
    Unknown,
)
from supplychain.net.http import HttpSettings
from supplychain.policy import RULES
from supplychain.policy.base import RuleSettings
from supplychain.progress import RecordingProgress
from supplychain.report.facts_json import facts_json
from supplychain.resolve.graph import DependencyGraph
from supplychain.sources import SourceContext
from supplychain.sources.enrich import collect_facts
from supplychain.urls import SafeUrl
from tests.policy.helpers import env_of
from tests.sources.pypi_support import PYPI_FIXTURES, by_name, config_for, package, point_endpoints, run_with
from tests.support.server import ReplayServer, Reply

WHEN = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
# GHSA-j8r2-6x86-q33q / CVE-2023-32681 (requests leaks Proxy-Authorization), fixed in 2.31.0.
REQUESTS_ADVISORY = Advisory(
    id="GHSA-j8r2-6x86-q33q",
    aliases=("PYSEC-2023-74", "CVE-2023-32681"),
    kind=AdvisoryKind.VULNERABILITY,
    severity=Severity.MEDIUM,
    summary="Unintended leak of Proxy-Authorization header in requests",
    fixed_in=(Version("2.31.0"),),
    source="osv",
)


def test_every_fact_is_value_source_time_or_unknown_reason() -> None:
    ref = PackageRef.of("requests", "2.25.1")
    facts = PackageFacts.unknown(ref, reason="offline")
    facts = facts.__class__(
        **{
            **{name: getattr(facts, name) for name in FACT_NAMES},
            "ref": ref,
            "maintainers": Known(
                value=(
                    Maintainer(user="nateprewitt", role=Role.OWNER),
                    Maintainer(user="Lukasa", role=Role.OWNER),
                ),
                source="pypi",
                fetched_at=WHEN,
            ),
            "upload_time": Known(
                value=datetime(2020, 12, 16, 14, 0, tzinfo=timezone(timedelta(hours=-5))),
                source="pypi",
                fetched_at=WHEN,
            ),
            "advisories": Known(value=(REQUESTS_ADVISORY,), source="osv", fetched_at=WHEN),
            "organization": Known(value=None, source="pypi", fetched_at=WHEN),
        }
    )
    document = facts_json(facts)
    assert sorted(document["facts"]) == sorted(FACT_NAMES)  # type: ignore[arg-type]
    rendered = document["facts"]
    assert isinstance(rendered, dict)
    assert rendered["maintainers"] == {
        "value": [{"role": "Owner", "user": "Lukasa"}, {"role": "Owner", "user": "nateprewitt"}],
        "source": "pypi",
        "fetched_at": "2026-11-26T12:00:00Z",
    }
    assert rendered["upload_time"]["value"] == "2020-12-16T19:00:00Z"  # type: ignore[index]
    assert rendered["organization"] == {"value": None, "source": "pypi", "fetched_at": "2026-11-26T12:00:00Z"}
    assert rendered["yanked"] == {"unknown": "offline", "source": "supplychain"}
    assert rendered["advisories"]["value"] == ["GHSA-j8r2-6x86-q33q"]  # type: ignore[index]
    assert document["advisories"] == [
        {
            "id": "GHSA-j8r2-6x86-q33q",
            "aliases": ["CVE-2023-32681", "PYSEC-2023-74"],
            "kind": "vulnerability",
            "severity": "medium",
            "fixed_in": ["2.31.0"],
            "withdrawn": False,
        }
    ]
    json.dumps(document, sort_keys=True)  # plain JSON all the way down


def test_unknown_advisories_give_no_list_but_say_why() -> None:
    document = facts_json(PackageFacts.unknown(PackageRef.of("six", "1.17.0"), reason="OSV unreachable"))
    assert document["advisories"] == []
    assert document["facts"]["advisories"] == {"unknown": "OSV unreachable", "source": "supplychain"}  # type: ignore[index,call-overload]


def test_naive_datetimes_are_refused() -> None:
    facts = PackageFacts.unknown(PackageRef.of("six", "1.17.0"))
    from dataclasses import replace

    bad = replace(facts, upload_time=Known(value=datetime(2020, 1, 1), source="pypi", fetched_at=WHEN))
    with pytest.raises(ValueError, match="timezone-aware"):
        facts_json(bad)


def _enrich(
    server: ReplayServer, tmp_path: Path, clock: FixedClock, graph: DependencyGraph, **config: object
) -> tuple[dict[str, PackageFacts], RecordingProgress]:
    progress = RecordingProgress()
    settings = config_for(tmp_path, **config)

    async def job(http):  # type: ignore[no-untyped-def]
        context = SourceContext(http=http, config=settings, clock=clock, progress=progress)
        return await collect_facts(graph, context, sources=["simple"])

    return by_name(run_with(HttpSettings(timeout=5), job)), progress


def test_an_internal_index_is_the_only_index_asked_about_its_names(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    """The default (public) index is not configured for this input, so it is never asked about them."""
    server.mount("/", PYPI_FIXTURES)
    point_endpoints(monkeypatch, server)
    internal = f"{server.url}/internal/simple/"
    page = (
        (PYPI_FIXTURES / "simple" / "six" / "index.json")
        .read_bytes()
        .replace(b"six-1.17.0", b"acme_tools-1.17.0")
    )
    server.routes["/internal/simple/acme-tools/"] = Reply(
        200, page, {"Content-Type": "application/vnd.pypi.simple.v1+json"}
    )
    server.routes["/internal/simple/six/"] = Reply(
        200,
        (PYPI_FIXTURES / "simple" / "six" / "index.json").read_bytes(),
        {"Content-Type": "application/json"},
    )
    graph = DependencyGraph()
    graph.add_package(package("acme-tools", "1.17.0", url=internal))
    graph.add_package(package("six", "1.17.0", url=internal))
    facts, progress = _enrich(
        server, tmp_path, clock, graph, internal=InternalScope(indexes=(SafeUrl(internal),))
    )
    only = IndexOffer(index=internal, versions=("1.17.0",))
    assert facts["acme-tools"].index_offers == Known(value=(only,), source="simple", fetched_at=clock.now())
    assert facts["acme-tools"].index == Known(value=internal, source="simple", fetched_at=clock.now())
    assert facts["acme-tools"].has_wheel == Known(value=True, source="simple", fetched_at=clock.now())
    asked = {path for _method, path in server.requests}
    assert asked == {"/internal/simple/acme-tools/", "/internal/simple/six/"}
    assert progress.events == [("stage", "enrich", 2), ("advance", "enrich", 2)]  # package lookups


def test_an_internal_name_with_no_recorded_index_is_not_asked_of_the_default_index(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    """Told nothing, an installer would ask PyPI: the audit does not send an internal name there."""
    point_endpoints(monkeypatch, server)
    server.routes["/simple/acme-tools/"] = Reply(200, b"{}", {"Content-Type": "application/json"})
    graph = DependencyGraph()
    graph.add_package(package("acme-tools", "1.0"))
    facts, _ = _enrich(server, tmp_path, clock, graph, internal=InternalScope(patterns=("acme-*",)))
    assert server.requests == []
    signal = facts["acme-tools"].index_offers
    assert isinstance(signal, Unknown)
    assert signal.reason == (
        f"internal package with no recorded or configured index: {server.url}/simple/ not asked"
    )


@pytest.mark.parametrize("pattern", ["ACME-*", "acme_*", "Acme.Tools"])
def test_an_upper_case_internal_pattern_gives_no_false_dependency_confusion(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock, pattern: str
) -> None:
    """The Simple source matched patterns case-sensitively, the rules did not: the source took
    acme-tools for public, and the rule failed it for "also on public PyPI"."""
    server.mount("/", PYPI_FIXTURES)
    point_endpoints(monkeypatch, server)
    mirror = f"{server.url}/mirror/simple/"
    six = (PYPI_FIXTURES / "simple" / "six" / "index.json").read_bytes()
    page = six.replace(b"six-1.17.0", b"acme_tools-1.17.0")
    server.routes["/mirror/simple/acme-tools/"] = Reply(200, page, {"Content-Type": "application/json"})
    served = package("acme-tools", "1.17.0", url=mirror)
    graph = DependencyGraph()
    graph.add_package(served)
    scope = InternalScope(patterns=(pattern,))
    facts, _ = _enrich(server, tmp_path, clock, graph, internal=scope)
    only = IndexOffer(index=mirror, versions=("1.17.0",))
    assert facts["acme-tools"].index_offers == Known(value=(only,), source="simple", fetched_at=clock.now())
    env = env_of([(served, facts["acme-tools"])], internal=scope)
    settings = RuleSettings(action=Action.FAIL, params={})
    assert RULES["dependency-confusion"].evaluate(served, facts["acme-tools"], settings, env) == []
