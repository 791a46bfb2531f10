"""A run that sends no request and asks no path query pays for neither httpx nor networkx (issue 16)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("httpx", "hishel", "anyio", "stamina", "networkx")
PROBE = f"""
import sys
import supplychain.audit, supplychain.cli.audit, supplychain.policy, supplychain.sources.enrich
from supplychain.net.http import HttpSettings, build_http
from supplychain.resolve.graph import DependencyGraph
build_http(HttpSettings(offline=True))
graph = DependencyGraph()
graph.depths(), graph.edges(), graph.names()
print(",".join(name for name in {HEAVY!r} if name in sys.modules))
"""


def loaded_by(probe: str, env: dict[str, str] | None = None) -> str:
    """What a fresh interpreter running ``probe`` prints (the heavy modules it found loaded)."""
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[1],
        env={**os.environ, **(env or {})},
        check=True,
    )
    return done.stdout.strip()


def test_pipeline_modules_and_the_door_import_no_http_client_or_networkx() -> None:
    assert loaded_by(PROBE) == ""


CLIENT_PROBE = """
import sys
from supplychain.net.http import HttpSettings, build_http
http = build_http(HttpSettings(offline=True))
http.client  # builds the httpx client: httpx, hishel, anyio and stamina are loaded now
import httpx
assert callable(httpx.main)
print(",".join(name for name in ("rich", "pygments", "click") if name in sys.modules))
"""


def test_the_http_client_does_not_load_httpxs_command_line_tool() -> None:
    """httpx's package imports its CLI (click, rich, pygments: 5 MB at the memory peak) unless the
    door's package stubs it; nothing in an audit without a terminal display needs those."""
    assert loaded_by(CLIENT_PROBE) == ""


LOCK_PROBE = """
import sys
from supplychain.cli import main
try:
    main(["audit", "benchmarks/data/helm-upstream/uv.lock", "--offline", "--quiet", "--no-result-cache"])
except SystemExit:
    pass
UNNEEDED = (
    "resolvelib",
    "supplychain.resolve.resolution",
    "supplychain.resolve.find_links",
    "rich.progress",
    "supplychain.inputs.conda",
    "supplychain.sources.archives",
)
print("loaded:" + ",".join(name for name in UNNEEDED if name in sys.modules))
"""


def test_auditing_a_lock_off_a_terminal_loads_no_resolver_and_no_live_display(tmp_path: Path) -> None:
    """A lock is read as locked: resolvelib, the index client and the find-links reader are for
    resolving, which a pre-commit audit of a lock never does; the live display is for a terminal,
    the conda reader for conda packages, the archive readers for ``db update``."""
    env = {"SUPPLYCHAIN_CACHE_DIR": str(tmp_path / "cache"), "SUPPLYCHAIN_DATA_DIR": str(tmp_path / "data")}
    assert loaded_by(LOCK_PROBE, env).splitlines()[-1:] == ["loaded:"]
