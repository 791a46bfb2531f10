"""The only network door: one async httpx client with a disk cache, retries, limits and ``--offline``.

Every httpx exception is mapped here, once, to a :class:`~supplychain.errors.FetchError`;
sources turn those into ``Unknown(reason)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import importlib.util
import json
import logging
import re
import socket
import sys
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from supplychain.dates import http_date
from supplychain.errors import (
    FetchError,
    HttpStatusError,
    MalformedResponse,
    OfflineMiss,
    ResponseTooLarge,
)
from supplychain.files import private_file
from supplychain.net.hosts import FILE as HOSTS_FILE
from supplychain.net.hosts import HostMemory, host_key, unreachable
from supplychain.urls import SafeUrl, guard_library_logs, redact

if TYPE_CHECKING:
    import httpx

# httpx, hishel and stamina (with what they pull in: anyio, rich, pygments) are imported when the
# first request is sent, not with this module: an audit answered from caches sends none.

USER_AGENT = "supplychain/0.1 (+https://pypi.org/project/supplychain/)"
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_MAX_REDIRECTS = 5
_MAX_RETRY_AFTER = 60.0  # seconds; a server asking for longer gets Unknown, not a stalled audit
_log = logging.getLogger("supplychain.http")
_LARGE_BYTES = 512 * 1024
_LARGE_AT_ONCE = 1
_ADMITTED = 2  # requests inside the retry machinery per host, in multiples of its concurrency
_COMPRESSION = 10  # JSON gzips about tenfold: a compressed length is scaled before the comparison
_MIN_RATE = 16 * 1024  # bytes/s a body must average once it has taken longer than the timeout


class RunSettings(Protocol):
    """What the door reads of a run's settings (``AuditConfig`` or a stage's own settings)."""

    @property
    def offline(self) -> bool:
        """No request leaves the machine: the door answers from the cache or raises OfflineMiss."""
        ...

    @property
    def cache_dir(self) -> Path | None:
        """Where responses are cached; None keeps them in memory only."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpSettings:
    """Limits of the network door; defaults suit PyPI, tests shrink them.

    ``offline`` and ``cache_dir`` are the run's own settings carried in (see ``for_config``);
    past the door, ask ``Http.offline`` rather than keeping a second copy of the flag.
    """

    offline: bool = False
    cache_dir: Path | None = None  # None: no persistent cache
    timeout: float = 30.0
    max_bytes: int = 64 * 1024 * 1024
    per_host: int = 16
    attempts: int = 4
    retry_timeout: float = 60.0

    @classmethod
    def for_config(cls, config: RunSettings, **limits: Any) -> HttpSettings:
        """The door for one run: its ``--offline`` and cache directory, with these limits."""
        return cls(offline=config.offline, cache_dir=config.cache_dir, **limits)


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchedResponse:
    """A response body read within limits; ``url`` is redacted and safe to print."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    from_cache: bool

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON is a malformed response, not a crash."""
        return _parsed(json_text(self.content, self.url), self.url)


def json_text(content: bytes, url: str) -> str:
    """A JSON body's text, in the encoding RFC 8259 and ``json.loads`` detect (UTF-8, -16 or -32).

    A body that is not text in any of them is a MalformedResponse naming ``url``.
    """
    try:
        return content.decode(json.detect_encoding(content), "surrogatepass")
    except UnicodeDecodeError as error:
        raise MalformedResponse(f"{url}: response is not valid JSON ({error})") from None


