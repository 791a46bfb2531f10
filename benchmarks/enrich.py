"""Enrich-stage benchmark: facts for every pin of a real lock, cold (loopback + latency) and warm (cache).

    .venv/bin/python benchmarks/enrich.py [LOCK] [--latency 0.05] [--per-host 16]

The replay server answers every package with the recorded shape of a real answer (six's PyPI JSON and
Simple page from tests/fixtures/pypi, names and versions substituted; Integrity API 404 as recorded;
a pypistats answer in its documented shape), each after ``latency`` seconds. Prints requests,
concurrency, latency, wall time and the ratio to the ideal ``requests / concurrency x latency``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import tempfile
import time
import tomllib
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from supplychain.clock import FixedClock  # noqa: E402
from supplychain.endpoints import Endpoints  # noqa: E402
from supplychain.model import Origin, OriginKind, PackageRef, ResolvedPackage  # noqa: E402
from supplychain.net.http import HttpSettings, build_http  # noqa: E402
from supplychain.progress import NullProgress  # noqa: E402
from supplychain.resolve.graph import DependencyGraph  # noqa: E402
from supplychain.sources import SourceContext, SourceSettings  # noqa: E402
from supplychain.sources.enrich import collect_facts  # noqa: E402
from supplychain.target import Target  # noqa: E402
from tests.support.server import ReplayServer, Reply  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "pypi"
DEFAULT_LOCK = ROOT / "tests" / "fixtures" / "inputs" / "locks" / "nnsight" / "uv.lock"
SOURCES = ["pypi", "simple", "integrity", "popularity"]


def pins(lock: Path) -> list[PackageRef]:
    data = tomllib.loads(lock.read_text())
    entries = data.get("package") or data.get("packages") or []
    refs = {PackageRef.of(e["name"], e["version"]) for e in entries if "version" in e}
    return sorted(refs)


def replay(server: ReplayServer) -> None:
    """Every project gets six's recorded answers with its own name and version substituted."""
    project = json.loads((FIXTURES / "pypi" / "six" / "json").read_text())
    page = json.loads((FIXTURES / "simple" / "six" / "index.json").read_text())
    cached = {"Cache-Control": "max-age=3600", "Content-Type": "application/json"}

    def handler(method: str, path: str, body: bytes) -> Reply | None:
        parts = path.strip("/").split("/")
        if parts[0] == "pypi" and len(parts) == 3:
            version = server_versions.get(parts[1], "1.17.0")
            document = {
                **project,
                "releases": {**project["releases"], version: project["releases"]["1.17.0"]},
            }
            return Reply(200, json.dumps(document).replace('"six', f'"{parts[1]}').encode(), cached)
        if parts[0] == "pypi" and len(parts) == 4:  # a version document, as PyPI serves one per release
            document = {"info": project["info"], "urls": project["releases"]["1.17.0"], "vulnerabilities": []}
            return Reply(200, json.dumps(document).replace('"six', f'"{parts[1]}').encode(), cached)
        if parts[0] == "simple" and len(parts) == 2:
            version = server_versions.get(parts[1], "1.17.0")
            text = json.dumps(page).replace("six-1.17.0", f"{parts[1].replace('-', '_')}-{version}")
            return Reply(
                200, text.encode(), {**cached, "Content-Type": "application/vnd.pypi.simple.v1+json"}
            )
        if parts[0] == "integrity":
            return Reply(404, b'{"message": "Not Found"}', cached)
        if parts[0] == "pypistats":
            answer = {"data": {"last_day": 1, "last_month": 1000, "last_week": 7}, "package": parts[-2]}
            return Reply(200, json.dumps(answer).encode(), cached)
        return None

    server.handlers.append(handler)


server_versions: dict[str, str] = {}


