"""The start-up hooks source over a loopback index serving the real pytest-cov 5.0.0 wheel by ranges."""

from __future__ import annotations

import json
from pathlib import Path

from supplychain.clock import FixedClock
from supplychain.model import Known, StartupHook, Unknown
from supplychain.net.http import HttpSettings
from supplychain.sources.startup_hooks import StartupHooksSource
from tests.net.test_wheel_hooks import PYTEST_COV
from tests.sources.pypi_support import config_for, context_for, package, run_with
from tests.support.server import RangedFile, ReplayServer, Reply

PAGE_TYPE = {"Content-Type": "application/vnd.pypi.simple.v1+json"}
SHA256 = "4f0764a1219df53214206bf1feea4633c3b558a2925c8b59f144f682861ce652"  # PyPI's Simple page


def _serve(server: ReplayServer, files: list[dict[str, object]]) -> str:
    """The recorded Simple page's fields for pytest-cov 5.0.0, its file URLs pointed at loopback."""
    page = {"meta": {"api-version": "1.1"}, "name": "pytest-cov", "files": files}
    server.routes["/simple/pytest-cov/"] = Reply(200, json.dumps(page).encode(), PAGE_TYPE)
    return f"{server.url}/simple/"


def _collect(server: ReplayServer, index: str, tmp_path: Path, clock: FixedClock) -> object:
    source = StartupHooksSource()
    served = package("pytest-cov", "5.0.0", url=index)

    async def job(http):  # type: ignore[no-untyped-def]
        return await source.collect([served], context_for(http, config_for(tmp_path), clock))

    (patch,) = run_with(HttpSettings(timeout=5, attempts=1), job).values()
    return patch["startup_hooks"]


def test_pytest_cov_5_is_known_to_install_an_executable_pth(
    server: ReplayServer, tmp_path: Path, clock: FixedClock
) -> None:
    body = PYTEST_COV.read_bytes()
    wheel = RangedFile(200, body, {"Content-Type": "application/octet-stream"}, size=len(body) + 8 * 1024**2)
    server.routes["/files/pytest_cov-5.0.0-py3-none-any.whl"] = wheel
    index = _serve(
        server,
        [
            {
                "filename": "pytest_cov-5.0.0-py3-none-any.whl",
                "url": "../../files/pytest_cov-5.0.0-py3-none-any.whl",
                "hashes": {"sha256": SHA256},
                "size": wheel.total,
            }
        ],
    )
    hooks = _collect(server, index, tmp_path, clock)
    assert isinstance(hooks, Known)
    assert hooks.value == (StartupHook(member="pytest-cov.pth", runs_code=True),)
    assert wheel.asked == ["bytes=-65536"]  # one range read, never the whole (8 MiB) file


def test_an_sdist_only_version_has_unknown_hooks(
    server: ReplayServer, tmp_path: Path, clock: FixedClock
) -> None:
    index = _serve(
        server,
        [
            {
                "filename": "pytest-cov-5.0.0.tar.gz",
                "url": "../../files/x.tar.gz",
                "hashes": {"sha256": "0" * 64},
            }
        ],
    )
    hooks = _collect(server, index, tmp_path, clock)
    assert isinstance(hooks, Unknown)
    assert "sdist" in hooks.reason
    assert [path for _method, path in server.requests] == ["/simple/pytest-cov/"]


def test_an_unreadable_wheel_makes_hooks_unknown_not_none(
    server: ReplayServer, tmp_path: Path, clock: FixedClock
) -> None:
    server.routes["/files/pytest_cov-5.0.0-py3-none-any.whl"] = Reply(500, b"oops")
    index = _serve(
        server,
        [
            {
                "filename": "pytest_cov-5.0.0-py3-none-any.whl",
                "url": "../../files/pytest_cov-5.0.0-py3-none-any.whl",
                "hashes": {"sha256": SHA256},
            }
        ],
    )
    hooks = _collect(server, index, tmp_path, clock)
    assert isinstance(hooks, Unknown)
    assert "/files/pytest_cov-5.0.0-py3-none-any.whl: HTTP 500" in hooks.reason
