"""How many packages of the research locks get provenance known (attested or not) vs unknown, live.

    .venv/bin/python benchmarks/provenance.py [LOCK ...] [--extra all]

Reads each lock (the audit's own input reader and graph), then runs only the Integrity source
against the configured index (PyPI by default; reaches the network) and counts: known attested
and verified, known attested but not verified, known not attested, unknown (by reason). A figure
for the closing note of issue 15, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from supplychain.audit import read_graph, source_settings  # noqa: E402
from supplychain.clock import SystemClock  # noqa: E402
from supplychain.config import TargetFlags  # noqa: E402
from supplychain.model import Known  # noqa: E402
from supplychain.net.http import HttpSettings, build_http  # noqa: E402
from supplychain.progress import NullProgress  # noqa: E402
from supplychain.sources import SourceContext  # noqa: E402
from supplychain.sources.enrich import collect_facts  # noqa: E402

LOCKS = ROOT / "tests" / "fixtures" / "inputs" / "locks"
DEFAULT = [
    LOCKS / "nnsight" / "uv.lock",
    LOCKS / "transformer-lens" / "poetry.lock",
    LOCKS / "sam-starter-py" / "Pipfile.lock",
    LOCKS / "shrugbot" / "pdm.lock",
]


async def measure(lock: Path, extras: tuple[str, ...], cache: Path) -> Counter[str]:
    """One lock's packages by provenance outcome."""
    config = TargetFlags(extra=extras).config(lock)
    config = dataclasses.replace(config, cache_dir=cache)
    http = build_http(HttpSettings(timeout=20))
    try:
        graph = (await read_graph(config, http, NullProgress())).graph
        context = SourceContext(
            http=http, config=source_settings(config), clock=SystemClock(), progress=NullProgress()
        )
        facts = await collect_facts(graph, context, sources=["integrity"])
    finally:
        await http.aclose()
    counts: Counter[str] = Counter()
    for name in sorted(facts):
        signal = facts[name].provenance
        if isinstance(signal, Known):
            value = signal.value
            if value.verified:
                counts["known: attested, verified"] += 1
            elif value.attested:
                counts["known: attested, NOT verified"] += 1
            else:
                counts["known: not attested"] += 1
        else:
            counts[f"unknown: {signal.reason}"] += 1
    return counts


def main() -> None:
    """Print the counts per lock and in total."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("locks", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--extra", action="append", default=[])
    args = parser.parse_args()
    total: Counter[str] = Counter()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as cache:
        for lock in args.locks:
            counts = asyncio.run(measure(lock, tuple(args.extra), Path(cache)))
            print(f"{lock.relative_to(ROOT) if lock.is_relative_to(ROOT) else lock}: {sum(counts.values())}")
            for outcome, count in sorted(counts.items()):
                print(f"    {count:4d}  {outcome}")
            total.update(counts)
    known = sum(c for k, c in total.items() if k.startswith("known"))
    print(f"total: {sum(total.values())} packages, {known} known, {sum(total.values()) - known} unknown")
    for outcome, count in sorted(total.items()):
        print(f"    {count:4d}  {outcome}")
    print(f"wall time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