def _parsed(text: str, url: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise MalformedResponse(f"{url}: response is not valid JSON ({error})") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class ByteRange:
    """Bytes of a file starting at ``offset``, out of ``total``; ``whole``: the server sent it all (200)."""

    offset: int
    total: int
    content: bytes
    whole: bool


class _RetryableStatus(Exception):
    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(status)
        self.status = status
        self.retry_after = retry_after


@dataclass(slots=True)
class Http:
    """One shared client: per-host concurrency, redirects within a host, size limit, retries.

    ``connect`` builds the httpx client on the first request (``client``), so a run that sends none
    never imports httpx.
    """

    settings: HttpSettings
    connect: Callable[[], httpx.AsyncClient]
    _client: httpx.AsyncClient | None = None
    _semaphores: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    # Requests let into the retry machinery per host, a few times the host's limit: the rest wait
    # before it. Each request waiting inside stamina's retry context holds ~4 KB of its state, and
    # a 1,000-package audit queues ~3,000 requests for one host at once (12 MB at the memory peak).
    _admitted: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    # Large bodies (PyPI JSON of long-lived projects runs to 12 MB) are read one at a time: 16 read
    # at once, each parsed to three times its size, put a cold audit of 1,000 packages over 250 MB;
    # two at a time peaked at 182 MB, one at 172 MB, no slower (the cold run is CPU-bound).
    _large: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(_LARGE_AT_ONCE))
    # URL -> when the server sent the answer now read from the cache (its Date header)
    _learned: dict[str, dt.datetime] = field(default_factory=dict)
    requests_sent: int = 0
    hosts: HostMemory = field(default_factory=HostMemory)  # unreachable hosts, shared with the gate

    @property
    def client(self) -> httpx.AsyncClient:
        """The httpx client, built on first use."""
        if self._client is None:
            self._client = self.connect()
        return self._client

    @property
    def offline(self) -> bool:
        """``--offline``: answers come from the cache only; ask here rather than restating the flag."""
        return self.settings.offline

    def remembered_unreachable(self, url: SafeUrl | str) -> str | None:
        """Why ``url``'s host is not asked now (it was found unreachable minutes ago), else None.

        For a source whose answers the facts cache keeps: it can give up on the rest without the
        HTTP client being built (httpx, hishel and TLS: 0.2-0.4 s of a warm run that sends nothing).
        What the HTTP cache holds for that host is not read this way; the request path still reads it.
        """
        return self.hosts.reason(host_key(url.reveal() if isinstance(url, SafeUrl) else url))

    def learned_at(self, url: SafeUrl | str, default: dt.datetime) -> dt.datetime:
        """When the answer for ``url`` was fetched: its original date if it came from the cache.

        Facts keep that time, so an offline audit on an old cache is judged as old
        (``max_data_age_days``), not stamped with today.
        """
        raw = url.reveal() if isinstance(url, SafeUrl) else url
        return min(self._learned.get(raw, default), default)

    def widen(self, url: SafeUrl | str, limit: int) -> None:
        """Let ``limit`` requests to ``url``'s host run at once, for a service made for bulk look-ups.

        OSV answers a querybatch with ids only; each record is one more request. At the default 16
        per host, 90 records were six sequential round trips after the batch, at 48 they are two.
        Only before the first request to the host: a semaphore in use is not replaced.
        """
        host = _host(url.reveal() if isinstance(url, SafeUrl) else url)
        self._limit(host, max(limit, self.settings.per_host))

    def _limit(self, host: str, limit: int) -> asyncio.Semaphore:
        """The host's semaphore (``limit`` requests sent at once), created with its admission gate."""
        if host not in self._semaphores:
            self._semaphores[host] = asyncio.Semaphore(limit)
            self._admitted[host] = asyncio.Semaphore(_ADMITTED * limit)
        return self._semaphores[host]

    async def get(
        self, url: SafeUrl | str, *, accept: str | None = None, max_bytes: int | None = None
    ) -> FetchedResponse:
        """GET with retries; raises FetchError (HttpStatusError for a final 4xx/5xx)."""
        raw = url.reveal() if isinstance(url, SafeUrl) else url
        headers = {"Accept": accept} if accept else {}
        return await self._with_retries("GET", raw, headers, None, max_bytes)

    async def get_range(
        self,
        url: SafeUrl | str,
        start: int,
        stop: int | None = None,
        *,
        size: int | None = None,
        max_bytes: int | None = None,
    ) -> ByteRange:
        """Bytes ``[start:stop]`` of a file, as a slice (``start < 0``: its last ``-start`` bytes).

        A 206 must answer exactly the range asked, of a file of ``size`` bytes when the caller knows
        it (MalformedResponse otherwise). A server ignoring ranges answers 200 with the whole file,
        read within ``max_bytes`` like any body. A 206 is never cached (hishel stores none); a 200
        is the whole file and is cached as such.
        """
        raw = url.reveal() if isinstance(url, SafeUrl) else url
        if stop is not None and (start < 0 or stop <= start):
            raise ValueError(f"not a byte range: [{start}:{stop}]")
        asked = f"bytes={start}" if start < 0 else f"bytes={start}-{'' if stop is None else stop - 1}"
        # A range counts bytes of the encoded body: ask for none, so offsets are the file's own.
        headers = {"Range": asked, "Accept-Encoding": "identity"}
        try:
            response = await self._with_retries("GET", raw, headers, None, max_bytes)
        except ResponseTooLarge:
            limit = max_bytes or self.settings.max_bytes
            raise ResponseTooLarge(
                f"{redact(raw)}: range request not honoured and the whole file exceeds {limit} bytes"
            ) from None
        total = len(response.content)
        if response.status == 206:
            offset, total = _content_range(response, start, stop)
        elif response.status != 200:
            raise MalformedResponse(f"{redact(raw)}: HTTP {response.status} to a range request")
        else:
            offset = 0
        if size is not None and total != size:
            raise MalformedResponse(f"{redact(raw)}: the file has {total} bytes, the index said {size}")
        return ByteRange(offset=offset, total=total, content=response.content, whole=response.status == 200)

    async def get_json(self, url: SafeUrl | str, *, accept: str = "application/json") -> Any:
        """GET a JSON document through the door (cache, retries, offline).

        The body is decoded to text and dropped before the parse: a 12 MB PyPI document was held
        three times over (bytes, text, objects) at the first online run's memory peak.
        """
        shown, text, _digest = await self._json_text(url, accept)
        return _parsed(text, shown)

    async def get_json_text(self, url: SafeUrl | str, *, accept: str = "application/json") -> str:
        """A JSON answer's text, its body dropped once decoded: for a parser that reads it piecewise
        (``net.json_stream``), so the bytes, the text and the objects are never all held at once."""
        return (await self._json_text(url, accept))[1]

    async def get_json_body(self, url: SafeUrl | str, *, accept: str = "application/json") -> tuple[str, str]:
        """A JSON answer's text and the SHA-256 of its bytes, its body dropped once decoded.

        The digest keys what was derived from the answer before (``FactsCache.recall``): an
        identical answer need not be parsed again.
        """
        _shown, text, digest = await self._json_text(url, accept, digest=True)
        return text, digest

    async def _json_text(
        self, url: SafeUrl | str, accept: str, *, digest: bool = False
    ) -> tuple[str, str, str]:
        """(the redacted URL that answered, the body's text, the SHA-256 of its bytes when asked, else
        ""); the body itself is not kept."""
        response = await self.get(url, accept=accept)
        shown, content = response.url, response.content
        del response
        return shown, json_text(content, shown), hashlib.sha256(content).hexdigest() if digest else ""

    async def post_json(self, url: SafeUrl | str, body: object) -> Any:
        """POST a JSON body (OSV querybatch); never cached, refused offline."""
        raw = url.reveal() if isinstance(url, SafeUrl) else url
        if self.offline:
            raise OfflineMiss(f"{redact(raw)}: not fetched (--offline)")
        payload = json.dumps(body, sort_keys=True).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        return (await self._with_retries("POST", raw, headers, payload, None)).json()

    async def aclose(self) -> None:
        """Close the connection pool (the cache is written as responses arrive)."""
        if self._client is not None:
            await self._client.aclose()

    async def _with_retries(
        self,
        method: str,
        raw: str,
        headers: dict[str, str],
        body: bytes | None,
        max_bytes: int | None,
    ) -> FetchedResponse:
        _ = self.client  # built (and stamina's hooks set) before the first retry context
        host = _host(raw)
        semaphore = self._limit(host, self.settings.per_host)
        async with self._admitted[host]:
            return await self._attempts(method, raw, headers, body, max_bytes, host=host, semaphore=semaphore)

    async def _attempts(
        self,
        method: str,
        raw: str,
        headers: dict[str, str],
        body: bytes | None,
        max_bytes: int | None,
        *,
        host: str,
        semaphore: asyncio.Semaphore,
    ) -> FetchedResponse:
        """Send with retries, each attempt holding one of the host's slots (not while it backs off)."""
        import httpx
        import stamina

        tried = 0
        try:
            async for attempt in stamina.retry_context(
                on=_backoff,
                attempts=self.settings.attempts,
                timeout=self.settings.retry_timeout,
                wait_initial=0.2,
                wait_max=10.0,
            ):
                with attempt:
                    tried = attempt.num
                    if attempt.num > 1:
                        _log.debug("attempt %d for %s", attempt.num, redact(raw))
                    async with semaphore:
                        return await self._send(method, raw, headers, body, max_bytes)
        except _RetryableStatus as error:
            raise HttpStatusError(
                f"{redact(raw)}: HTTP {error.status} after {tried} attempt{'' if tried == 1 else 's'}",
                status=error.status,
            ) from None
        except httpx.TransportError as error:
            detail = _transport_detail(error)
            if unreachable(error):  # every attempt failed to connect: not asked again for a while
                self.hosts.remember(host_key(httpx.URL(raw)), detail)
            raise FetchError(f"{redact(raw)}: {detail}") from None
        raise AssertionError("stamina.retry_context ended without an attempt")  # pragma: no cover

    async def _send(
        self,
        method: str,
        raw: str,
        headers: dict[str, str],
        body: bytes | None,
        max_bytes: int | None,
    ) -> FetchedResponse:
        limit = max_bytes or self.settings.max_bytes
        current = raw
        for _ in range(_MAX_REDIRECTS + 1):
            request = self.client.build_request(method, current, headers=headers, content=body)
            self.requests_sent += 1
            response = await self.client.send(request, stream=True)
            try:
                if response.is_redirect:
                    current = _follow(current, response)
                    continue
                if response.status_code == 206:
                    limit = _partial_limit(response, headers.get("Range"), limit, current)
                gate = self._large if _is_large(response) else contextlib.nullcontext()
                async with gate:
                    try:
                        content = await _read_limited(response, limit, current, self.settings.timeout)
                    except ResponseTooLarge:
                        if response.status_code != 206:
                            raise
                        raise MalformedResponse(f"{redact(current)}: longer than the range asked") from None
            finally:
                await response.aclose()
            status = response.status_code
            if status in _RETRY_STATUSES:
                raise _RetryableStatus(status, _retry_after(response.headers.get("Retry-After")))
            if status >= 400:
                raise HttpStatusError(f"{redact(current)}: HTTP {status}", status=status)
            caching = response.extensions.get("caching") or {}
            if caching.get("from_cache") and not caching.get("revalidated"):
                sent = http_date(response.headers.get("Date"))
                if sent is not None:
                    self._learned[raw] = sent
            return FetchedResponse(
                url=redact(current),
                status=status,
                headers=dict(response.headers),
                content=content,
                from_cache=bool(caching.get("from_cache", False)),
            )
        raise FetchError(f"{redact(raw)}: more than {_MAX_REDIRECTS} redirects")


