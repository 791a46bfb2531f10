"""Requests queued for one host wait outside the retry machinery: only a few per host hold its state.

A 1,000-package audit queues ~3,000 requests for PyPI at once; each one waiting inside stamina's
retry context held ~4 KB, 12 MB at the first online run's memory peak.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from supplychain.net.http import Http, HttpSettings, build_http


def test_at_most_twice_the_host_limit_of_requests_are_inside_the_retry_machinery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inside = peak = 0
    attempts = Http._attempts

    async def counted(self: Http, *args: object, **kwargs: object) -> object:
        nonlocal inside, peak
        inside += 1
        peak = max(peak, inside)
        try:
            return await attempts(self, *args, **kwargs)  # type: ignore[arg-type]
        finally:
            inside -= 1

    monkeypatch.setattr(Http, "_attempts", counted)

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.01)
        body = json.dumps({"path": request.url.path}).encode()
        headers = {"Content-Type": "application/json"}
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))

    async def main() -> list[Any]:
        http = build_http(HttpSettings(per_host=2), transport=httpx.MockTransport(slow))
        try:
            urls = [f"http://127.0.0.1:9/{n}" for n in range(30)]
            return await asyncio.gather(*(http.get_json(url) for url in urls))
        finally:
            await http.aclose()

    answers = asyncio.run(main())
    assert answers == [{"path": f"/{n}"} for n in range(30)]
    assert peak == 4
