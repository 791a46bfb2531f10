"""Range requests through the network door: what a 206 must match, what a 200 means, what is cached."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from supplychain.errors import MalformedResponse, OfflineMiss, ResponseTooLarge
from supplychain.net.http import ByteRange, HttpSettings, build_http
from tests.support.faults import fault_server
from tests.support.server import RangedFile, ReplayServer, Reply

BODY = bytes(range(256)) * 4  # a file of 1,024 bytes


def get_range(settings: HttpSettings, url: str, *args: Any, **kwargs: Any) -> ByteRange:
    async def go() -> ByteRange:
        http = build_http(settings)
        try:
            return await http.get_range(url, *args, **kwargs)
        finally:
            await http.aclose()

    return asyncio.run(go())


def get(settings: HttpSettings, url: str) -> tuple[bytes, bool]:
    async def go() -> tuple[bytes, bool]:
        http = build_http(settings)
        try:
            response = await http.get(url)
            return response.content, response.from_cache
        finally:
            await http.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("start", "stop", "asked", "offset"),
    [(-100, None, "bytes=-100", 924), (10, 20, "bytes=10-19", 10), (1000, None, "bytes=1000-", 1000)],
)
def test_a_range_is_asked_without_compression_and_its_answer_placed(
    start: int, stop: int | None, asked: str, offset: int
) -> None:
    with fault_server() as server:
        served = RangedFile(200, BODY)
        server.routes["/f.whl"] = served
        answer = get_range(HttpSettings(attempts=1), server.url + "/f.whl", start, stop, size=len(BODY))
        assert served.asked == [asked]
        assert server.headers_seen[0]["Accept-Encoding"] == "identity"
    assert answer == ByteRange(offset=offset, total=1024, content=BODY[offset : stop or 1024], whole=False)


def test_a_suffix_longer_than_the_file_is_the_whole_file(server: ReplayServer) -> None:
    server.routes["/f.whl"] = RangedFile(200, BODY)
    answer = get_range(HttpSettings(attempts=1), server.url + "/f.whl", -65536)
    assert (answer.offset, answer.total, answer.content, answer.whole) == (0, 1024, BODY, False)


def test_a_server_ignoring_ranges_answers_with_the_whole_file(server: ReplayServer) -> None:
    server.routes["/f.whl"] = RangedFile(200, BODY, mode="ignore")
    answer = get_range(HttpSettings(attempts=1), server.url + "/f.whl", -100, size=1024)
    assert answer == ByteRange(offset=0, total=1024, content=BODY, whole=True)
    with pytest.raises(
        ResponseTooLarge, match="range request not honoured and the whole file exceeds 1000 bytes"
    ):
        get_range(HttpSettings(attempts=1), server.url + "/f.whl", -100, max_bytes=1000)


def test_a_206_longer_than_the_range_asked_is_refused_before_it_is_read(server: ReplayServer) -> None:
    server.routes["/f.whl"] = Reply(206, BODY, {"Content-Range": "bytes 0-99/1024"})
    with pytest.raises(MalformedResponse, match="1024 bytes sent for a range of 100"):
        get_range(HttpSettings(attempts=1), server.url + "/f.whl", 0, 100)


def test_a_206_to_a_request_for_the_whole_file_is_refused(server: ReplayServer) -> None:
    server.routes["/f.whl"] = Reply(206, BODY[:100], {"Content-Range": "bytes 0-99/1024"})
    with pytest.raises(MalformedResponse, match=r"partial content \(206\) to a request for the whole file"):
        get(HttpSettings(attempts=1), server.url + "/f.whl")


@pytest.mark.parametrize(
    ("content_range", "message"),
    [
        (None, "Content-Range '' unusable"),
        ("bytes 0-99/*", "Content-Range 'bytes 0-99/\\*' unusable"),
        ("bytes 1-100/1024", "asked for bytes 0-99 of 1024, got 'bytes 1-100/1024'"),
        ("bytes 0-49/1024", "asked for bytes 0-99 of 1024, got 'bytes 0-49/1024' with 100 bytes"),
    ],
)
def test_a_206_must_say_it_holds_the_range_asked(
    server: ReplayServer, content_range: str | None, message: str
) -> None:
    headers = {"Content-Range": content_range} if content_range else {}
    server.routes["/f.whl"] = Reply(206, BODY[:100], headers)
    with pytest.raises(MalformedResponse, match=message):
        get_range(HttpSettings(attempts=1), server.url + "/f.whl", 0, 100)


def test_a_file_of_another_size_than_expected_is_refused(server: ReplayServer) -> None:
    server.routes["/f.whl"] = RangedFile(200, BODY)
    with pytest.raises(MalformedResponse, match="the file has 1024 bytes, the index said 2048"):
        get_range(HttpSettings(attempts=1), server.url + "/f.whl", -10, size=2048)


def test_a_206_is_never_cached_as_the_whole_file(server: ReplayServer, tmp_path: Path) -> None:
    served = RangedFile(200, BODY)
    server.routes["/f.whl"] = served
    settings = HttpSettings(attempts=1, cache_dir=tmp_path)
    assert get_range(settings, server.url + "/f.whl", 0, 10).content == BODY[:10]
    with pytest.raises(OfflineMiss):
        get(HttpSettings(cache_dir=tmp_path, offline=True), server.url + "/f.whl")
    assert get(settings, server.url + "/f.whl") == (BODY, False)
    assert served.asked == ["bytes=0-9", None]
    offline = HttpSettings(cache_dir=tmp_path, offline=True)
    assert get(offline, server.url + "/f.whl") == (BODY, True)
    # the whole file, once cached, answers an offline range request as a 200 would
    assert get_range(offline, server.url + "/f.whl", 0, 10).whole


def test_a_byte_range_must_be_a_slice() -> None:
    with pytest.raises(ValueError, match="not a byte range"):
        get_range(HttpSettings(attempts=1), "http://127.0.0.1:9/f.whl", 10, 10)