def _host(raw: str) -> str:
    """The host as httpx reads it: the key of the per-host limits."""
    import httpx

    return httpx.URL(raw).host


_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_ASKED = re.compile(r"bytes=(\d*)-(\d*)")


def _partial_limit(response: httpx.Response, asked: str | None, limit: int, url: str) -> int:
    """A 206 body is bounded by the range asked (not the whole-file ``limit``); a longer one is refused."""
    match = _ASKED.fullmatch(asked or "")
    if match is None:
        raise MalformedResponse(f"{redact(url)}: partial content (206) to a request for the whole file")
    first, last = match.groups()
    if not last:
        return limit
    length = int(last) + 1 - int(first) if first else int(last)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > length:
        raise MalformedResponse(f"{redact(url)}: {declared} bytes sent for a range of {length}")
    return length


def _content_range(response: FetchedResponse, start: int, stop: int | None) -> tuple[int, int]:
    """(offset, total) of a 206 after checking its Content-Range is the range asked and fits the body."""
    header = response.headers.get("content-range", "")
    match = _CONTENT_RANGE.fullmatch(header.strip())
    if match is None:
        raise MalformedResponse(f"{response.url}: partial content, Content-Range {header!r} unusable")
    first, last, total = (int(group) for group in match.groups())
    want_first = max(total + start, 0) if start < 0 else start
    want_last = total - 1 if stop is None else min(stop, total) - 1
    if (first, last) != (want_first, want_last) or len(response.content) != last + 1 - first:
        raise MalformedResponse(
            f"{response.url}: asked for bytes {want_first}-{want_last} of {total}, got {header!r} "
            f"with {len(response.content)} bytes"
        )
    return first, total