def serve(versions: dict[str, str], latency: float, conn: Connection) -> None:
    """Child process: the replay server, out of the measured process's GIL, as PyPI would be."""
    server_versions.update(versions)
    server = ReplayServer()
    # Headers and body leave in two writes; with Nagle on, the client's delayed ACK stalls every
    # response ~40 ms, a loopback artefact PyPI's CDN does not have.
    server.httpd.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
    server.start()
    server.latency = latency
    replay(server)

    def count(method: str, path: str, body: bytes) -> Reply | None:
        if path == "/__count__":
            server.requests.pop()  # not a request of the measured run
            return Reply(200, json.dumps([p for _m, p in server.requests]).encode())
        return None

    server.handlers.insert(0, count)
    conn.send(server.url)
    conn.recv()  # until the parent is done
    server.stop()


def served(base: str) -> list[str]:
    with urllib.request.urlopen(base + "/__count__") as answer:
        paths: list[str] = json.loads(answer.read())
    return paths


async def enrich_once(
    graph: DependencyGraph, config: SourceSettings, per_host: int, cache: Path
) -> tuple[float, int]:
    http = build_http(HttpSettings(cache_dir=cache, per_host=per_host, timeout=30))
    context = SourceContext(
        http=http, config=config, clock=FixedClock(datetime.now(UTC)), progress=NullProgress()
    )
    started, cpu = time.perf_counter(), time.process_time()
    try:
        facts = await collect_facts(graph, context, sources=SOURCES)
    finally:
        await http.aclose()
    elapsed = time.perf_counter() - started
    assert len(facts) == len(graph)
    CPU.append(time.process_time() - cpu)  # this process only: the server runs in another
    return elapsed, http.requests_sent


CPU: list[float] = []  # client CPU seconds of each enrich run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock", nargs="?", type=Path, default=DEFAULT_LOCK)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--per-host", type=int, default=16)
    parser.add_argument("--why", action="store_true", help="say which requests the warm run sent")
    args = parser.parse_args()
    refs = pins(args.lock)
    graph = DependencyGraph()
    for ref in refs:
        graph.add_package(ResolvedPackage(ref=ref, origin=Origin(kind=OriginKind.INDEX)))
        server_versions[ref.name] = str(ref.version)
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(
        target=serve, args=(server_versions, args.latency, child), daemon=True
    )
    process.start()
    base = parent.recv()
    with tempfile.TemporaryDirectory() as tmp:
        endpoints = Endpoints.load(
            {
                "pypi": base + "/",
                "index": base + "/simple/",
                "integrity": base + "/",
                "pypistats": base + "/pypistats/",
            },
            environ={},
        )
        config = SourceSettings(
            target=Target.parse(None, None),
            endpoints=endpoints,
            cache_dir=Path(tmp),
            data_dir=Path(tmp) / "data",
        )
        import supplychain.sources.popularity as popularity

        popularity.load_top_packages = lambda _dir: None  # type: ignore[assignment]  # no dataset here
        cold, _cold_requests = asyncio.run(enrich_once(graph, config, args.per_host, Path(tmp) / "cache"))
        served_cold = len(served(base))
        warm, _warm_requests = asyncio.run(enrich_once(graph, config, args.per_host, Path(tmp) / "cache"))
        paths = served(base)
        served_warm = len(paths) - served_cold
        if args.why:
            print(Counter(p.split("/")[1] for p in paths[served_cold:]), paths[served_cold:][:5])
    parent.send("done")
    process.join(timeout=10)
    ideal = served_cold / args.per_host * args.latency
    shown = args.lock.relative_to(ROOT) if args.lock.is_relative_to(ROOT) else args.lock
    print(f"lock: {shown} ({len(refs)} packages)")
    print(f"sources: {', '.join(SOURCES)}")
    print(
        f"cold: {served_cold} requests, concurrency {args.per_host}, latency {args.latency * 1000:.0f} ms, "
        f"wall {cold:.2f} s, ideal {ideal:.2f} s, ratio {cold / ideal:.2f}x (target <= 1.5x), "
        f"client CPU {CPU[0]:.2f} s (bare httpx's own ratio and CPU: benchmarks/floors.py)"
    )
    print(
        f"warm: {served_warm} requests reached the server, wall {warm:.3f} s (target < 0.5 s), "
        f"client CPU {CPU[1]:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
