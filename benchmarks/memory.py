"""Peak memory and wall time of a warm ``supplychain audit --offline`` of 1,000 packages.

    .venv/bin/python benchmarks/memory.py [--packages 1000] [--work DIR] [--pool CACHE] [--runs 2]

The input is the top N projects of ``top-pypi-packages.json`` as a ``name==version`` requirements
file audited with ``--no-deps``. Their PyPI answers come from a loopback server, not from pypi.org:
asking PyPI about 1,000 names in one go is the bulk look-up this project's rules forbid. What the
server sends is real: the PyPI JSON and Simple pages that ``supplychain`` stored in its HTTP cache
while auditing the HELM lock (``benchmarks/audit.py``; 360 projects, 12 MB largest JSON). A top
project that is in that pool gets its own answers and its latest version; any other gets a pool
project's answers in turn, its name written into the document and its file names. Integrity API
answers are 404 as PyPI gave them for the pool. Popularity and advisories come from the real data
files (``db update --from``).

Steps: build the pool (one online HELM audit) unless ``--pool`` names an existing HTTP cache; one
online audit through the loopback server to fill the cache, one warm online audit (answers fresh in
the cache); then ``--runs`` warm ``--offline`` audits. Each run is a subprocess with its own peak
RSS (``wait4``) and wall time, interpreter start included.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import shutil
import sqlite3
import sys
import tempfile
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from audit import DATA_FILES, DEFAULT_DATA, DEFAULT_LOCK, ROOT, SUPPLYCHAIN, Run, checkout_env, run, served
from packaging.utils import canonicalize_name

TARGET_MB = 150  # issue 16: the first online run of 1,000 packages


def pool_entries(cache: Path) -> dict[tuple[str, str], bytes]:
    """(``pypi`` | ``simple``, project) -> the hishel entry id of its 200 answer in ``cache``."""
    import msgpack  # type: ignore[import-untyped]  # hishel's dependency, untyped

    found: dict[tuple[str, str], bytes] = {}
    with sqlite3.connect(f"file:{cache}?mode=ro", uri=True) as db:
        for entry_id, data in db.execute("SELECT id, data FROM entries"):
            meta = msgpack.unpackb(data)
            if meta["response"]["status_code"] != 200:
                continue
            parts = meta["request"]["url"].split("/")
            if len(parts) >= 5 and parts[3] == "pypi" and parts[-1] == "json" and len(parts) == 6:
                found["pypi", parts[4]] = entry_id
            elif len(parts) >= 5 and parts[3] == "simple":
                found["simple", parts[4]] = entry_id
    return found


def body(db: sqlite3.Connection, entry_id: bytes) -> bytes:
    rows = db.execute("SELECT chunk_data FROM streams WHERE entry_id = ? ORDER BY chunk_number", (entry_id,))
    return b"".join(chunk for (chunk,) in rows)


def rewrite(document: bytes, pool: str, name: str) -> bytes:
    """``pool``'s answer made ``name``'s: the project name and every file name's project part."""
    if pool == name:
        return document
    spelled = r"[-_.]+".join(re.escape(part) for part in pool.split("-"))
    files = re.compile(r'(["/])(?:' + spelled + r")-(?=\d)", re.IGNORECASE)
    text = files.sub(lambda match: match.group(1) + name.replace("-", "_") + "-", document.decode())
    data = json.loads(text)
    if isinstance(data.get("info"), dict):
        data["info"]["name"] = name
    else:
        data["name"] = name
    return json.dumps(data).encode()


