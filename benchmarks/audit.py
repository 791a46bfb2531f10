"""End-to-end benchmark: warm ``supplychain audit`` of a real lock, and pip-audit on the same pins.

    .venv/bin/python benchmarks/audit.py [LOCK] [--extra all] [--runs 5] [--work DIR]
        [--data DIR] [--pip-audit PATH] [--pip-audit-runs 3] [--osv-latency 0.0] [--skip-pip-audit]
        [--peers] [--uv PATH] [--latencies 0,0.02]

The code measured is this checkout's (``PYTHONPATH`` points at it, whatever the venv installed),
with bytecode caching on as an installed copy has it (``PYTHONDONTWRITEBYTECODE`` is dropped).
``--peers`` (issue 16) adds, for each OSV latency in ``--latencies``: ours with advisories from the
loopback OSV API instead of the imported database (querybatch + parallel record fetches), warm and
first run; ``pip-audit`` on the same pins, warm and cold cache; ``uv audit --frozen --service-url``
on the same lock (its whole lock, every extra), each with its peak RSS. pypistats.org does not
answer from this machine, so in that section it is pointed at the loopback server (404s: downloads
come from the dataset), and the figures measure us, not a retry loop.

Every ``supplychain`` run is a subprocess timed wall-clock, interpreter start included, with its own
peak RSS and CPU time (``wait4``; CPU is the steadier figure when other work shares the machine).
Steps: import the offline data (``db update --from``) into an isolated data
dir; one online audit to warm the HTTP cache (reaches PyPI); N warm ``--offline`` runs and N warm
online runs (the HTTP cache may revalidate). Then the same resolved pins as a ``name==version``
requirements file: ``pip-audit --disable-pip --no-deps -r`` against the loopback OSV API emulator
(``tests/support/osv_api.py``, built from the same advisory archives), ``supplychain audit --no-deps``
of that file, and an advisories-only ``supplychain`` run (the CLI cannot choose sources, so a
hook keeps only the ``osv`` source; it is labelled as such). Prints medians, ratios and whether
both tools report the same advisory ids. Figures, not assertions: nothing here fails on time.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).parents[1]
DEFAULT_LOCK = ROOT / "benchmarks" / "data" / "helm" / "uv.lock"
DEFAULT_DATA = Path("/work/shared/data")
DATA_FILES = (
    "pypa-advisory-db/vulns.tar.gz",
    "malicious-pypi/osv-malicious-pypi.tar.gz",
    "top-pypi-packages.json",
)
ADVISORY_ARCHIVES = DATA_FILES[:2]
# The whole audit again, not the printed result of the same audit on unchanged files (README, Caches).
RERUN = "--no-result-cache"
SUPPLYCHAIN = ROOT / ".venv" / "bin" / "supplychain"
PYTHON = ROOT / ".venv" / "bin" / "python"

# The CLI has no option to choose sources; this hook keeps only the advisory source, then runs it.
ADVISORIES_ONLY = """
import sys
import supplychain.sources.enrich as enrich
for name in [n for n in enrich.SOURCES if n != "osv"]:
    del enrich.SOURCES[name]
from supplychain.cli import main
main(sys.argv[1:])
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    wall: float
    code: int
    max_rss_mb: float
    cpu: float = 0.0  # user + system seconds of the child: steadier than wall on a shared machine


