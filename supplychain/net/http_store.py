"""The HTTP cache's storage: hishel's SQLite store, keeping one stored answer per request key.

hishel adds a new entry every time a response is stored and keeps the old ones until they expire.
Ours never expire (``--offline`` reads answers of any age), so each online run of an index that
sends no freshness headers added another copy of every answer: 954 MB after two runs over 1,000
packages. Once a new answer is completely stored, the older ones for its key are removed through
hishel's own ``remove_entry`` (hidden at once, deleted when no reader can still hold them); the
size cap is the backstop.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import replace
from pathlib import Path

from hishel import AsyncSqliteStorage, Entry, Request, Response

MAX_CACHE_BYTES = 2 * 1024**3  # least recently used answers go first beyond this


class LatestOnlyStorage(AsyncSqliteStorage):
    """AsyncSqliteStorage that retires older entries of a key when a newer one is complete."""

    def __init__(self, database_path: Path) -> None:
        super().__init__(database_path=database_path, default_ttl=None, max_size=MAX_CACHE_BYTES)
        self._held: set[str] = set()  # keys a lookup found entries for: only these can gain a duplicate

    async def get_entries(self, key: str) -> list[Entry]:
        entries = await super().get_entries(key)
        if entries:
            self._held.add(key)
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
        entry = await super().create_entry(request, response, key, ttl=ttl, tti=tti)
        stream = entry.response.stream
        if key not in self._held or stream is None or not isinstance(stream, AsyncIterable):
            return entry  # a first answer for its key (every request of a cold run): nothing to retire
        return replace(entry, response=replace(entry.response, stream=self._then_retire(stream, key, entry)))

    async def _then_retire(
        self, stream: AsyncIterable[bytes], key: str, entry: Entry
    ) -> AsyncIterator[bytes]:
        async for chunk in stream:
            yield chunk
        stored = await self.get_entries(key)
        if not any(candidate.id == entry.id for candidate in stored):
            return  # the new answer was not stored (cache full or failing): keep what there is
        for older in stored:
            if older.id != entry.id:
                await self.remove_entry(older.id)
