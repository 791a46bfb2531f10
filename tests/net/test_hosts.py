"""An unreachable host is remembered for a few minutes: no run waits on it twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from pathlib import Path

import httpx
import pytest

from supplychain.errors import FetchError
from supplychain.net.hosts import FILE, REMEMBER_FOR, HostMemory, HostUnreachable
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
