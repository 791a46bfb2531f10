"""Helpers for the PyPI fact-source tests: recorded fixtures served from loopback, a real dataset subset."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from packaging.utils import NormalizedName

from supplychain.clock import FixedClock
from supplychain.endpoints import Endpoints
from supplychain.model import Origin, OriginKind, PackageFacts, PackageRef, ResolvedPackage
from supplychain.net.http import Http, HttpSettings, build_http
from supplychain.progress import RecordingProgress
from supplychain.sources import SourceContext, SourceSettings
from supplychain.target import Target
from tests.support.server import ReplayServer, Reply

PYPI_FIXTURES = Path(__file__).parents[1] / "fixtures" / "pypi"
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class TopPackages:
    """Same fields as ``supplychain.sources.datastore.TopPackages``, built from the recorded real subset."""

    as_of: datetime
    source: str
    downloads: Mapping[NormalizedName, int]
    ranks: Mapping[NormalizedName, int]


def recorded_top_packages(_data_dir: Path) -> TopPackages:
    data = json.loads((PYPI_FIXTURES / "top-pypi-packages.subset.json").read_text())
    as_of = datetime.fromisoformat(data["last_update"]).replace(tzinfo=UTC)
    rows = data["rows"]
    return TopPackages(
        as_of=as_of,
        source=data["source"],
        downloads={NormalizedName(r["project"]): r["download_count"] for r in rows},
        ranks={NormalizedName(r["project"]): r["rank"] for r in rows},
    )


def point_endpoints(monkeypatch: pytest.MonkeyPatch, server: ReplayServer) -> None:
    """Every endpoint at the replay server, through the documented environment variables."""
    monkeypatch.setenv("SUPPLYCHAIN_PYPI_URL", server.url + "/")
    monkeypatch.setenv("SUPPLYCHAIN_INDEX_URL", server.url + "/simple/")
    monkeypatch.setenv("SUPPLYCHAIN_INTEGRITY_URL", server.url + "/")
    monkeypatch.setenv("SUPPLYCHAIN_PYPISTATS_URL", server.url + "/pypistats/")


def config_for(tmp_path: Path, **overrides: object) -> SourceSettings:
    values: dict[str, object] = {
        "target": Target.parse(None, None),
        "endpoints": Endpoints.load(),
        "cache_dir": None,
        "data_dir": tmp_path / "data",
    }
    values.update(overrides)
    return SourceSettings(**values)  # type: ignore[arg-type]


def run_with(settings: HttpSettings, job: Callable[[Http], Awaitable[T]]) -> T:
    async def runner() -> T:
        http = build_http(settings)
        try:
            return await job(http)
        finally:
            await http.aclose()

    return asyncio.run(runner())


def context_for(http: Http, config: SourceSettings, clock: FixedClock) -> SourceContext:
    return SourceContext(http=http, config=config, clock=clock, progress=RecordingProgress())


def package(
    name: str, version: str, kind: OriginKind = OriginKind.INDEX, url: str | None = None
) -> ResolvedPackage:
    from supplychain.urls import SafeUrl

    return ResolvedPackage(
        ref=PackageRef.of(name, version),
        origin=Origin(kind=kind, url=SafeUrl(url) if url else None),
    )


ABSENT = object()  # a page entry without the ``provenance`` key at all (an index without PEP 740)


def serve_pep740_page(
    server: ReplayServer,
    project: str,
    files: Mapping[str, tuple[str, object]],
    *,
    api: str = "1.4",
) -> None:
    """A PEP 691 JSON page for ``project`` at ``/simple/<project>/``: filename -> (sha256, provenance).

    Hand-made in PEP 691/740's shape; ``provenance`` is a URL, None (the index says "none") or
    ``ABSENT`` (the key left out).
    """
    entries = []
    for filename, (sha256, provenance) in files.items():
        entry: dict[str, object] = {
            "filename": filename,
            "url": f"{server.url}/files/{filename}",
            "hashes": {"sha256": sha256},
        }
        if provenance is not ABSENT:
            entry["provenance"] = provenance
        entries.append(entry)
    page = {"meta": {"api-version": api}, "name": project, "files": entries}
    server.routes[f"/simple/{project}/"] = Reply(
        200, json.dumps(page).encode(), {"Content-Type": "application/vnd.pypi.simple.v1+json"}
    )


def by_name(facts: Mapping[PackageRef, PackageFacts]) -> dict[str, PackageFacts]:
    """collect_facts' result by name, for tests whose graph holds one version of each name."""
    return {ref.name: found for ref, found in facts.items()}
