"""Floors under issue 16's targets: what Python and the chosen libraries cost before our code runs.

    .venv/bin/python benchmarks/floors.py --work DIR [--runs 7] [--requests 726] [--latency 0.05]

DIR is a work dir ``benchmarks/audit.py --work DIR`` left (warm HTTP and facts caches, imported
data). The machine's speed drifts during the day, so every figure of the first table is measured in
the same rounds, interleaved:

- the interpreter alone (``python -c pass``);
- the third-party modules a warm audit of the lock loads (typer, rich, packaging, asyncio,
  rapidfuzz...): the list is read from one real run's ``sys.modules``;
- every module that run loaded (ours too), imported and nothing else;
- the full warm re-audit (``--no-result-cache --offline``) and the reused result.

Then the HTTP floor: ``--requests`` bare ``httpx`` GETs, 16 at once, each answered after
``--latency`` by the loopback replay server (in another process), with no cache and no parsing:
client CPU per request and the ratio of the wall time to the ideal ``requests / 16 x latency``.
``benchmarks/enrich.py`` gives the same figures for the whole enrich stage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))

from audit import DEFAULT_LOCK, PYTHON, RERUN, SUPPLYCHAIN, Run, checkout_env, run

from tests.support.server import ReplayServer, Reply

PER_HOST = 16
BODY = (Path(__file__).parents[1] / "tests" / "fixtures" / "pypi" / "pypi" / "six" / "json").read_bytes()
DUMP = """
import atexit, sys
out = sys.argv.pop(1)
real = lambda: sorted(n for n, m in sys.modules.items() if getattr(m, "__spec__", None) is not None)
atexit.register(lambda: open(out, "w").write("\\n".join(real())))
from supplychain.cli import main
main(sys.argv[1:])
"""


def loaded_modules(audit: list[str], env: dict[str, str], work: Path) -> list[str]:
    """Every module one warm full audit leaves in ``sys.modules``: loaded ones, not stubs such as
    ``httpx._main`` (``supplychain.net`` stands in for httpx's command-line tool)."""
    listing = work / "modules.txt"
    run([str(PYTHON), "-c", DUMP, str(listing), *audit[1:]], env)
    names = listing.read_text().split()
    return [n for n in names if not n.startswith(("_", "__")) and ".__" not in n and n != "__main__"]


def third_party(names: list[str]) -> list[str]:
    return [
        n for n in names if n.split(".")[0] not in sys.stdlib_module_names and not n.startswith("supplychain")
    ]


def importer(names: list[str]) -> list[str]:
    """A command importing ``names`` (each alone, so one that cannot be imported by name is skipped)."""
    body = "\n".join(f"try:\n    import {name}\nexcept Exception:\n    pass" for name in names)
    return [str(PYTHON), "-c", body]


def row(label: str, runs: list[Run], base: float | None = None) -> str:
    walls = [r.wall for r in runs]
    cpu = statistics.median(r.cpu for r in runs)
    share = f"  {statistics.median(walls) / base:5.0%} of the full audit" if base else ""
    return (
        f"{label:<52} median {statistics.median(walls):.3f} s  min {min(walls):.3f} s  CPU {cpu:.3f} s{share}"
    )


def serve(latency: float, conn: Connection) -> None:
    """Child process: every GET answered with six's PyPI JSON after ``latency``."""
    server = ReplayServer()
    server.httpd.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
    server.start()
    server.latency = latency
    server.handlers.append(lambda _m, _p, _b: Reply(200, BODY, {"Content-Type": "application/json"}))
    conn.send(server.url)
    conn.recv()
    server.stop()


async def bare_gets(base: str, requests: int) -> tuple[float, float]:
    import httpx

    limits = httpx.Limits(max_connections=96, max_keepalive_connections=48)  # as supplychain's door
    gate = asyncio.Semaphore(PER_HOST)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one(number: int) -> None:
            async with gate:
                answer = await client.get(f"{base}/pypi/p{number}/json")
                answer.read()

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(n) for n in range(requests)))
        return time.perf_counter() - started, time.process_time() - cpu


def http_floor(requests: int, latency: float) -> None:
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(target=serve, args=(latency, child), daemon=True)
    process.start()
    base = parent.recv()
    ideal = requests / PER_HOST * latency
    try:
        for attempt in (1, 2):
            wall, cpu = asyncio.run(bare_gets(base, requests))
            print(
                f"bare httpx, run {attempt}: {requests} GETs, {PER_HOST} at once, {latency * 1000:.0f} ms: "
                f"wall {wall:.2f} s, ideal {ideal:.2f} s, ratio {wall / ideal:.2f}x, "
                f"client CPU {cpu:.2f} s = {cpu / requests * 1000:.2f} ms per request"
            )
    finally:
        parent.send("done")
        process.join(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="a work dir benchmarks/audit.py left")
    parser.add_argument("--lock", type=Path, default=DEFAULT_LOCK)
    parser.add_argument("--extra", action="append", default=["all"])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--requests", type=int, default=726)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    work = args.work.resolve()
    if not (work / "cache").is_dir() or not (work / "data").is_dir():
        raise SystemExit(f"{work}: no cache/ and data/ (run benchmarks/audit.py --work {work} first)")
    env = checkout_env(SUPPLYCHAIN_CACHE_DIR=str(work / "cache"), SUPPLYCHAIN_DATA_DIR=str(work / "data"))
    extras = [flag for extra in args.extra for flag in ("--extra", extra)]
    audit = [str(SUPPLYCHAIN), "audit", str(args.lock.resolve()), *extras, "--quiet", "--offline"]
    run([*audit, RERUN], env)  # warms the OS file cache
    with tempfile.TemporaryDirectory() as tmp:
        names = loaded_modules([*audit, RERUN], env, Path(tmp))
    outside = third_party(names)
    commands = {
        "interpreter alone (python -c pass)": [str(PYTHON), "-c", "pass"],
        f"third-party modules the audit loads ({len(outside)})": importer(outside),
        f"every module the audit loads ({len(names)}), nothing run": importer(names),
        "full warm re-audit (--no-result-cache --offline)": [*audit, RERUN],
        "warm audit, result reused": audit,
    }
    run(audit, env)  # keeps the result the last row reuses
    measured: dict[str, list[Run]] = {label: [] for label in commands}
    for _ in range(args.runs):  # interleaved: a drift in the machine's speed hits every row alike
        for label, command in commands.items():
            measured[label].append(run(command, env))
    print(f"lock: {args.lock} {' '.join(extras)}; {args.runs} interleaved rounds")
    full = statistics.median(r.wall for r in measured["full warm re-audit (--no-result-cache --offline)"])
    for label, runs in measured.items():
        print(row(label, runs, full))
    print(f"third-party modules: {json.dumps(sorted({n.split('.')[0] for n in outside}))}")
    http_floor(args.requests, args.latency)
    return 0


if __name__ == "__main__":
    sys.exit(main())
