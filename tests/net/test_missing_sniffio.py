"""httpcore's per-request ``import sniffio``: settled once where sniffio is absent, left where present."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from importlib.machinery import ModuleSpec

import httpx
import pytest

from supplychain.net import http as http_module
from supplychain.net.http import HttpSettings, build_http


def test_an_absent_sniffio_is_recorded_once_and_httpcore_still_finds_asyncio(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "sniffio", raising=False)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "sniffio" else real(name))

    def answer(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=httpx.ByteStream(b"{}"))

    async def one_request() -> str:
        client = build_http(HttpSettings(), transport=httpx.MockTransport(answer))
        try:
            await client.get("https://example.org/")
        finally:
            await client.aclose()
        from httpcore._synchronization import current_async_library

        return current_async_library()

    assert asyncio.run(one_request()) == "asyncio"
    assert "sniffio" in sys.modules
    assert sys.modules["sniffio"] is None  # the import now fails without searching sys.path
    with pytest.raises(ImportError):
        import sniffio  # noqa: F401


def test_an_installed_sniffio_is_left_to_be_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "sniffio", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: ModuleSpec(name, None))
    http_module.settle_missing_sniffio()
    assert "sniffio" not in sys.modules
