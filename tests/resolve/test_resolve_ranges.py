"""The resolver reads each wheel's METADATA by range requests: size is no obstacle, a warm run reads none."""

from __future__ import annotations

import asyncio
import random
import shutil
import zipfile
from pathlib import Path

import pytest

from supplychain.config import AuditConfig
from supplychain.errors import DataUnavailableError
from supplychain.model import RequirementSet
from supplychain.net.http import HttpSettings, build_http
from supplychain.progress import RecordingProgress
from supplychain.resolve import build_graph
from supplychain.resolve.graph import DependencyGraph
from tests.resolve.support import HandIndex, config_for, metadata_text, requirement_set, resolve, wheel_bytes
from tests.support.server import ReplayServer, Reply

GIB = 1024**3
TORCHLIKE = "torchlike-2.0-cp311-cp311-manylinux_2_28_x86_64.whl"


def versions(graph: DependencyGraph) -> dict[str, str]:
    return {p.ref.name: str(p.ref.version) for p in graph.packages()}


def resolve_with(inputs: RequirementSet, config: AuditConfig, settings: HttpSettings) -> DependencyGraph:
    async def run() -> DependencyGraph:
        http = build_http(settings)
        try:
            return await build_graph(inputs, config, http, RecordingProgress())
        finally:
            await http.aclose()

    return asyncio.run(run())


def torchlike() -> bytes:
    """A wheel whose METADATA lies before its last 64 KB and whose central directory is larger (~75 KB)."""
    filler = {f"torchlike/part_{i:04}.bin": random.Random(i).randbytes(100) for i in range(1000)}
    metadata = metadata_text("torchlike", "2.0", ["sympy>=1"])
    return wheel_bytes("torchlike", "2.0", metadata, filler, compression=zipfile.ZIP_STORED)


def test_a_2_gb_wheel_is_resolved_through_its_last_bytes(server: ReplayServer) -> None:
    index = HandIndex(server)
    served = index.add("torchlike", TORCHLIKE, torchlike(), size=2 * GIB)
    index.wheel("sympy", "1.14")
    graph = resolve(requirement_set(["torchlike"]), config_for(server.url))
    assert versions(graph) == {"sympy": "1.14", "torchlike": "2.0"}
    assert graph.package("torchlike").unresolved is None  # type: ignore[arg-type]
    assert len(served.asked) == 3  # the tail, the rest of the central directory, METADATA
    assert served.sent < 200_000


def test_without_ranges_a_wheel_over_the_limit_is_unknown_and_not_remembered(
    server: ReplayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("supplychain.resolve.index._ARCHIVE_BYTES", 50_000)
    index = HandIndex(server)
    served = index.add("torchlike", TORCHLIKE, torchlike(), mode="ignore", hashed=True)
    index.wheel("sympy", "1.14")
    config = config_for(server.url, cache_dir=tmp_path / "cache")
    graph = resolve(requirement_set(["torchlike"]), config)
    assert versions(graph) == {"torchlike": "2.0"}
    assert graph.package("torchlike").unresolved == (  # type: ignore[arg-type]
        f"dependencies unknown: {TORCHLIKE}: the index ignores range requests and the file of "
        f"{served.total} bytes exceeds the 50000-byte limit for reading a whole wheel"
    )
    served.mode = "honour"  # the index learned ranges: the unknown was not stored as the file's answer
    assert versions(resolve(requirement_set(["torchlike"]), config)) == {"sympy": "1.14", "torchlike": "2.0"}


def test_offline_with_a_warm_store_fetches_nothing(server: ReplayServer, tmp_path: Path) -> None:
    index = HandIndex(server)
    index.add("torchlike", TORCHLIKE, torchlike(), size=2 * GIB, hashed=True)
    index.wheel("sympy", "1.14", hashed=True)
    config = config_for(server.url, cache_dir=tmp_path / "cache")
    inputs = requirement_set(["torchlike"])
    online = resolve_with(inputs, config, HttpSettings(attempts=1, cache_dir=tmp_path / "http"))
    assert any(path.endswith(".whl") for _, path in server.requests)
    server.requests.clear()
    offline = HttpSettings(attempts=1, cache_dir=tmp_path / "http", offline=True)
    assert versions(resolve_with(inputs, config, offline)) == versions(online)
    assert server.requests == []
    # what answered was the metadata store: range answers are not in the HTTP cache
    shutil.rmtree(tmp_path / "cache" / "resolve-metadata")
    with pytest.raises(DataUnavailableError, match="not in the cache"):
        resolve_with(inputs, config, offline)


def test_a_warm_run_reads_no_metadata_at_all(server: ReplayServer, tmp_path: Path) -> None:
    index = HandIndex(server)
    index.add("torchlike", TORCHLIKE, torchlike(), size=2 * GIB, hashed=True)
    index.wheel("sympy", "1.14", hashed=True)
    config = config_for(server.url, cache_dir=tmp_path / "cache")
    resolve(requirement_set(["torchlike"]), config)
    server.requests.clear()
    resolve(requirement_set(["torchlike"]), config)
    assert sorted(path for _, path in server.requests) == ["/simple/sympy/", "/simple/torchlike/"]


def test_a_warm_run_revalidates_each_stale_page_by_its_etag_and_reads_no_metadata(
    server: ReplayServer, tmp_path: Path
) -> None:
    """PyPI's pages carry an ETag: once stale they cost a 304 each, not the page again."""
    server.etags = True
    server.cache_control = "max-age=0"  # stale at once: every run revalidates
    index = HandIndex(server)
    index.add("torchlike", TORCHLIKE, torchlike(), size=2 * GIB, hashed=True)
    index.wheel("sympy", "1.14", hashed=True)
    config = config_for(server.url, cache_dir=tmp_path / "cache")
    settings = HttpSettings(attempts=1, cache_dir=tmp_path / "http")
    first = resolve_with(requirement_set(["torchlike"]), config, settings)
    server.requests.clear()
    assert versions(resolve_with(requirement_set(["torchlike"]), config, settings)) == versions(first)
    assert sorted(path for _, path in server.requests) == ["/simple/sympy/", "/simple/torchlike/"]
    assert sorted(server.validated) == ["/simple/sympy/", "/simple/torchlike/"]
    assert server.not_modified == 2


def test_an_sdist_metadata_file_is_used_only_when_its_requires_dist_is_static(server: ReplayServer) -> None:
    """PEP 658 serves an sdist's PKG-INFO: Requires-Dist there is what a build gives only when static."""
    index = HandIndex(server)
    index.add("old", "old-1.0.tar.gz", b"never downloaded", **{"core-metadata": True})
    server.routes["/files/old-1.0.tar.gz.metadata"] = Reply(200, metadata_text("old", "1.0", ["six"]))
    graph = resolve(requirement_set(["old"]), config_for(server.url))
    assert versions(graph) == {"old": "1.0"}
    assert graph.package("old").unresolved == (  # type: ignore[arg-type]
        "dependencies unknown without a build (sdist old-1.0.tar.gz: metadata 2.1 < 2.2)"
    )