def run(
    command: Sequence[str], env: dict[str, str], stdout: Path | None = None, cwd: Path | None = None
) -> Run:
    """One subprocess, wall time from spawn to exit, peak RSS of that child alone (``wait4``)."""
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115  # closed below
    try:
        started = time.perf_counter()
        child = subprocess.Popen(list(command), env=env, stdout=out, stderr=subprocess.PIPE, cwd=cwd)
        assert child.stderr is not None
        errors = child.stderr.read()
        _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if stdout:
            out.close()  # type: ignore[union-attr]
    code = child.returncode
    if code not in (0, 1, 3):
        sys.stderr.write(errors.decode(errors="replace")[-2000:])
        raise SystemExit(f"{command[0]} exited {code}: {' '.join(command[1:])}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall=wall, code=code, max_rss_mb=usage.ru_maxrss / 1024, cpu=cpu)


def spread(runs: Sequence[Run]) -> str:
    walls = [r.wall for r in runs]
    rss = max(r.max_rss_mb for r in runs)
    cpu = statistics.median(r.cpu for r in runs)
    return (
        f"median {statistics.median(walls):.2f} s, min {min(walls):.2f} s, max {max(walls):.2f} s "
        f"(n={len(walls)}, exit {runs[-1].code}, peak RSS {rss:.0f} MB, CPU median {cpu:.2f} s)"
    )


def median(runs: Sequence[Run]) -> float:
    return statistics.median(r.wall for r in runs)


def pins_of(lock: Path, extras: Iterable[str], env: dict[str, str]) -> list[tuple[str, str]]:
    """The target's resolved (name, version) pairs, as ``supplychain tree --format json`` gives them."""
    command = [str(SUPPLYCHAIN), "tree", str(lock), "--format", "json"]
    for extra in extras:
        command += ["--extra", extra]
    text = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    packages = json.loads(text)["packages"]
    indexed = [p for p in packages if p["origin"]["kind"] in {"index", "unknown"}]
    if len(indexed) != len(packages):
        print(f"  ({len(packages) - len(indexed)} packages not from an index left out of the pins)")
    return sorted((p["name"], p["version"]) for p in indexed)


# ---- the loopback OSV API, in a child process so its matching does not share our GIL ----


def serve_osv(archives: list[Path], latency: float, conn: Connection) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.support.osv_api import OsvApi, records_from_tar
    from tests.support.server import ReplayServer, Reply

    api = OsvApi(record for archive in archives for record in records_from_tar(archive))
    server = ReplayServer()
    api.install(server)

    def count(method: str, path: str, body: bytes) -> Reply | None:
        if path == "/__count__":
            server.requests.pop()  # OSV requests only: pypistats may be pointed here too (--peers)
            osv = sum(1 for _method, asked in server.requests if asked.startswith("/v1/"))
            return Reply(200, json.dumps(osv).encode())
        return None

    server.handlers.insert(0, count)
    server.start()
    server.latency = latency
    conn.send((server.url, len(api.by_id)))
    conn.recv()
    server.stop()


def served(base: str) -> int:
    with urllib.request.urlopen(base + "/__count__") as answer:
        count: int = json.loads(answer.read())
    return count


# ---- advisory ids, grouped by aliases so PYSEC-x and its GHSA alias count as one ----


def supplychain_ids(report: Path) -> dict[str, set[frozenset[str]]]:
    data = json.loads(report.read_text())
    found: dict[str, set[frozenset[str]]] = {}
    for package in data["packages"]:
        for advisory in package.get("advisories") or []:
            if advisory.get("withdrawn"):
                continue
            ids = frozenset([advisory["id"], *advisory.get("aliases", [])])
            found.setdefault(package["name"], set()).add(ids)
    return found


def pip_audit_ids(report: Path) -> dict[str, set[frozenset[str]]]:
    data = json.loads(report.read_text())
    found: dict[str, set[frozenset[str]]] = {}
    for dependency in data["dependencies"]:
        for vuln in dependency.get("vulns", []):
            ids = frozenset([vuln["id"], *vuln.get("aliases", [])])
            found.setdefault(_canonical(dependency["name"]), set()).add(ids)
    return found


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def unmatched(
    left: dict[str, set[frozenset[str]]], right: dict[str, set[frozenset[str]]]
) -> list[tuple[str, str]]:
    """Advisories in ``left`` whose id and aliases meet none of ``right``'s for the same package."""
    missing = []
    for name, groups in sorted(left.items()):
        others = right.get(name, set())
        for group in sorted(groups, key=sorted):
            if not any(group & other for other in others):
                missing.append((name, min(group)))
    return missing


def advisory_count(found: dict[str, set[frozenset[str]]]) -> int:
    return sum(len(groups) for groups in found.values())


# ---- the steps ----


def ensure_pip_audit(given: Path | None, work: Path) -> Path:
    if given:
        return given
    venv = work / "pip-audit-venv"
    binary = venv / "bin" / "pip-audit"
    if not binary.exists():
        print(f"installing pip-audit into {venv} ...")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "pip-audit"], check=True)
    return binary


