"""An unreachable host is remembered for a few minutes: no run waits on it twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from pathlib import Path

import httpx
import pytest

from supplychain.errors import FetchError
from supplychain.net.hosts import FILE, REMEMBER_AT_MOST, REMEMBER_FOR, HostMemory, HostUnreachable
from supplychain.net.http import HttpSettings, build_http


class Counting(httpx.AsyncBaseTransport):
    """The real transport, counting the requests that reach the network (each a connection attempt)."""

    def __init__(self) -> None:
        self.real = httpx.AsyncHTTPTransport()
        self.attempts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        return await self.real.handle_async_request(request)

    async def aclose(self) -> None:
        await self.real.aclose()


def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def audit_like_run(settings: HttpSettings, urls: list[str]) -> tuple[list[str], int]:
    """Fetch ``urls`` with one client, as one audit does: the errors seen, and connection attempts."""
    transport = Counting()

    async def go() -> list[str]:
        http = build_http(settings, transport)
        errors = []
        try:
            for url in urls:
                try:
                    await http.get(url)
                except FetchError as error:
                    errors.append(str(error))
        finally:
            await http.aclose()
        return errors

    return asyncio.run(go()), transport.attempts


def test_second_audit_makes_no_connection_attempt_to_a_closed_port(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/api/packages/six/recent"
    settings = HttpSettings(cache_dir=tmp_path, timeout=2, attempts=3)
    first, attempts = audit_like_run(settings, [url])
    assert attempts == 3  # one request's retries (a passing blip is still retried)
    assert "connection failed" in first[0]
    assert (tmp_path / FILE).stat().st_mode & 0o077 == 0
    second, attempts = audit_like_run(settings, [url, url.replace("six", "idna")])
    assert attempts == 0
    assert len(second) == 2
    assert all("host unreachable (remembered since " in error for error in second)
    assert all(error.endswith(" UTC: connection failed)") for error in second)


def test_one_run_asks_an_unreachable_host_once(tmp_path: Path) -> None:
    """Without a cache directory the memory lasts for the run."""
    port = closed_port()
    urls = [f"http://127.0.0.1:{port}/{name}" for name in ("a", "b", "c")]
    errors, attempts = audit_like_run(HttpSettings(timeout=2, attempts=3), urls)
    assert attempts == 3  # the first request's attempts, none for the others
    assert ["host unreachable" in error for error in errors] == [False, True, True]


def test_an_unreachable_host_is_forgotten_after_a_few_minutes(tmp_path: Path) -> None:
    clock = [dt.datetime(2026, 12, 3, 4, 0, tzinfo=dt.UTC)]
    memory = HostMemory(path=tmp_path / FILE, now=lambda: clock[0])
    memory.remember("https://pypistats.org:443", "DNS lookup failed")
    clock[0] += REMEMBER_FOR - dt.timedelta(seconds=1)
    later = HostMemory(path=tmp_path / FILE, now=lambda: clock[0])  # the next run reads the file
    assert later.since("https://pypistats.org:443") == dt.datetime(2026, 12, 3, 4, 0, tzinfo=dt.UTC)
    assert later.reason("https://pypistats.org:443") == (
        "host unreachable (remembered since 04:00 UTC: DNS lookup failed)"
    )
    assert later.since("https://pypistats.org:8443") is None  # another port is another service
    clock[0] += dt.timedelta(seconds=1)
    assert later.since("https://pypistats.org:443") is None


@pytest.mark.parametrize(
    "content", [b"", b"[1, 2]", b"{not json", b'{"http://x:80": {"since": "yesterday", "error": "x"}}']
)
def test_a_damaged_memory_file_is_an_empty_memory(tmp_path: Path, content: bytes) -> None:
    (tmp_path / FILE).write_bytes(content)
    assert HostMemory(path=tmp_path / FILE).since("http://x:80") is None


def test_a_host_that_answers_is_forgotten(tmp_path: Path) -> None:
    memory = HostMemory(path=tmp_path / FILE)
    memory.remember("http://127.0.0.1:9", "connection failed")
    memory.forget("http://127.0.0.1:9")
    assert HostMemory(path=tmp_path / FILE).since("http://127.0.0.1:9") is None
    assert issubclass(HostUnreachable, FetchError)


class Clock:
    def __init__(self) -> None:
        self.time = dt.datetime(2026, 12, 3, 4, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.time


def remembered_for(path: Path, clock: Clock, key: str) -> dt.timedelta:
    """How long a fresh run (reading ``path``) refuses ``key`` from now, to the minute."""
    memory = HostMemory(path=path, now=clock)
    start = clock.time
    assert memory.since(key) is not None
    minutes = 0
    while memory.since(key) is not None:
        minutes += 1
        clock.time = start + dt.timedelta(minutes=minutes)
    clock.time = start
    return dt.timedelta(minutes=minutes)


def test_a_host_failing_window_after_window_is_remembered_longer_each_time(tmp_path: Path) -> None:
    """Blocked egress: each window that ends in the same failure doubles the next, up to an hour."""
    clock, key = Clock(), "https://pypistats.org:443"
    windows = []
    for _ in range(6):
        HostMemory(path=tmp_path / FILE, now=clock).remember(key, "DNS lookup failed")
        window = remembered_for(tmp_path / FILE, clock, key)
        windows.append(window)
        clock.time += window  # the next run after the window asks, and fails again
    assert windows == [REMEMBER_FOR * n for n in (1, 2, 4, 8)] + [REMEMBER_AT_MOST] * 2
    HostMemory(path=tmp_path / FILE, now=clock).forget(key)  # it answered
    HostMemory(path=tmp_path / FILE, now=clock).remember(key, "DNS lookup failed")
    assert remembered_for(tmp_path / FILE, clock, key) == REMEMBER_FOR


def test_a_failure_long_after_the_last_window_starts_a_new_streak(tmp_path: Path) -> None:
    clock, key = Clock(), "https://pypistats.org:443"
    HostMemory(path=tmp_path / FILE, now=clock).remember(key, "DNS lookup failed")
    clock.time += REMEMBER_FOR
    HostMemory(path=tmp_path / FILE, now=clock).remember(key, "DNS lookup failed")
    assert remembered_for(tmp_path / FILE, clock, key) == 2 * REMEMBER_FOR
    clock.time += 2 * REMEMBER_FOR + REMEMBER_AT_MOST  # an hour without asking: the streak is over
    HostMemory(path=tmp_path / FILE, now=clock).remember(key, "DNS lookup failed")
    assert remembered_for(tmp_path / FILE, clock, key) == REMEMBER_FOR


def test_a_memory_file_without_streaks_is_read_as_single_failures(tmp_path: Path) -> None:
    clock = Clock()
    (tmp_path / FILE).write_text(
        '{"http://x:80": {"since": "2026-12-03T04:00:00+00:00", "error": "refused"}}'
    )
    assert remembered_for(tmp_path / FILE, clock, "http://x:80") == REMEMBER_FOR
