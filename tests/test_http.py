"""The network door: caching, offline, limits, retries, redirects and redaction."""

from __future__ import annotations

import asyncio
import base64
import gzip
import sqlite3
import tracemalloc
from pathlib import Path

import httpx
import pytest

from supplychain.errors import FetchError, HttpStatusError, MalformedResponse, OfflineMiss, ResponseTooLarge
from supplychain.net.http import HttpSettings, build_http
from supplychain.urls import scrub
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


def test_the_cache_is_read_and_written_without_a_worker_thread_per_statement(
    server: ReplayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """hishel's storage calls SQLite in place (``DirectConnection``), not through anysqlite's threads."""
    import anyio.to_thread

    handed_off: list[str] = []
    real = anyio.to_thread.run_sync

    async def counting(function: object, *args: object, **kwargs: object) -> object:
        handed_off.append(repr(function))
        return await real(function, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    server.json("/pypi/x/json", {"ok": 1})
    settings = HttpSettings(cache_dir=tmp_path)
    assert fetch(settings, server.url + "/pypi/x/json") == (b'{"ok": 1}', False)
    assert fetch(settings, server.url + "/pypi/x/json") == (b'{"ok": 1}', True)
    assert [call for call in handed_off if "sqlite" in call] == []
    # what hishel writes beside a database it opens itself, so a cache in a repository stays out of git
    assert (tmp_path / ".gitignore").read_text() == "# Automatically created by Hishel\n*"


def test_offline_without_a_cache_is_an_offline_miss_naming_the_url_without_credentials(
    server: ReplayServer,
) -> None:
    url = server.url.replace("://", "://alice:s3cret@") + "/simple/x/"
    expected = r"\*\*\*@127\.0\.0\.1:\d+/simple/x/: not in the cache \(--offline\)"
    with pytest.raises(OfflineMiss, match=expected):
        fetch(HttpSettings(offline=True), url)
    assert server.requests == []


def test_an_online_connection_error_reading_offline_is_retried_like_any_other() -> None:
    """The offline miss is a type: an httpx error whose text is "offline" is not mistaken for one."""
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        if len(calls) == 1:
            raise httpx.ConnectError("offline", request=request)
        return httpx.Response(200, stream=httpx.ByteStream(b"[]"))

    async def go() -> bytes:
        http = build_http(HttpSettings(), transport=httpx.MockTransport(answer))
        try:
            return (await http.get("http://127.0.0.1:9/x")).content
        finally:
            await http.aclose()

    assert asyncio.run(go()) == b"[]"  # before: not retried, "connection failed" after one attempt
    assert len(calls) == 2


def test_refetching_keeps_one_stored_answer_per_request_and_offline_reads_the_newest(
    server: ReplayServer, tmp_path: Path
) -> None:
    bodies = iter([b'{"v": 1}', b'{"v": 2}', b'{"v": 3}'])
    # stale at once, no validators: like the reachable PyPI, every online run fetches again
    server.handlers.append(lambda m, p, b: Reply(200, next(bodies), {"Cache-Control": "max-age=0"}))
    settings = HttpSettings(cache_dir=tmp_path)
    for expected in (b'{"v": 1}', b'{"v": 2}', b'{"v": 3}'):
        assert fetch(settings, server.url + "/pypi/x/json") == (expected, False)
    offline = HttpSettings(cache_dir=tmp_path, offline=True)
    assert fetch(offline, server.url + "/pypi/x/json")[0] == b'{"v": 3}'
    with sqlite3.connect(tmp_path / "http-cache.sqlite") as db:
        (visible,) = db.execute(
            "SELECT COUNT(*) FROM entries WHERE expires_at IS NULL OR expires_at > 0"
        ).fetchone()
    assert visible == 1  # before: one more copy of the answer per run, without bound


def test_an_identical_refetch_is_not_stored_again_but_its_headers_are_refreshed(
    server: ReplayServer, tmp_path: Path
) -> None:
    """The reachable index sends no validators: a warm run refetches every page whole. A body equal
    to the stored one only updates the stored headers (offline then reads the newest), nothing new
    is written."""
    runs = iter(range(1, 4))
    server.handlers.append(
        lambda m, p, b: Reply(200, b'{"same": 1}', {"Cache-Control": "max-age=0", "X-Run": str(next(runs))})
    )
    settings = HttpSettings(cache_dir=tmp_path)
    for _ in range(3):
        assert fetch(settings, server.url + "/simple/x/") == (b'{"same": 1}', False)

    async def offline_headers() -> dict[str, str]:
        http = build_http(HttpSettings(cache_dir=tmp_path, offline=True))
        try:
            response = await http.get(server.url + "/simple/x/", accept="application/json")
            assert response.content == b'{"same": 1}'
            return dict(response.headers)
        finally:
            await http.aclose()

    assert asyncio.run(offline_headers()).get("x-run") == "3"
    with sqlite3.connect(tmp_path / "http-cache.sqlite") as db:
        (rows,) = db.execute("SELECT COUNT(*) FROM entries").fetchone()
        (chunks,) = db.execute("SELECT COUNT(*) FROM streams").fetchone()
    assert (rows, chunks) == (1, 1)  # before: a new entry and body per run, older ones hidden


def test_a_body_beyond_the_held_size_reaches_the_caller_and_the_cache_whole(
    server: ReplayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only bodies up to HELD_BYTES are held for the comparison: a whole sdist is not kept twice in
    memory; it reaches the caller whole and is stored whole all the same."""
    monkeypatch.setattr("supplychain.net.http_store.HELD_BYTES", 1024)
    body = bytes(range(256)) * 2048  # 512 KiB, several chunks
    headers = {"Content-Type": "application/octet-stream", "Cache-Control": "max-age=0"}  # refetched
    server.routes["/files/a.tar.gz"] = Reply(200, body, headers)
    settings = HttpSettings(cache_dir=tmp_path)
    for _ in range(2):
        assert fetch(settings, server.url + "/files/a.tar.gz")[0] == body
    assert fetch(HttpSettings(cache_dir=tmp_path, offline=True), server.url + "/files/a.tar.gz")[0] == body
    with sqlite3.connect(tmp_path / "http-cache.sqlite") as db:
        (visible,) = db.execute(
            "SELECT COUNT(*) FROM entries WHERE expires_at IS NULL OR expires_at > 0"
        ).fetchone()
    assert visible == 1


def test_a_retry_after_date_in_utc_of_unknown_source_is_honoured(server: ReplayServer) -> None:
    """``-0000`` parsed naive, and subtracting it from an aware now raised TypeError mid-fetch."""
    past = "Thu, 01 Jan 2026 00:00:00 -0000"
    replies = iter([Reply(503, b"", {"Retry-After": past}), Reply(200, b"[]")])
    server.handlers.append(lambda method, path, body: next(replies))
    assert fetch(HttpSettings(), server.url + "/x")[0] == b"[]"
    assert len(server.requests) == 2


def test_429_with_retry_after_is_retried_then_succeeds(server: ReplayServer) -> None:
    replies = iter([Reply(429, b"", {"Retry-After": "0"}), Reply(200, b"[]")])
    server.handlers.append(lambda method, path, body: next(replies))
    assert fetch(HttpSettings(), server.url + "/x")[0] == b"[]"
    assert len(server.requests) == 2


def test_retries_print_nothing_and_log_without_credentials(
    server: ReplayServer, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    replies = iter([Reply(503, b""), Reply(200, b"[]")])
    server.handlers.append(lambda method, path, body: next(replies))
    url = server.url.replace("://", "://alice:s3cr3t-token@") + "/x"
    with caplog.at_level("DEBUG"):
        assert fetch(HttpSettings(), url)[0] == b"[]"
    assert capfd.readouterr().err == ""  # stamina's default hook printed "stamina.retry_scheduled"
    assert "attempt 2 for" in caplog.text
    assert "s3cr3t" not in caplog.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET https://u:p@h.example/simple/ 503", "GET https://***@h.example/simple/ 503"),
        ("'http://tok@h/x' and git+https://a:b@g/r", "'http://***@h/x' and git+https://***@g/r"),
        ("mail me at a@b.example, https://h/x", "mail me at a@b.example, https://h/x"),
        # A quote is legal in userinfo (RFC 3986 sub-delims); the report scrubber left it whole.
        ("pkg @ https://u:it's@h/x.whl", "pkg @ https://***@h/x.whl"),
        ('{"url": "https://u:p\\"w@h/x"}', '{"url": "https://***@h/x"}'),
        # urllib and httpx take the LAST "@" of the authority; every scrubber left "ss" in view.
        ("https://u:p@ss@h/x", "https://***@h/x"),
        # After "?" or "#" an "@" is no userinfo; the input scrubber masked the host away.
        (
            "https://h.example?next=a@b and https://h.example#x@y",
            "https://h.example?next=a@b and https://h.example#x@y",
        ),
    ],
)
def test_scrub_masks_userinfo_in_free_text(text: str, expected: str) -> None:
    assert scrub(text) == expected


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


def test_a_compression_bomb_is_refused_without_inflating_it(server: ReplayServer) -> None:
    bomb = gzip.compress(b"0" * (64 * 1024 * 1024), compresslevel=9)  # ~64 KB that inflates to 64 MB
    server.routes["/bomb"] = Reply(
        200, bomb, {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLarge, match="exceeds 1048576 bytes"):
            fetch(HttpSettings(max_bytes=1024 * 1024), server.url + "/bomb")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024  # httpx's decoder inflated a whole network chunk: ~64 MB


def test_a_gzip_answer_is_cached_and_read_back_offline_decoded(server: ReplayServer, tmp_path: Path) -> None:
    server.routes["/pypi/x/json"] = Reply(200, gzip.compress(b'{"ok": 1}'), {"Content-Encoding": "gzip"})
    assert fetch(HttpSettings(cache_dir=tmp_path), server.url + "/pypi/x/json") == (b'{"ok": 1}', False)
    offline = HttpSettings(cache_dir=tmp_path, offline=True)
    assert fetch(offline, server.url + "/pypi/x/json") == (b'{"ok": 1}', True)
    assert len(server.requests) == 1


def test_a_gzip_body_is_decoded_and_a_corrupt_one_is_malformed(server: ReplayServer) -> None:
    server.routes["/ok"] = Reply(200, gzip.compress(b'{"ok": 1}'), {"Content-Encoding": "gzip"})
    server.routes["/bad"] = Reply(200, b"not gzip at all", {"Content-Encoding": "gzip"})
    server.routes["/br"] = Reply(200, b"\x00", {"Content-Encoding": "br"})
    assert fetch(HttpSettings(), server.url + "/ok")[0] == b'{"ok": 1}'
    with pytest.raises(MalformedResponse, match="compressed body is corrupt"):
        fetch(HttpSettings(), server.url + "/bad")
    with pytest.raises(MalformedResponse, match="unsupported Content-Encoding 'br'"):
        fetch(HttpSettings(), server.url + "/br")


def test_large_json_bodies_are_read_one_at_a_time(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supplychain.net import http as door

    big, small = b"[" + b"0," * 400_000 + b"0]", b"[0]"
    for n in range(6):
        server.routes[f"/big/{n}"] = Reply(200, big, {"Content-Type": "application/json"})
        server.routes[f"/small/{n}"] = Reply(200, small, {"Content-Type": "application/json"})
    reading, most = [0], [0]
    original = door._read_limited

    async def counted(response: object, *args: object) -> bytes:
        large = door._is_large(response)  # type: ignore[arg-type]
        reading[0] += large
        most[0] = max(most[0], reading[0])
        try:
            await asyncio.sleep(0.05)
            return await original(response, *args)  # type: ignore[arg-type]
        finally:
            reading[0] -= large

    monkeypatch.setattr(door, "_read_limited", counted)

    async def go() -> list[object]:
        http = build_http(HttpSettings())
        try:
            urls = [f"{server.url}/{kind}/{n}" for kind in ("big", "small") for n in range(6)]
            return await asyncio.gather(*(http.get_json(url) for url in urls))
        finally:
            await http.aclose()

    answers = asyncio.run(go())
    assert len(answers) == 12
    assert most[0] == door._LARGE_AT_ONCE == 1


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


def test_truncated_body_is_a_fetch_error_not_partial_data(server: ReplayServer) -> None:
    server.routes["/t"] = Reply(200, b'{"info": ', {"Content-Length": "400", "Connection": "close"})
    with pytest.raises(FetchError, match="truncated"):
        fetch(HttpSettings(), server.url + "/t")


def test_slow_response_times_out(server: ReplayServer) -> None:
    server.routes["/slow"] = Reply(200, b"{}", delay=1.5)
    with pytest.raises(FetchError, match="timed out"):
        fetch(HttpSettings(timeout=0.3), server.url + "/slow")


def test_redirect_loop_stops(server: ReplayServer) -> None:
    server.routes["/loop"] = Reply(302, b"", {"Location": "/loop"})
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch(HttpSettings(), server.url + "/loop")


def test_same_host_redirect_is_followed(server: ReplayServer) -> None:
    server.routes["/old"] = Reply(301, b"", {"Location": "/new"})
    server.json("/new", {"moved": True})
    assert fetch(HttpSettings(), server.url + "/old")[0] == b'{"moved": true}'


def test_dns_failure_is_reported_as_such() -> None:
    with pytest.raises(FetchError, match=r"nonexistent\.invalid/simple/: DNS lookup failed"):
        fetch(HttpSettings(timeout=2), "https://nonexistent.invalid/simple/")


def test_malformed_json_is_malformed_response(server: ReplayServer) -> None:
    server.routes["/bad"] = Reply(200, b"<html>not json</html>")

    async def go() -> object:
        http = build_http(HttpSettings())
        try:
            return await http.get_json(server.url + "/bad")
        finally:
            await http.aclose()

    with pytest.raises(MalformedResponse, match="not valid JSON"):
        asyncio.run(go())


def test_cache_is_keyed_by_host_so_one_index_never_answers_for_another(
    server: ReplayServer, tmp_path: Path
) -> None:
    other = ReplayServer().start()
    try:
        server.json("/simple/x/", {"from": "first"})
        other.json("/simple/x/", {"from": "second"})
        settings = HttpSettings(cache_dir=tmp_path)
        assert fetch(settings, server.url + "/simple/x/")[0] == b'{"from": "first"}'
        assert fetch(settings, other.url + "/simple/x/")[0] == b'{"from": "second"}'
    finally:
        other.stop()


def test_credentials_are_sent_but_keyed_apart(server: ReplayServer, tmp_path: Path) -> None:
    seen: list[str] = []

    def record_auth(method: str, path: str, body: bytes) -> None:
        seen.append(path)

    server.handlers.append(record_auth)  # type: ignore[arg-type]
    server.json("/simple/private/", {"ok": True})
    base = server.url.replace("http://", "http://alice:tok3n@")
    settings = HttpSettings(cache_dir=tmp_path)
    fetch(settings, base + "/simple/private/")
    fetch(settings, server.url + "/simple/private/")  # no credentials: must not reuse the entry
    assert seen == ["/simple/private/", "/simple/private/"]


def _cache_files_holding(directory: Path, *secrets: str) -> list[str]:
    """Every file (database, WAL, anything) under ``directory`` whose bytes hold one of ``secrets``."""
    return sorted(
        f"{path.name}: {secret}"
        for path in directory.rglob("*")
        if path.is_file()
        for secret in secrets
        if secret.encode() in path.read_bytes()
    )


def test_a_public_authenticated_answer_is_cached_without_its_credential(
    server: ReplayServer, tmp_path: Path
) -> None:
    """``public`` lets a shared cache store an answer to an authenticated request: store it, not the token."""
    server.cache_control = "public, max-age=3600"
    server.json("/simple/private/", {"ok": True})
    url = server.url.replace("http://", "http://user:SECRET@") + "/simple/private/"
    settings = HttpSettings(cache_dir=tmp_path)
    assert fetch(settings, url) == (b'{"ok": true}', False)
    assert fetch(settings, url) == (b'{"ok": true}', True)  # still cached: warm runs stay warm
    assert fetch(HttpSettings(cache_dir=tmp_path, offline=True), url)[0] == b'{"ok": true}'
    basic = base64.b64encode(b"user:SECRET").decode()
    assert _cache_files_holding(tmp_path, "SECRET", basic) == []


def test_two_tokens_for_one_url_never_share_an_answer(server: ReplayServer, tmp_path: Path) -> None:
    server.cache_control = "public, max-age=3600"
    server.json("/simple/private/", {"ok": True})
    alice = server.url.replace("http://", "http://alice:tok3n-A@") + "/simple/private/"
    bob = server.url.replace("http://", "http://bob:tok3n-B@") + "/simple/private/"
    settings = HttpSettings(cache_dir=tmp_path)
    assert fetch(settings, alice)[1] is False
    assert fetch(settings, bob)[1] is False  # another credential: asked again, not served alice's
    assert fetch(settings, alice)[1] is True
    offline = HttpSettings(cache_dir=tmp_path, offline=True)
    with pytest.raises(OfflineMiss):
        fetch(offline, server.url.replace("http://", "http://eve:guess@") + "/simple/private/")
    assert _cache_files_holding(tmp_path, "tok3n") == []


def test_an_authorization_header_keys_apart_and_is_not_stored(server: ReplayServer, tmp_path: Path) -> None:
    """A bearer token sent as a header (not in the URL) is keyed in and never stored either."""
    server.cache_control = "public, max-age=3600"
    server.json("/simple/private/", {"ok": True})
    url = server.url + "/simple/private/"

    def fetch_with(token: str) -> bool:
        async def go() -> bool:
            http = build_http(HttpSettings(cache_dir=tmp_path))
            http.client.headers["Authorization"] = f"Bearer {token}"
            try:
                return (await http.get(url, accept="application/json")).from_cache
            finally:
                await http.aclose()

        return asyncio.run(go())

    assert fetch_with("HEADER-SECRET") is False
    assert fetch_with("HEADER-SECRET") is True
    assert fetch_with("OTHER-SECRET") is False  # another credential, another entry
    assert fetch(HttpSettings(cache_dir=tmp_path), url)[1] is False  # and none at all, a third
    assert _cache_files_holding(tmp_path, "HEADER-SECRET", "OTHER-SECRET") == []


def test_a_stale_answer_with_an_etag_is_revalidated_and_a_304_reuses_the_stored_body(
    server: ReplayServer, tmp_path: Path
) -> None:
    """PyPI's pages carry an ETag: once stale, the door asks If-None-Match and keeps its copy on 304."""
    server.etags = True
    server.cache_control = "max-age=0"
    server.json("/simple/x/", {"files": []})
    settings = HttpSettings(cache_dir=tmp_path)
    assert fetch(settings, server.url + "/simple/x/") == (b'{"files": []}', False)
    assert fetch(settings, server.url + "/simple/x/") == (b'{"files": []}', True)
    assert fetch(settings, server.url + "/simple/x/") == (b'{"files": []}', True)
    assert server.validated == ["/simple/x/", "/simple/x/"]
    assert server.not_modified == 2


def test_a_fresh_answer_is_reused_without_asking_the_server(server: ReplayServer, tmp_path: Path) -> None:
    server.etags = True
    server.cache_control = "max-age=600"  # PyPI's Simple pages
    server.json("/simple/x/", {"files": []})
    settings = HttpSettings(cache_dir=tmp_path)
    for _ in range(3):
        assert fetch(settings, server.url + "/simple/x/")[0] == b'{"files": []}'
    assert len(server.requests) == 1
    assert server.not_modified == 0