def checkout_env(**extra: str) -> dict[str, str]:
    """This checkout's code, bytecode cached as in an installed copy, plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def ensure_uv(given: Path | None, work: Path) -> Path | None:
    """A uv with ``uv audit`` (0.13 has it), or None when it cannot be installed here."""
    if given:
        return given
    venv = work / "uv-venv"
    binary = venv / "bin" / "uv"
    if not binary.exists():
        print(f"installing uv into {venv} ...")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "uv"], check=False)
    if not binary.exists():
        return None
    probe = subprocess.run([str(binary), "audit", "--help"], check=False, capture_output=True)
    return binary if probe.returncode == 0 else None


def start_osv(archives: list[Path], latency: float) -> tuple[str, Connection, multiprocessing.Process]:
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("fork").Process(
        target=serve_osv, args=(archives, latency, child), daemon=True
    )
    server.start()
    base, _records = parent.recv()
    return base, parent, server


def peers(
    lock: Path,
    extra_flags: list[str],
    work: Path,
    args: argparse.Namespace,
    pins: Path,
    latencies: list[float],
) -> None:
    """Issue 16's table: ours (OSV over the loopback API), pip-audit and uv audit, warm and cold."""
    pip_audit = ensure_pip_audit(args.pip_audit, work)
    uv = ensure_uv(args.uv, work)
    project = work / "uv-project"  # uv audit reads the project next to its lock
    project.mkdir(exist_ok=True)
    for name in ("pyproject.toml", "uv.lock"):
        if (lock.parent / name).exists():
            shutil.copy(lock.parent / name, project / name)
    archives = [args.data / name for name in ADVISORY_ARCHIVES]
    print("\n== issue 16: advisories from a loopback OSV API ==")
    for latency in latencies:
        base, conn, server = start_osv(archives, latency)
        label = f"OSV at {latency * 1000:.0f} ms/request"
        data = work / "data-no-advisories"  # top packages only: the OSV source asks the API
        env = checkout_env(
            SUPPLYCHAIN_CACHE_DIR=str(work / "cache-osv-api"),
            SUPPLYCHAIN_DATA_DIR=str(data),
            SUPPLYCHAIN_OSV_URL=base + "/",
            SUPPLYCHAIN_PYPISTATS_URL=base + "/pypistats/",
        )
        if not data.exists():
            run([str(SUPPLYCHAIN), "db", "update", "--from", str(args.data / DATA_FILES[2])], env)
        ours = [str(SUPPLYCHAIN), "audit", str(lock), *extra_flags, "--quiet"]
        if not (work / "cache-osv-api").exists():
            shutil.copytree(work / "cache", work / "cache-osv-api")  # PyPI answers warm, OSV's not
        before = served(base)
        first = run(ours, env)
        asked = served(base) - before
        print(f"[{label}] ours, first run with this OSV ({asked} OSV requests): {spread([first])}")
        before = served(base)
        warm = [run([*ours, RERUN], env) for _ in range(args.runs)]
        asked = (served(base) - before) // max(1, len(warm))
        print(f"[{label}] ours, warm online, audited again ({asked} OSV requests/run): {spread(warm)}")
        reused = [run(ours, env) for _ in range(args.runs)]
        print(f"[{label}] ours, warm online, result reused: {spread(reused)}")
        pa = [
            str(pip_audit), "--disable-pip", "--no-deps", "-r", str(pins), "-s", "osv",
            "--osv-url", f"{base}/v1/query", "--progress-spinner", "off", "-f", "json",
        ]  # fmt: skip
        cold_pa = [
            run([*pa, "--cache-dir", str(work / f"pa-cold-{latency}-{n}")], env, work / "pa.json")
            for n in range(args.pip_audit_runs)
        ]
        print(f"[{label}] pip-audit, cold cache: {spread(cold_pa)}")
        warm_pa = [
            run([*pa, "--cache-dir", str(work / "pa-warm")], env, work / "pa.json")
            for _ in range(args.pip_audit_runs)
        ]
        print(f"[{label}] pip-audit, warm cache: {spread(warm_pa)}")
        print(
            f"[{label}] ratio pip-audit warm / ours warm: "
            f"audited again {median(warm_pa) / median(warm):.1f}x, "
            f"result reused {median(warm_pa) / median(reused):.1f}x (target >= 10x)"
        )
        if uv is None:
            print(f"[{label}] uv audit: not available (no uv with `uv audit` could be installed)")
        else:
            ua = [str(uv), "audit", "--frozen", "--service-url", base + "/", "--output-format", "json"]
            uv_env = {**env, "UV_CACHE_DIR": str(work / "uv-cache")}
            uv_runs = [run(ua, uv_env, work / "uv-audit.json", cwd=project) for _ in range(args.runs)]
            print(f"[{label}] uv audit --frozen (whole lock): {spread(uv_runs)}")
            print(
                f"[{label}] ratio ours warm / uv audit: audited again {median(warm) / median(uv_runs):.1f}x, "
                f"result reused {median(reused) / median(uv_runs):.1f}x"
            )
        conn.send("done")
        server.join(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock", nargs="?", type=Path, default=DEFAULT_LOCK)
    parser.add_argument("--extra", action="append", help="extra to audit (default for the HELM lock: all)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pip-audit-runs", type=int, default=3)
    parser.add_argument("--work", type=Path, help="keep cache, data and reports here (default: a temp dir)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dir with the three data files")
    parser.add_argument("--pip-audit", type=Path, help="pip-audit binary (default: a venv in --work)")
    parser.add_argument(
        "--osv-latency", type=float, default=0.0, help="seconds the OSV emulator waits per request"
    )
    parser.add_argument("--skip-pip-audit", action="store_true")
    parser.add_argument("--peers", action="store_true", help="issue 16's table: ours, pip-audit, uv audit")
    parser.add_argument("--uv", type=Path, help="a uv binary with `uv audit` (default: a venv in --work)")
    parser.add_argument("--latencies", default="0,0.02", help="OSV emulator latencies for --peers, seconds")
    args = parser.parse_args()
    lock = args.lock.resolve()
    extras = args.extra if args.extra is not None else (["all"] if lock == DEFAULT_LOCK else [])
    work = args.work or Path(tempfile.mkdtemp(prefix="supplychain-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = checkout_env(
        SUPPLYCHAIN_CACHE_DIR=str(work / "cache"),
        SUPPLYCHAIN_DATA_DIR=str(work / "data"),
    )
    extra_flags = [flag for extra in extras for flag in ("--extra", extra)]
    audit = [str(SUPPLYCHAIN), "audit", str(lock), *extra_flags, "--quiet"]
    shown = lock.relative_to(ROOT) if lock.is_relative_to(ROOT) else lock
    print(f"lock: {shown} {' '.join(extra_flags)}".rstrip())
    print(f"work dir: {work}")

    cold_cache = not (work / "cache").exists()
    sources = [flag for name in DATA_FILES for flag in ("--from", str(args.data / name))]
    imported = run([str(SUPPLYCHAIN), "db", "update", *sources], env)
    print(f"db update --from (3 files): {imported.wall:.2f} s")

    pins = pins_of(lock, extras, env)
    print(f"packages: {len(pins)}")
    first = run(audit, env)
    print(f"{'cold' if cold_cache else 'first'} online audit (warms the cache): {first.wall:.2f} s")
    version = [run([str(SUPPLYCHAIN), "--version"], env) for _ in range(args.runs)]
    print(f"supplychain --version:  {spread(version)}")
    full = [*audit, RERUN]
    offline = [run([*full, "--offline"], env) for _ in range(args.runs)]
    print(f"warm audit --offline, audited again ({RERUN}): {spread(offline)}   issue 16 target 0.5 s")
    run([*audit, "--offline"], env)  # keeps its result
    reused = [run([*audit, "--offline"], env) for _ in range(args.runs)]
    print(f"warm audit --offline, result reused (unchanged files, < 5 min): {spread(reused)}")
    online = [run(full, env) for _ in range(args.runs)]
    print(f"warm audit (online), audited again: {spread(online)}")
    run(audit, env)
    reused_online = [run(audit, env) for _ in range(args.runs)]
    print(f"warm audit (online), result reused: {spread(reused_online)}")
    requirements = work / "pins.txt"
    # One pin per name (the last listed): a lock's forks hold some names at two versions, and two
    # conflicting pins in one requirements file are an input error, for pip and for us alike.
    one_each = dict(pins)
    requirements.write_text("".join(f"{name}=={version}\n" for name, version in one_each.items()))
    if args.peers:
        latencies = [float(value) for value in args.latencies.split(",")]
        peers(lock, extra_flags, work, args, requirements, latencies)
    if args.skip_pip_audit:
        return 0

    flat = [str(SUPPLYCHAIN), "audit", str(requirements), "--no-deps", RERUN, "--quiet", "--offline"]
    first_flat = run(flat[:-1], env)  # the pins file is a new input: one online run to warm it
    print(f"pins.txt audit --no-deps, first online run: {first_flat.wall:.2f} s")
    flat_runs = [run(flat, env) for _ in range(args.runs)]
    print(f"warm audit pins.txt --no-deps --offline: {spread(flat_runs)}")
    only = [str(PYTHON), "-c", ADVISORIES_ONLY, *flat[1:]]
    advisory_runs = [run(only, env) for _ in range(args.runs)]
    print(f"advisories only (hook: osv source alone), pins.txt --offline: {spread(advisory_runs)}")
    report = work / "supplychain-report.json"
    run([*flat[:-2], "--offline", "--format", "json"], env, report)

    pip_audit = ensure_pip_audit(args.pip_audit, work)
    parent, child = multiprocessing.Pipe()
    archives = [args.data / name for name in ADVISORY_ARCHIVES]
    server = multiprocessing.get_context("fork").Process(
        target=serve_osv, args=(archives, args.osv_latency, child), daemon=True
    )
    server.start()
    base, records = parent.recv()
    print(f"OSV API emulator: {base}, {records} records, {args.osv_latency * 1000:.0f} ms per request")
    pa_report = work / "pip-audit-report.json"
    pa_command = [
        str(pip_audit), "--disable-pip", "--no-deps", "-r", str(requirements),
        "-s", "osv", "--osv-url", f"{base}/v1/query", "--progress-spinner", "off",
        "--cache-dir", str(work / "pip-audit-cache"), "-f", "json", "-o", str(pa_report),
    ]  # fmt: skip
    before = served(base)
    pa_runs = [run(pa_command, env) for _ in range(args.pip_audit_runs)]
    queries = (served(base) - before) // max(1, len(pa_runs))
    version = subprocess.run([str(pip_audit), "--version"], check=False, capture_output=True, text=True)
    print(f"{version.stdout.strip()}")
    print(f"pip-audit -s osv (loopback, {queries} requests/run): {spread(pa_runs)}")
    parent.send("done")
    server.join(timeout=10)

    pa = median(pa_runs)
    for what, runs in (
        ("full audit of the lock, warm --offline", offline),
        ("full audit of pins.txt --no-deps, warm --offline", flat_runs),
        ("advisories only (hook), pins.txt --offline", advisory_runs),
    ):
        print(f"ratio pip-audit / supplychain, {what}: {pa / median(runs):.1f}x")
    print("  target: >= 10x")

    ours, theirs = supplychain_ids(report), pip_audit_ids(pa_report)
    print(
        f"advisories: supplychain {advisory_count(ours)} in {len(ours)} packages, "
        f"pip-audit {advisory_count(theirs)} in {len(theirs)} packages"
    )
    only_ours, only_theirs = unmatched(ours, theirs), unmatched(theirs, ours)
    print(f"  only supplychain ({len(only_ours)}): {', '.join(f'{n}:{i}' for n, i in only_ours) or '-'}")
    print(f"  only pip-audit ({len(only_theirs)}): {', '.join(f'{n}:{i}' for n, i in only_theirs) or '-'}")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