def _is_large(response: httpx.Response) -> bool:
    """A JSON answer that may decode to over ``_LARGE_BYTES`` (unknown length counts as large).

    Only JSON is parsed whole into memory; wheels read for their metadata are left alone.
    """
    if "json" not in response.request.headers.get("Accept", ""):
        return False
    declared = response.headers.get("Content-Length", "")
    if not declared.isdigit():
        return True
    encoded = response.headers.get("Content-Encoding", "identity").lower() not in {"", "identity"}
    return int(declared) * (_COMPRESSION if encoded else 1) > _LARGE_BYTES


def _follow(current: str, response: httpx.Response) -> str:
    import httpx

    location = response.headers.get("Location")
    if not location:
        raise FetchError(f"{redact(current)}: redirect without a Location")
    target = httpx.URL(current).join(location)
    if target.host != httpx.URL(current).host or target.scheme != httpx.URL(current).scheme:
        raise FetchError(
            f"{redact(current)}: redirect to another host ({target.scheme}://{target.host}) refused"
        )
    return str(target)


async def _read_limited(response: httpx.Response, limit: int, url: str, timeout: float) -> bytes:
    """The decoded body within ``limit`` bytes; past ``timeout`` seconds it must average ``_MIN_RATE``.

    httpx's timeout applies to each read, so a body trickling in just inside it (slowloris)
    would otherwise hold the audit for as long as the server likes. The body is read raw and
    inflated here with a cap per step: httpx's own decoder inflates a whole network chunk at once,
    and 64 KB of gzip can become 64 MB before any size check sees it.
    """
    import httpx

    clock = asyncio.get_running_loop().time
    started = clock()
    declared = response.headers.get("Content-Length")
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    plain = encoding in {"", "identity"}
    if plain and declared and declared.isdigit() and int(declared) > limit:
        raise ResponseTooLarge(f"{redact(url)}: response of {declared} bytes exceeds {limit}")
    decoder = _decoder(encoding, url)
    chunks: list[bytes] = []
    size = 0
    async for raw in response.aiter_raw():
        for chunk in _inflate(decoder, raw, limit - size + 1, url):
            size += len(chunk)
            if size > limit:
                raise ResponseTooLarge(f"{redact(url)}: response exceeds {limit} bytes")
            chunks.append(chunk)
        elapsed = clock() - started
        if elapsed > timeout and size < elapsed * _MIN_RATE:
            raise httpx.ReadTimeout(f"body slower than {_MIN_RATE} bytes/s", request=response.request)
    if decoder is not None and not decoder.eof and size:
        raise MalformedResponse(f"{redact(url)}: compressed body ends early")
    return b"".join(chunks)


