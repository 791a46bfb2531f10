"""The network door: caching, offline, limits, retries, redirects and redaction."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from supplychain.errors import FetchError, HttpStatusError, OfflineMiss, ResponseTooLarge
from supplychain.sources.http import HttpSettings, build_http
from tests.support.server import ReplayServer, Reply


def fetch(settings: HttpSettings, url: str) -> tuple[bytes, bool]:
    async def go() -> tuple[bytes, bool]:
        http = build_http(settings)
        try:
            response = await http.get(url, accept="application/json")
            return response.content, response.from_cache
        finally:
            await http.aclose()

    return asyncio.run(go())


def test_second_get_is_served_from_disk_cache_and_offline_reads_it(
    server: ReplayServer, tmp_path: Path
) -> None:
    server.json("/pypi/x/json", {"ok": 1})
    settings = HttpSettings(cache_dir=tmp_path)
    assert fetch(settings, server.url + "/pypi/x/json") == (b'{"ok": 1}', False)
    assert fetch(settings, server.url + "/pypi/x/json") == (b'{"ok": 1}', True)
    assert len(server.requests) == 1
    offline = HttpSettings(cache_dir=tmp_path, offline=True)
    assert fetch(offline, server.url + "/pypi/x/json")[0] == b'{"ok": 1}'
    with pytest.raises(OfflineMiss, match="--offline"):
        fetch(offline, server.url + "/pypi/other/json")
    assert len(server.requests) == 1
    assert (tmp_path / "http-cache.sqlite").stat().st_mode & 0o077 == 0


def test_429_with_retry_after_is_retried_then_succeeds(server: ReplayServer) -> None:
    replies = iter([Reply(429, b"", {"Retry-After": "0"}), Reply(200, b"[]")])
    server.handlers.append(lambda method, path, body: next(replies))
    assert fetch(HttpSettings(), server.url + "/x")[0] == b"[]"
    assert len(server.requests) == 2


def test_persistent_500_becomes_status_error_after_every_attempt(server: ReplayServer) -> None:
    server.routes["/x"] = Reply(500, b"boom")
    with pytest.raises(HttpStatusError, match="HTTP 500 after") as raised:
        fetch(HttpSettings(), server.url + "/x")
    assert raised.value.status == 500
    assert len(server.requests) == 3


def test_oversized_body_is_refused(server: ReplayServer) -> None:
    server.routes["/big"] = Reply(200, b"x" * 2048)
    with pytest.raises(ResponseTooLarge):
        fetch(HttpSettings(max_bytes=1024), server.url + "/big")


def test_redirect_to_another_host_is_refused(server: ReplayServer) -> None:
    server.routes["/r"] = Reply(302, b"", {"Location": "http://127.0.0.2:1/elsewhere"})
    with pytest.raises(FetchError, match="another host"):
        fetch(HttpSettings(), server.url + "/r")


def test_connection_refused_names_the_url_without_credentials() -> None:
    with pytest.raises(FetchError) as raised:
        fetch(HttpSettings(timeout=2), "http://alice:s3cret-token@127.0.0.1:9/simple/x/")
    text = raised.value.diagnostics()
    assert "s3cret-token" not in text
    assert "***@127.0.0.1:9" in text
