"""Shared fixtures: no network but loopback, a fixed clock, the replay server, isolated dirs."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import stamina

from supplychain.cli import register_commands
from supplychain.clock import FixedClock
from tests.support.server import ReplayServer

register_commands()  # the console entry registers only the command it runs; tests use them all

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--live", action="store_true", help="run tests that reach real PyPI / OSV")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--live"):
        return
    skip = pytest.mark.skip(reason="live test: pass --live to reach real services")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)


def _is_loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host.split("%", maxsplit=1)[0]).is_loopback
        except ValueError:
            return False
    return True  # AF_UNIX paths


@pytest.fixture(autouse=True)
def _loopback_only(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse any connection that is not to 127.0.0.0/8 or ::1, unless the test is ``live``."""
    if "live" in request.keywords:
        return
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: object) -> None:
        if not _is_loopback(address):
            raise OSError(f"test tried to reach the network: {address!r}")
        real_connect(self, address)  # type: ignore[arg-type]

    def guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host not in (None, "localhost") and not _is_loopback((host,)):
            raise socket.gaierror(f"test tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


@pytest.fixture(autouse=True)
def _isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test gets its own cache and data dir; nothing touches the user's."""
    base = tmp_path_factory.mktemp("dirs")
    monkeypatch.setenv("SUPPLYCHAIN_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("SUPPLYCHAIN_DATA_DIR", str(base / "data"))
    for name in (
        "INDEX",
        "PYPI",
        "OSV",
        "PYPISTATS",
        "INTEGRITY",
        "TOP_PACKAGES",
        "OSV_DATABASE",
    ):
        monkeypatch.delenv(f"SUPPLYCHAIN_{name}_URL", raising=False)
    monkeypatch.delenv("SUPPLYCHAIN_OFFLINE", raising=False)
    # A kept audit result would answer a test's second identical command (tests/test_result_cache.py
    # turns it back on): tests change servers and files between runs on purpose.
    monkeypatch.setenv("SUPPLYCHAIN_RESULT_CACHE", "off")


@pytest.fixture(autouse=True)
def _fast_retries() -> Iterator[None]:
    """Retries still happen (attempt counts are tested) but without sleeping."""
    stamina.set_testing(True, attempts=3)
    yield
    stamina.set_testing(False)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    replay = ReplayServer().start()
    yield replay
    replay.stop()
