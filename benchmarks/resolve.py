"""Time ``supplychain tree --format json`` against ``uv pip compile`` on the same inputs, cold and warm.

Needs the network (real PyPI) and uv (``--uv PATH``, default: ``uv`` on PATH, else /tmp/uvenv/bin/uv).
    .venv/bin/python benchmarks/resolve.py [--runs N] [requirements file or requirement ...]
By default the five research environments of benchmarks/data/envs (the top-level requirements of
trl, inspect-ai, nnsight, OLMo and e2e_sae), resolved for CPython 3.11 on x86_64-manylinux_2_28 with a
fixed --exclude-newer. Cold = empty cache directories for both tools; warm = the same run again.
Wall seconds, then the warm runs' CPU seconds (user + system, the figure a shared machine does not
inflate); the last column says whether both picked the same package set and versions.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CUTOFF = "2026-06-01T00:00:00Z"
TARGET = ["--python-version", "3.11"]
ENVS = Path(__file__).parent / "data" / "envs"
DEFAULT_INPUTS = [str(path) for path in sorted(ENVS.glob("*.txt"))]


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system of the child) and standard output of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return elapsed, cpu, done.stdout


def same_answer(ours: str, theirs: str) -> bool:
    """Do ``tree --format json`` and ``uv pip compile`` name the same packages at the same versions?

    Differences are printed to stderr, one package a line.
    """
    mine = {p["name"]: p["version"] for p in json.loads(ours)["packages"]}
    pins = (line.split(" ")[0] for line in theirs.splitlines() if "==" in line and not line.startswith("#"))
    uv = dict(pin.split("==") for pin in pins)
    for name in sorted(set(mine) | set(uv)):
        if mine.get(name) != uv.get(name):
            print(f"  {name}: ours {mine.get(name)}, uv {uv.get(name)}", file=sys.stderr)
    return mine == uv


def bench(requirement: str, uv: str, runs: int) -> tuple[float, float, float, float, float, float, bool]:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        file = root / "requirements.txt"
        given = Path(requirement)
        file.write_text(given.read_text() if given.is_file() else requirement + "\n")
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
        cold_ours: list[float] = []
        cold_uv: list[float] = []
        warm_ours: list[float] = []
        warm_uv: list[float] = []
        cpu_ours: list[float] = []
        cpu_uv: list[float] = []
        same = True
        for run in range(runs):
            env = dict(os.environ)
            env["SUPPLYCHAIN_CACHE_DIR"] = str(root / f"sc-cache-{run}")
            env["UV_CACHE_DIR"] = str(root / f"uv-cache-{run}")
            for ours_times, uv_times, ours_cpu, uv_cpu in (
                (cold_ours, cold_uv, [], []),
                (warm_ours, warm_uv, cpu_ours, cpu_uv),
            ):
                elapsed, cpu, tree = timed(ours, env)
                ours_times.append(elapsed)
                ours_cpu.append(cpu)
                elapsed, cpu, compiled = timed(theirs, env)
                uv_times.append(elapsed)
                uv_cpu.append(cpu)
                same = same and same_answer(tree, compiled)
    median = statistics.median
    return (
        median(cold_ours),
        median(cold_uv),
        median(warm_ours),
        median(warm_uv),
        median(cpu_ours),
        median(cpu_uv),
        same,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("requirements", nargs="*", default=DEFAULT_INPUTS)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--uv", default=shutil.which("uv") or "/tmp/uvenv/bin/uv")
    args = parser.parse_args()
    header = (
        "input",
        "cold ours",
        "cold uv",
        "ratio",
        "warm ours",
        "warm uv",
        "ratio",
        "cpu ours",
        "cpu uv",
        "same",
    )
    print("{:<18} {:>10} {:>9} {:>6} {:>10} {:>8} {:>6} {:>9} {:>7} {:>5}".format(*header), flush=True)
    for requirement in args.requirements:
        cold_ours, cold_uv, warm_ours, warm_uv, cpu_ours, cpu_uv, same = bench(
            requirement, args.uv, args.runs
        )
        label = Path(requirement).stem if Path(requirement).is_file() else requirement
        print(
            f"{label:<18} {cold_ours:>9.2f}s {cold_uv:>8.2f}s {cold_ours / cold_uv:>5.1f}x "
            f"{warm_ours:>9.2f}s {warm_uv:>7.2f}s {warm_ours / warm_uv:>5.1f}x "
            f"{cpu_ours:>8.2f}s {cpu_uv:>6.2f}s {'yes' if same else 'NO':>5}",
            flush=True,
        )


if __name__ == "__main__":
    main()