def _decoder(encoding: str, url: str) -> Any:
    """A zlib decompressor for the body's Content-Encoding (we only ask for gzip/deflate)."""
    if encoding in {"", "identity"}:
        return None
    if encoding in {"gzip", "x-gzip"}:
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise MalformedResponse(f"{redact(url)}: unsupported Content-Encoding {encoding!r}")


def _inflate(decoder: Any, data: bytes, room: int, url: str) -> list[bytes]:
    """Decode ``data`` in pieces of at most ``room`` bytes, so a bomb is caught one piece in."""
    if decoder is None:
        return [data]
    pieces = []
    try:
        while data:
            piece = decoder.decompress(data, max(room, 1))
            pieces.append(piece)
            room -= len(piece)
            if room <= 0:
                break
            data = decoder.unconsumed_tail
    except zlib.error as error:
        raise MalformedResponse(f"{redact(url)}: compressed body is corrupt ({error})") from None
    return pieces


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    when = http_date(value)
    if when is None:
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _backoff(error: Exception) -> bool | float:
    """stamina hook: retry 429/5xx (honouring Retry-After) and transient transport errors."""
    if isinstance(error, _RetryableStatus):
        if error.retry_after is not None:
            if error.retry_after > _MAX_RETRY_AFTER:
                return False
            return error.retry_after
        return True
    import httpx

    return isinstance(error, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError)


