"""Start-up hooks of a wheel (.pth, sitecustomize) read by range requests, from real and built wheels."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from supplychain.errors import MalformedResponse
from supplychain.model import StartupHook
from supplychain.net.http import HttpSettings, build_http
from supplychain.net.wheel_hooks import MAX_PTH_MEMBERS, fetch_startup_hooks
from tests.net.test_wheel_metadata import METADATA, build, serve
from tests.support.server import ReplayServer

PYTEST_COV = Path(__file__).parents[1] / "fixtures" / "net" / "pytest_cov-5.0.0-py3-none-any.whl"
MIB = 1024**2


def hooks(url: str) -> tuple[tuple[StartupHook, ...], int]:
    """The hooks and the number of requests sent for them."""

    async def go() -> tuple[tuple[StartupHook, ...], int]:
        http = build_http(HttpSettings(attempts=1))
        try:
            return await fetch_startup_hooks(http, url), http.requests_sent
        finally:
            await http.aclose()

    return asyncio.run(go())


def test_pytest_cov_wheel_ships_an_executable_pth(server: ReplayServer) -> None:
    body = PYTEST_COV.read_bytes()
    url, served = serve(server, body, "pytest_cov-5.0.0-py3-none-any.whl", size=len(body) + 64 * MIB)
    found, sent = hooks(url)
    assert found == (StartupHook(member="pytest-cov.pth", runs_code=True),)
    assert sent == 1  # the tail holds this small wheel's directory and its .pth
    assert served.sent < 70 * 1024  # of a 64 MiB file


def test_a_pth_far_from_the_tail_is_range_read_and_paths_only_is_not_code(server: ReplayServer) -> None:
    """The .pth members lie before 200 KB of incompressible data: each is fetched by its own range."""
    wheel = build(
        [
            ("demo-paths.pth", b"# a comment\n../lib\nimportant/dir\n"),
            ("demo-hook.pth", b"import os; os.system('never run here')\n"),
            ("demo/blob.bin", os.urandom(200 * 1024)),
            ("demo-1.0.data/purelib/sitecustomize.py", b"print('never run')\n"),
            ("demo/deep/nested.pth", b"import os\n"),  # not in a site dir: site never reads it
            ("demo-1.0.dist-info/METADATA", METADATA),
        ]
    )
    url, _served = serve(server, wheel)
    found, sent = hooks(url)
    assert found == (
        StartupHook(member="demo-1.0.data/purelib/sitecustomize.py", runs_code=True),
        StartupHook(member="demo-hook.pth", runs_code=True),
        StartupHook(member="demo-paths.pth", runs_code=False),
    )
    assert sent == 2  # the tail, then one span (at least 16 KB) holding both .pth members


def test_a_wheel_without_hooks_has_none(server: ReplayServer) -> None:
    url, _served = serve(
        server, build([("demo/__init__.py", b""), ("demo-1.0.dist-info/METADATA", METADATA)])
    )
    assert hooks(url) == ((), 1)


def test_more_pth_files_than_can_be_read_is_an_error_not_a_pass(server: ReplayServer) -> None:
    members = [(f"p{i}.pth", b"import x\n") for i in range(MAX_PTH_MEMBERS + 1)]
    url, _served = serve(server, build([*members, ("demo-1.0.dist-info/METADATA", METADATA)]))
    with pytest.raises(MalformedResponse, match=r"\.pth files"):
        hooks(url)
