"""Time ``supplychain tree --format json`` against ``uv pip compile`` on the same inputs, cold and warm.

Needs the network (real PyPI) and uv (``--uv PATH``, default: ``uv`` on PATH, else /tmp/probe/bin/uv).
    .venv/bin/python benchmarks/resolve.py [--runs N] [requirement ...]
Each input is one top-level requirement resolved for CPython 3.11 on x86_64-manylinux_2_28 with a
fixed --exclude-newer. Cold = empty cache directories for both tools; warm = the same run again.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CUTOFF = "2026-06-01T00:00:00Z"
TARGET = ["--python-version", "3.11"]
DEFAULT_INPUTS = ["inspect-ai", "trl", "requests[socks]"]


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return elapsed


def bench(requirement: str, uv: str, runs: int) -> tuple[float, float, float, float]:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        file = root / "requirements.txt"
        file.write_text(requirement + "\n")
        ours = [
            sys.executable,
            "-m",
            "supplychain",
            "tree",
            str(file),
            "--format",
            "json",
            *TARGET,
            "--platform",
            "x86_64-manylinux_2_28",
            "--exclude-newer",
            CUTOFF,
        ]
        theirs = [
            uv,
            "pip",
            "compile",
            str(file),
            *TARGET,
            "--python-platform",
            "x86_64-manylinux_2_28",
            "--exclude-newer",
            CUTOFF,
            "--no-header",
            "--no-annotate",
            "--quiet",
        ]
        cold_ours, cold_uv, warm_ours, warm_uv = [], [], [], []
        for run in range(runs):
            env = dict(os.environ)
            env["SUPPLYCHAIN_CACHE_DIR"] = str(root / f"sc-cache-{run}")
            env["UV_CACHE_DIR"] = str(root / f"uv-cache-{run}")
            cold_ours.append(timed(ours, env))
            cold_uv.append(timed(theirs, env))
            warm_ours.append(timed(ours, env))
            warm_uv.append(timed(theirs, env))
    return (
        statistics.median(cold_ours),
        statistics.median(cold_uv),
        statistics.median(warm_ours),
        statistics.median(warm_uv),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("requirements", nargs="*", default=DEFAULT_INPUTS)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--uv", default=shutil.which("uv") or "/tmp/probe/bin/uv")
    args = parser.parse_args()
    header = ("input", "cold ours", "cold uv", "ratio", "warm ours", "warm uv", "ratio")
    print("{:<18} {:>10} {:>9} {:>6} {:>10} {:>8} {:>6}".format(*header))
    for requirement in args.requirements:
        cold_ours, cold_uv, warm_ours, warm_uv = bench(requirement, args.uv, args.runs)
        print(
            f"{requirement:<18} {cold_ours:>9.2f}s {cold_uv:>8.2f}s {cold_ours / cold_uv:>5.1f}x "
            f"{warm_ours:>9.2f}s {warm_uv:>7.2f}s {warm_ours / warm_uv:>5.1f}x"
        )


if __name__ == "__main__":
    main()
