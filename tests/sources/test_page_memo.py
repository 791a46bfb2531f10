"""The per-run page memo: one fetch for every source asking at once, no page kept once none reads it.

The simple and integrity sources both read each package's project page. The memo held every page
until enrichment ended: 28 MB of file entries for 1,000 packages at the first online run's memory
peak. It now holds a fetched page weakly; these tests pin both halves of that bargain.
"""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import httpx
import pytest
from packaging.version import Version

from supplychain.net.http import HttpSettings, build_http
from supplychain.sources.simple_index import fetch_page, forget_pages

SIX_JSON = Path(__file__).parents[1] / "fixtures" / "pypi" / "simple" / "six" / "index.json"
URL = "http://127.0.0.1:9/simple/six/"
SIX = Version("1.17.0")


def served(sent: list[str], status: int = 200) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        headers = {"Content-Type": "application/vnd.pypi.simple.v1+json"}
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(SIX_JSON.read_bytes()))

    return httpx.MockTransport(answer)


def test_sources_asking_at_once_share_one_fetch() -> None:
    sent: list[str] = []

    async def main() -> set[int]:
        http = build_http(HttpSettings(), transport=served(sent))
        try:
            pages = await asyncio.gather(*(fetch_page(http, URL, SIX) for _ in range(3)))
            return {id(page) for page in pages}
        finally:
            forget_pages(http)
            await http.aclose()

    assert len(asyncio.run(main())) == 1
    assert sent == [URL]


def test_a_page_still_read_is_not_fetched_again_and_one_no_source_holds_is_not_kept() -> None:
    sent: list[str] = []

    async def main() -> tuple[bool, bool]:
        http = build_http(HttpSettings(), transport=served(sent))
        try:
            page = await fetch_page(http, URL, SIX)
            again = await fetch_page(http, URL, SIX)  # a source still holds the first: the same page
            same = again is page
            del page, again
            await asyncio.sleep(0)  # the loop's handle that woke this step holds the answer until it ends
            gc.collect()
            later = await fetch_page(http, URL, SIX)  # nobody held it: fetched again, not kept
            return same, len(later.files) == 2
        finally:
            forget_pages(http)
            await http.aclose()

    assert asyncio.run(main()) == (True, True)
    assert sent == [URL, URL]


def test_a_failed_fetch_stays_memoised() -> None:
    sent: list[str] = []

    async def main() -> int:
        http = build_http(HttpSettings(attempts=1), transport=served(sent, status=404))
        failures = 0
        try:
            for _ in range(2):
                with pytest.raises(Exception, match="HTTP 404"):
                    await fetch_page(http, URL, SIX)
                failures += 1
        finally:
            forget_pages(http)
            await http.aclose()
        return failures

    assert asyncio.run(main()) == 2
    assert sent == [URL]
