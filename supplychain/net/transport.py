"""The httpx transports under the door's cache: the offline end and the gate of unreachable hosts.

Apart from ``http`` so that module imports httpx only when a client is built (first request).
"""

from __future__ import annotations

import httpx

from supplychain.errors import OfflineMiss
from supplychain.net.hosts import HostMemory, HostUnreachable, host_key
from supplychain.urls import redact


class OfflineTransport(httpx.AsyncBaseTransport):
    """Underneath the cache in ``--offline`` mode: any cache miss ends here, as an ``OfflineMiss``.

    The error is ours, not httpx's, so no retry hook or error mapping has to recognise it.
    """

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Refuse: the cache above did not hold the answer."""
        raise OfflineMiss(f"{redact(str(request.url))}: not in the cache (--offline)")


class HostGate(httpx.AsyncBaseTransport):
    """Underneath the cache: refuses requests to remembered hosts, forgets hosts that answer.

    The door remembers a host once a request's retries all failed to connect (``Http``), so a
    passing blip is still retried, and a dead host costs one request's retries per window.
    """

    def __init__(self, next_transport: httpx.AsyncBaseTransport, memory: HostMemory) -> None:
        self._next = next_transport
        self.memory = memory

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Pass the request on unless its host is remembered as unreachable."""
        key = host_key(request.url)
        reason = self.memory.reason(key)
        if reason is not None:
            raise HostUnreachable(f"{redact(str(request.url))}: {reason}")
        response = await self._next.handle_async_request(request)
        self.memory.forget(key)
        return response

    async def aclose(self) -> None:
        """Close the transport underneath."""
        await self._next.aclose()
