"""Load 10,000 environments x 300 packages into PostgreSQL (COPY) and time ``who-uses`` and ``affected``.

Run: ``.venv/bin/python benchmarks/inventory.py [--db postgresql://…]``; without ``--db`` it starts a
throwaway cluster (as the test suite does). Target: under 50 ms per query.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from supplychain.inventory.store import InventoryStore
from tests.inventory.pg import start_cluster

ENVIRONMENTS = 10_000
PACKAGES_PER_ENV = 300
UNIVERSE = 3_000  # distinct package names; each has a few versions
TEAMS = 40


def load(url: str, rng: random.Random) -> float:
    """Bulk-load synthetic data through COPY; returns seconds taken."""
    started = time.perf_counter()
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        with cursor.copy(
            "COPY environment (id, name, team, recorded_at, input_path, verdict) FROM STDIN"
        ) as copy:
            for env in range(ENVIRONMENTS):
                copy.write_row(
                    (
                        env + 1,
                        f"env-{env}",
                        f"team-{env % TEAMS}",
                        "2026-11-01T00:00:00+00:00",
                        "uv.lock",
                        "passed",
                    )
                )
        # GHSA-bench-0001: one package, two versions (a typical advisory, ~5 % of environments);
        # GHSA-bench-0002: version 1.0.0 of 30 packages (a worst case: ~75 % of environments hit).
        affected: list[tuple[int, str, str, str]] = []
        with cursor.copy("COPY package (environment_id, name, version, hashes, since) FROM STDIN") as copy:
            for env in range(ENVIRONMENTS):
                for index in rng.sample(range(UNIVERSE), PACKAGES_PER_ENV):
                    version = f"1.{rng.randrange(4)}.0"
                    copy.write_row((env + 1, f"pkg-{index}", version, "", "2026-11-01"))
                    if index == 0 and version in {"1.0.0", "1.1.0"}:
                        affected.append((env + 1, "pkg-0", version, "1"))
                    if index < 30 and version == "1.0.0":
                        affected.append((env + 1, f"pkg-{index}", version, "2"))
        with cursor.copy(
            "COPY advisory (environment_id, package, version, advisory_id, alias, since) FROM STDIN"
        ) as copy:
            for env_id, name, version, n in affected:
                for alias in (f"GHSA-bench-000{n}", f"CVE-2026-000{n}"):
                    copy.write_row((env_id, name, version, f"GHSA-bench-000{n}", alias, "2026-11-01"))
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def timed(action: object, repeat: int = 20) -> tuple[float, float, int]:
    samples, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        size = len(action())  # type: ignore[operator]
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="an empty PostgreSQL database URL (default: a throwaway cluster)")
    args = parser.parse_args()
    cluster = None if args.db else start_cluster()
    url = args.db or cluster.url  # type: ignore[union-attr]
    try:
        with InventoryStore(url) as store:  # applies the migrations (tables and indexes)
            seconds = load(url, random.Random(42))
            print(
                f"loaded {ENVIRONMENTS} environments x {PACKAGES_PER_ENV} packages "
                f"({ENVIRONMENTS * PACKAGES_PER_ENV:,} rows) in {seconds:.1f} s"
            )
            store.who_uses("pkg-1")  # warm the connection and plan cache
            for label, action in (
                ("who-uses pkg-17", lambda: store.who_uses("pkg-17")),
                ("who-uses pkg-17==1.2.0", lambda: store.who_uses("pkg-17", "1.2.0")),
                ("usage pkg-17", lambda: [store.usage("pkg-17")]),
                ("affected CVE-2026-0001", lambda: store.affected("CVE-2026-0001")),
                ("affected CVE-2026-0002 (broad)", lambda: store.affected("CVE-2026-0002")),
            ):
                median, worst, rows = timed(action)
                verdict = "ok" if median < 50 else "OVER TARGET"
                print(f"{label:31} median {median:7.2f} ms  max {worst:7.2f} ms  rows {rows:5}  {verdict}")
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
