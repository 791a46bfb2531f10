"""The HTTP cache's storage and keys: hishel's SQLite store, one answer per key, no credential kept.

hishel adds a new entry every time a response is stored and keeps the old ones until they expire.
Ours never expire (``--offline`` reads answers of any age), so each online run of an index that
sends no freshness headers added another copy of every answer: 954 MB after two runs over 1,000
packages. Once a new answer is completely stored, the older ones for its key are removed through
hishel's own ``remove_entry`` (hidden at once, deleted when no reader can still hold them); the
size cap is the backstop. Each answer is stored with the SHA-256 of its body: a refetch whose body
is byte-identical to the stored one (every page of a warm run against such an index) only refreshes
the stored headers (its ``Date``), instead of writing the whole body again (~1 s of a warm resolve).
hishel's SQLite statements run in place on the event loop (``DirectConnection``), not each in a
worker thread as its anysqlite connection would: the hand-offs were a quarter of a cold run's CPU.

No credential is stored (a CI cache of this directory travels): the stored request loses its URL's
userinfo and its ``Authorization``, ``Proxy-Authorization`` and ``Cookie`` headers, the stored
response its ``Set-Cookie``. Authenticated answers are still cached (``--offline`` and warm runs
need a private index too), but apart per credential: the key mixes in a slow, salted hash of it
(scrypt), so two tokens for one URL never share an answer and the key cannot cheaply test guesses.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import sqlite3
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import httpx
from hishel import AsyncSqliteStorage, Entry, Headers, Request, Response

from supplychain.urls import redact

MAX_CACHE_BYTES = 2 * 1024**3  # least recently used answers go first beyond this
CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie")
_RESPONSE_SECRETS = ("set-cookie", "set-cookie2")
_SALT = b"supplychain http-cache credential v1"
HISHEL_GITIGNORE = ".gitignore", "# Automatically created by Hishel\n*"  # its name and hishel's text
DIGEST_HEADER = "x-supplychain-body-sha256"  # stored with each answer, never sent by a server we trust
# Bodies up to this size (as sent: pages are gzipped tenfold) are held until read whole, then compared
# with the stored one; a larger one (a whole sdist) is stored as it streams, as hishel does.
HELD_BYTES = 8 * 1024 * 1024


def cache_config(request: httpx.Request, *, offline: bool) -> dict[str, object]:
    """hishel's per-request settings: the key is method, URL without userinfo, Accept, credential.

    Called on the request as sent (after httpx added ``Authorization`` from the URL or netrc), so a
    credential from any source keeps its answers apart. The explicit key lets ``--offline`` read
    entries written online, stale or not.
    """
    identity = "\n".join([request.method, redact(str(request.url)), request.headers.get("Accept", "")])
    credential = b"\n".join(
        [request.url.userinfo, *(request.headers.get(name, "").encode() for name in CREDENTIAL_HEADERS)]
    )
    if credential.strip(b"\n"):
        identity += "\n" + _credential_digest(credential)
    key = hashlib.sha256(identity.encode()).hexdigest()
    if offline:
        return {"key": key, "rfc": False}
    return {"key": key}


@functools.lru_cache(maxsize=64)
def _credential_digest(credential: bytes) -> str:
    """scrypt of a credential (~50 ms once per credential and run): a key is no cheap password oracle."""
    return hashlib.scrypt(credential, salt=_SALT, n=2**14, r=8, p=1, dklen=32).hex()


class KeyedTransport(httpx.AsyncBaseTransport):
    """Keys each request where it is final (below httpx's auth, above hishel), then drops its userinfo.

    httpx has already turned the URL's userinfo into ``Authorization``, and the request line never
    carries it, so the server sees the same request; the cache sees a URL it can store and match.
    """

    def __init__(self, cache: httpx.AsyncBaseTransport, *, offline: bool) -> None:
        self._cache = cache
        self._offline = offline

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Key the request, then let the cache answer it."""
        request.extensions["caching"] = cache_config(request, offline=self._offline)
        request.url = request.url.copy_with(userinfo=b"")
        return await self._cache.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the cache transport (and the network one under it)."""
        await self._cache.aclose()


def _without(headers: Headers, names: tuple[str, ...]) -> Headers:
    return Headers({key: value for key, value in headers.items() if key.lower() not in names})


def stored_request(request: Request) -> Request:
    """The request as stored: no userinfo in its URL, no credential header."""
    return replace(request, url=redact(request.url), headers=_without(request.headers, CREDENTIAL_HEADERS))


def _keep_out_of_git(directory: Path) -> None:
    """The ``.gitignore`` hishel writes beside a database it opens itself (a cache inside a repository
    is not committed); written here because ``DirectConnection`` opens it instead."""
    name, text = HISHEL_GITIGNORE
    path = directory / name
    if not path.is_file():
        with contextlib.suppress(OSError):
            path.write_text(text, encoding="utf-8")


class DirectCursor:
    """anysqlite's ``Cursor``, the part hishel uses, calling SQLite in place (see ``DirectConnection``)."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed."""
        return self._cursor.rowcount

    async def execute(self, sql: str, parameters: Iterable[Any] = ()) -> DirectCursor:
        """Run one statement."""
        self._cursor.execute(sql, tuple(parameters))
        return self

    async def fetchone(self) -> Any:
        """The next row, or None."""
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        """The remaining rows."""
        return self._cursor.fetchall()

    async def close(self) -> None:
        """Close the cursor."""
        self._cursor.close()


class DirectConnection:
    """anysqlite's ``Connection`` for hishel's storage, without a worker thread per statement.

    anysqlite hands every statement to a thread; hishel makes about 70 calls per stored answer, and
    the hand-offs were a quarter of the client's CPU in a cold run (``benchmarks/enrich.py``, 726
    requests: 6.0-6.2 s, 4.2-4.7 s without them). The statements are short (autocommit, WAL,
    ``synchronous=NORMAL``, set by hishel): run in place they hold the event loop for microseconds.
    A database another process holds locked holds it for at most hishel's ``busy_timeout`` (5 s),
    as one slow answer would.
    """

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)

    async def __aenter__(self) -> DirectConnection:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def cursor(self) -> DirectCursor:
        """A new cursor."""
        return DirectCursor(self._connection.cursor())

    async def execute(self, sql: str, parameters: Iterable[Any] = ()) -> DirectCursor:
        """Run one statement on a new cursor."""
        return DirectCursor(self._connection.execute(sql, tuple(parameters)))

    async def commit(self) -> None:
        """Commit (a no-op in autocommit mode, which hishel asks for)."""
        self._connection.commit()

    async def rollback(self) -> None:
        """Roll back an open transaction."""
        self._connection.rollback()

    async def close(self) -> None:
        """Close the database."""
        self._connection.close()