def assign(names: list[str], pool: list[str]) -> dict[str, str]:
    """Each name -> the pool project whose answers it gets (itself when the pool has it)."""
    have = set(pool)
    others = iter(pool * (len(names) // max(1, len(pool)) + 1))
    return {name: name if name in have else next(others) for name in names}


def serve(
    cache: Path, chosen: dict[str, str], entries: dict[tuple[str, str], bytes], conn: Connection
) -> None:
    """Child process: the loopback PyPI (JSON, Simple, Integrity) over the pool's stored answers."""
    sys.path.insert(0, str(ROOT))
    from tests.support.server import ReplayServer, Reply

    server = ReplayServer()
    kinds = {"pypi": "application/json", "simple": "application/vnd.pypi.simple.v1+json"}

    def handler(method: str, path: str, _body: bytes) -> Reply | None:
        if path == "/__count__":
            server.requests.pop()
            return Reply(200, json.dumps(len(server.requests)).encode())
        parts = path.strip("/").split("/")
        if parts[0] == "integrity":
            return Reply(404, b"")
        if parts[0] in kinds and len(parts) >= 2 and parts[1] in chosen:
            pool = chosen[parts[1]]
            with sqlite3.connect(f"file:{cache}?mode=ro", uri=True) as db:
                stored = body(db, entries[parts[0], pool])
            return Reply(200, rewrite(stored, pool, parts[1]), {"Content-Type": kinds[parts[0]]})
        return None

    server.handlers.append(handler)
    server.start()
    conn.send(server.url)
    conn.recv()
    server.stop()


def build_pool(work: Path, data: Path) -> Path:
    """One online audit of the HELM lock (360 projects from PyPI, as benchmarks/audit.py does)."""
    env = checkout_env(
        SUPPLYCHAIN_CACHE_DIR=str(work / "pool" / "cache"),
        SUPPLYCHAIN_DATA_DIR=str(work / "pool" / "data"),
    )
    sources = [flag for name in DATA_FILES for flag in ("--from", str(data / name))]
    run([str(SUPPLYCHAIN), "db", "update", *sources], env)
    built = run([str(SUPPLYCHAIN), "audit", str(DEFAULT_LOCK), "--extra", "all", "--quiet"], env)
    print(f"pool: online audit of the HELM lock, {built.wall:.1f} s")
    return work / "pool" / "cache" / "http-cache.sqlite"


def latest_versions(cache: Path, entries: dict[tuple[str, str], bytes], pool: list[str]) -> dict[str, str]:
    with sqlite3.connect(f"file:{cache}?mode=ro", uri=True) as db:
        return {name: json.loads(body(db, entries["pypi", name]))["info"]["version"] for name in pool}


def report(label: str, measured: Run) -> None:
    verdict = "meets" if measured.max_rss_mb < TARGET_MB else "MISSES"
    print(
        f"{label}: wall {measured.wall:.2f} s, peak RSS {measured.max_rss_mb:.0f} MB "
        f"(exit {measured.code}; {verdict} the < {TARGET_MB} MB target)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--work", type=Path, help="keep cache, data and inputs here (default: a temp dir)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dir with the three data files")
    parser.add_argument("--pool", type=Path, help="an http-cache.sqlite from an earlier HELM audit")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="supplychain-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    cache = args.pool or work / "pool" / "cache" / "http-cache.sqlite"
    if not cache.exists():
        cache = build_pool(work, args.data)
    entries = pool_entries(cache)
    pool = sorted(name for kind, name in entries if kind == "pypi" and ("simple", name) in entries)
    top = json.loads((args.data / "top-pypi-packages.json").read_text())["rows"]
    names = list(dict.fromkeys(str(canonicalize_name(row["project"])) for row in top))[: args.packages]
    chosen = assign(names, pool)
    versions = latest_versions(cache, entries, pool)
    requirements = work / f"top-{args.packages}.txt"
    requirements.write_text("".join(f"{name}=={versions[chosen[name]]}\n" for name in names))
    own = sum(1 for name in names if chosen[name] == name)
    print(f"input: {requirements} ({len(names)} pins; {own} with their own PyPI answers, ", end="")
    print(f"the rest from a pool of {len(pool)})")

    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("fork").Process(
        target=serve, args=(cache, chosen, entries, child), daemon=True
    )
    server.start()
    base = parent.recv()
    env = {
        **checkout_env(),
        "SUPPLYCHAIN_CACHE_DIR": str(work / "cache"),
        "SUPPLYCHAIN_DATA_DIR": str(work / "data"),
        "SUPPLYCHAIN_RESULT_CACHE": "off",  # every run audits: a reprinted result measures nothing
        "SUPPLYCHAIN_PYPI_URL": base + "/",
        "SUPPLYCHAIN_INDEX_URL": base + "/simple/",
        "SUPPLYCHAIN_INTEGRITY_URL": base + "/",
        "SUPPLYCHAIN_OSV_URL": base + "/osv/",
        "SUPPLYCHAIN_PYPISTATS_URL": base + "/pypistats/",
    }
    sources = [flag for name in DATA_FILES for flag in ("--from", str(args.data / name))]
    run([str(SUPPLYCHAIN), "db", "update", *sources], env)
    audit = [str(SUPPLYCHAIN), "audit", str(requirements), "--no-deps", "--quiet"]
    warming = run(audit, env)
    print(f"online audit through the loopback server (fills the cache): {served(base)} requests")
    report("  first online run", warming)
    report("  warm online run (cache fresh, max-age=3600)", run(audit, env))
    for number in range(1, args.runs + 1):
        report(f"warm audit --offline, run {number}", run([*audit, "--offline"], env))
    parent.send("done")
    server.join(timeout=10)
    size = sum(f.stat().st_size for f in (work / "cache").rglob("*") if f.is_file())
    print(f"HTTP + facts cache on disk: {size / 2**20:.0f} MB")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