def _transport_detail(error: httpx.TransportError) -> str:
    """What went wrong, in words, without the URL (the memory of unreachable hosts keeps it)."""
    import httpx

    if _caused_by(error, socket.gaierror):
        return "DNS lookup failed"
    if isinstance(error, httpx.TimeoutException):
        return "timed out"
    if isinstance(error, httpx.ConnectError):
        return "connection failed"
    if isinstance(error, httpx.RemoteProtocolError):
        return "connection closed mid-response (truncated body)"
    return type(error).__name__


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def build_http(settings: HttpSettings, transport: httpx.AsyncBaseTransport | None = None) -> Http:
    """The one place clients are built; tests pass a MockTransport or point endpoints at loopback.

    The httpx client itself is built on the first request (see ``Http.connect``).
    """
    memory = HostMemory(path=None if settings.cache_dir is None else settings.cache_dir / HOSTS_FILE)
    return Http(settings=settings, connect=lambda: _client(settings, transport, memory), hosts=memory)


def _client(
    settings: HttpSettings, transport: httpx.AsyncBaseTransport | None, memory: HostMemory
) -> httpx.AsyncClient:
    """The httpx client behind ``Http``: offline or gated network transport, under the disk cache."""
    import httpx
    import stamina

    from supplychain.net.transport import HostGate, OfflineTransport

    # stamina's default hook logs a bare "stamina.retry_scheduled" warning, which Python prints to
    # stderr when logging is not configured; ``_with_retries`` logs each retry at debug instead.
    stamina.instrumentation.set_on_retry_hooks([])
    guard_library_logs()
    settle_missing_sniffio()
    base: httpx.AsyncBaseTransport
    if settings.offline:
        base = OfflineTransport()
    else:
        network = transport or httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=96, max_keepalive_connections=48), http2=False
        )
        base = HostGate(network, memory)
    if settings.cache_dir is not None:
        base = _cached(base, settings.cache_dir, offline=settings.offline)
    return httpx.AsyncClient(
        transport=base,
        timeout=httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout)),
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},  # what _decoder reads
        follow_redirects=False,
        trust_env=True,  # netrc credentials for private indexes
    )


def settle_missing_sniffio() -> None:
    """Make httpcore's per-request ``import sniffio`` fail at once where sniffio is not installed.

    httpcore's ``current_async_library`` runs ``import sniffio`` (inside a try) several times per
    request. anyio 4 no longer installs sniffio, and a failed import is not remembered: each one
    searched every ``sys.path`` entry again, 0.8-1.1 s of the 6.4-7.5 s CPU of 726 cold requests
    (``benchmarks/enrich.py``). ``None`` in ``sys.modules`` is the import system's own record of
    "not importable": the same ImportError, raised without a search. An installed sniffio is used.
    """
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def _cached(base: httpx.AsyncBaseTransport, cache_dir: Path, *, offline: bool) -> httpx.AsyncBaseTransport:
    from hishel.httpx import AsyncCacheTransport

    from supplychain.net.http_store import KeyedTransport, LatestOnlyStorage

    database = cache_dir / "http-cache.sqlite"
    private_file(database)
    storage = LatestOnlyStorage(database)
    cache = AsyncCacheTransport(next_transport=base, storage=storage, rfc=True)
    return KeyedTransport(cache, offline=offline)