class LatestOnlyStorage(AsyncSqliteStorage):
    """AsyncSqliteStorage that keeps one answer per key and does not rewrite an identical body."""

    def __init__(self, database_path: Path) -> None:
        _keep_out_of_git(database_path.parent)
        super().__init__(
            connection=cast(Any, DirectConnection(database_path)),
            database_path=database_path,
            default_ttl=None,
            max_size=MAX_CACHE_BYTES,
        )
        # keys a lookup found entries for (only these can gain a duplicate): their ids and body digests
        self._held: dict[str, list[tuple[uuid.UUID, str | None]]] = {}

    async def get_entries(self, key: str) -> list[Entry]:
        """hishel's look-up, noting the entries found and the digest each was stored with."""
        entries = await super().get_entries(key)
        if entries:
            self._held[key] = [(entry.id, entry.response.headers.get(DIGEST_HEADER)) for entry in entries]
        return entries

    async def create_entry(
        self,
        request: Request,
        response: Response,
        key: str,
        *,
        ttl: float | None = None,
        tti: float | None = None,
    ) -> Entry:
        """Store the answer, credential-free, once its whole body has been read (and digested).

        The body passes through to the caller unchanged as it arrives; an answer not read to the
        end is not stored (as hishel drops a partial one).
        """
        response = replace(response, headers=_without(response.headers, _RESPONSE_SECRETS))
        stream = response.stream
        if stream is None or not isinstance(stream, AsyncIterable):
            return await super().create_entry(stored_request(request), response, key, ttl=ttl, tti=tti)
        later = self._store_when_read(stream, stored_request(request), response, key, ttl=ttl, tti=tti)
        return Entry(id=uuid.uuid4(), request=request, response=replace(response, stream=later))

    async def update_headers(self, id: uuid.UUID, headers: Headers) -> None:
        """hishel's revalidation update, without a ``Set-Cookie`` the 304 may carry."""
        await super().update_headers(id, _without(headers, _RESPONSE_SECRETS))

    async def _store_when_read(
        self,
        stream: AsyncIterable[bytes],
        request: Request,
        response: Response,
        key: str,
        *,
        ttl: float | None,
        tti: float | None,
    ) -> AsyncIterator[bytes]:
        chunks: list[bytes] = []
        size = 0
        digest = hashlib.sha256()
        upstream = aiter(stream)
        async for chunk in upstream:
            chunks.append(chunk)
            digest.update(chunk)
            size += len(chunk)
            yield chunk
            if size > HELD_BYTES:  # a whole file (an sdist): stored as it streams, never compared
                async for rest in self._store_streaming(
                    request, response, key, seen=chunks, upstream=upstream, ttl=ttl, tti=tti
                ):
                    yield rest
                return
        headers = Headers({**dict(response.headers.items()), DIGEST_HEADER: digest.hexdigest()})
        held = self._held.get(key, [])
        same = next((id_ for id_, stored in held if stored == digest.hexdigest()), None)
        if same is not None:  # the stored body is this one: only the headers (its date) are new
            await self.update_headers(same, headers)
            return
        whole = replace(response, headers=headers, stream=_replay(chunks, None))
        entry = await super().create_entry(request, whole, key, ttl=ttl, tti=tti)
        body = entry.response.stream
        if body is not None and isinstance(body, AsyncIterable):
            async for _ in body:  # hishel writes the body as it is read
                pass
        if held:
            await self._retire(key, entry)

    async def _store_streaming(
        self,
        request: Request,
        response: Response,
        key: str,
        *,
        seen: list[bytes],
        upstream: AsyncIterator[bytes],
        ttl: float | None,
        tti: float | None,
    ) -> AsyncIterator[bytes]:
        """hishel's store, fed what was already passed on, then passing on the rest as it is stored."""
        whole = replace(response, stream=_replay(seen, upstream))
        entry = await super().create_entry(request, whole, key, ttl=ttl, tti=tti)
        body = entry.response.stream
        if body is None or not isinstance(body, AsyncIterable):
            async for chunk in upstream:
                yield chunk
            return
        passed = 0
        async for chunk in body:  # hishel yields each chunk it is given, in order
            passed += 1
            if passed > len(seen):
                yield chunk
        if key in self._held:
            await self._retire(key, entry)

    async def _retire(self, key: str, entry: Entry) -> None:
        """Remove the key's other entries once ``entry`` is completely stored."""
        stored = await super().get_entries(key)
        if not any(candidate.id == entry.id for candidate in stored):
            return  # the new answer was not stored (cache full or failing): keep what there is
        self._held[key] = [(entry.id, entry.response.headers.get(DIGEST_HEADER))]
        for older in stored:
            if older.id != entry.id:
                await self.remove_entry(older.id)


async def _replay(chunks: list[bytes], rest: AsyncIterator[bytes] | None) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk
    if rest is not None:
        async for chunk in rest:
            yield chunk
