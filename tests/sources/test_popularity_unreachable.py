"""A pypistats found unreachable minutes ago is not asked again, and nothing builds the HTTP client
for it: a warm audit behind blocked egress sends nothing and imports no HTTP stack (issue 16)."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from pathlib import Path

from packaging.utils import canonicalize_name

from supplychain.clock import FixedClock
from supplychain.endpoints import Endpoints
from supplychain.model import Known, Origin, OriginKind, PackageRef, ResolvedPackage, Unknown
from supplychain.net.hosts import FILE, HostMemory, host_key
from supplychain.net.http import Http, HttpSettings, build_http
from supplychain.progress import NullProgress
from supplychain.sources import FactPatch, SourceContext, SourceSettings
from supplychain.sources.datastore import TopPackages
from supplychain.sources.popularity import PopularitySource
from supplychain.target import Target

NOW = dt.datetime(2026, 12, 3, 14, 0, tzinfo=dt.UTC)
DATASET = TopPackages(
    as_of=NOW - dt.timedelta(days=3),
    source="test",
    downloads={canonicalize_name("six"): 9_000_000},
    ranks={canonicalize_name("six"): 40},
)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def collect(tmp_path: Path, service: str) -> tuple[dict[str, FactPatch], Http]:
    config = SourceSettings(
        target=Target.parse(None, None),
        endpoints=Endpoints.load({"pypistats": service}, environ={}),
        cache_dir=tmp_path / "cache",
        data_dir=tmp_path / "data",
    )
    packages = [
        ResolvedPackage(ref=PackageRef.of(name, "1.0"), origin=Origin(kind=OriginKind.INDEX))
        for name in ("six", "obscure-tool")
    ]

    async def job() -> tuple[dict[PackageRef, FactPatch], Http]:
        http = build_http(HttpSettings.for_config(config, timeout=2, attempts=1))
        try:
            context = SourceContext(http=http, config=config, clock=FixedClock(NOW), progress=NullProgress())
            return await PopularitySource(dataset=lambda _dir: DATASET).collect(packages, context), http
        finally:
            await http.aclose()

    patches, http = asyncio.run(job())
    return {ref.name: patch for ref, patch in patches.items()}, http


def test_a_remembered_unreachable_service_is_not_asked_and_no_client_is_built(tmp_path: Path) -> None:
    service = f"http://127.0.0.1:{closed_port()}/"
    HostMemory(path=tmp_path / "cache" / FILE).remember(host_key(service), "connection failed")
    patches, http = collect(tmp_path, service)
    assert http._client is None
    assert http.requests_sent == 0
    six = patches["six"]["downloads_30d"]  # the dataset still answers for the names it holds
    assert isinstance(six, Known)
    assert (six.value, six.fetched_at) == (9_000_000, DATASET.as_of)
    obscure = patches["obscure-tool"]["downloads_30d"]
    assert isinstance(obscure, Unknown)
    assert "host unreachable (remembered since " in obscure.reason
    assert "connection failed" in obscure.reason


def test_an_unremembered_service_is_asked_and_then_remembered(tmp_path: Path) -> None:
    service = f"http://127.0.0.1:{closed_port()}/"
    patches, http = collect(tmp_path, service)
    assert http.requests_sent >= 1  # asked, and found closed
    obscure = patches["obscure-tool"]["downloads_30d"]
    assert isinstance(obscure, Unknown)
    assert "connection failed" in obscure.reason
    _, again = collect(tmp_path, service)
    assert again._client is None
    assert again.requests_sent == 0
