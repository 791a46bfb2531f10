"""Hosts found unreachable, remembered for a few minutes so no run waits on a dead host twice.

A blocked service (pypistats, deps.dev, OSV behind a firewall) otherwise costs seconds of connection
retries on every warm run. A request whose every attempt failed to open a connection (refused, DNS
failure, connect timeout) marks its host: later requests to it, in this run and in runs within
``REMEMBER_FOR`` (through a small JSON file in the cache directory), fail at once with
``HostUnreachable``, which sources turn into Unknown like any fetch failure. Cached answers are
still served: the gate sits underneath the HTTP cache, where only requests for the network arrive.

A host found unreachable again as soon as its window ended is remembered twice as long each time,
up to ``REMEMBER_AT_MOST``: behind blocked egress (an isolated network) a hook ran into the same
seconds of retries every five minutes, forever. One answer from the host forgets it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from supplychain.errors import FetchError
from supplychain.files import read_capped, write_atomic

if TYPE_CHECKING:
    import httpx

REMEMBER_FOR = dt.timedelta(minutes=5)
REMEMBER_AT_MOST = dt.timedelta(hours=1)  # the longest window, after failures in a row
FILE = "unreachable-hosts.json"
_MAX_FILE_BYTES = 64 * 1024


class HostUnreachable(FetchError):
    """The host could not be reached a moment ago: not asked again until its memory expires."""


def host_key(url: httpx.URL | str) -> str:
    """``scheme://host:port``: a closed port says nothing about other ports of the same machine.

    A string is read without httpx (a source asking before any request is sent): scheme and host
    lower-cased, as httpx gives them."""
    if isinstance(url, str):
        parts = urlsplit(url.strip())
        try:
            given = parts.port
        except ValueError:
            given = None
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    else:
        scheme, host, given = url.scheme, url.host, url.port
    port = given or {"http": 80, "https": 443}.get(scheme, 0)
    return f"{scheme}://{host}:{port}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class _Down:
    since: dt.datetime  # the latest failure
    error: str
    streak: int = 1  # windows in a row that ended in a failure again

    @property
    def window(self) -> dt.timedelta:
        doubled: dt.timedelta = REMEMBER_FOR * (1 << min(self.streak - 1, 8))  # 21 h: past the cap
        return min(doubled, REMEMBER_AT_MOST)


@dataclass(slots=True)
class HostMemory:
    """Unreachable hosts with the time each was found so; persisted in ``path`` when one is given."""

    path: Path | None = None
    now: Callable[[], dt.datetime] = _now
    _down: dict[str, _Down] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._down.update(self._read())

    def since(self, key: str) -> dt.datetime | None:
        """When ``key`` was found unreachable, while its window (``REMEMBER_FOR``, longer after
        failures in a row) lasts."""
        found = self._down.get(key)
        if found is None or self.now() - found.since >= found.window:
            return None
        return found.since

    def reason(self, key: str) -> str | None:
        """``host unreachable (remembered since HH:MM UTC: what failed)`` while ``key`` is remembered."""
        since = self.since(key)
        if since is None:
            return None
        stamp = since.astimezone(dt.UTC).strftime("%H:%M UTC")
        return f"host unreachable (remembered since {stamp}: {self._down[key].error})"

    def remember(self, key: str, detail: str) -> None:
        """Mark ``key`` unreachable from now (kept at its first time if already marked); a host that
        failed again within ``REMEMBER_AT_MOST`` of its last window's end is kept twice as long."""
        if self.since(key) is not None:
            return
        previous = self._down.get(key)
        streak = min(previous.streak + 1, 64) if previous is not None and self._recent(previous) else 1
        self._down[key] = _Down(since=self.now(), error=detail, streak=streak)
        self._write()

    def forget(self, key: str) -> None:
        """``key`` answered: drop it from the memory."""
        if self._down.pop(key, None) is not None:
            self._write()

    def _recent(self, down: _Down) -> bool:
        """Is ``down``'s window current, or ended less than ``REMEMBER_AT_MOST`` ago (its streak lives)?"""
        return self.now() - (down.since + down.window) < REMEMBER_AT_MOST

    def _read(self) -> dict[str, _Down]:
        """The stored memory; an unreadable or malformed file is an empty memory (it is only a hint)."""
        if self.path is None:
            return {}
        try:
            data = read_capped(self.path, _MAX_FILE_BYTES)
            raw = json.loads(data) if data else {}
        except (OSError, ValueError, RecursionError):
            return {}
        found: dict[str, _Down] = {}
        for key, value in raw.items() if isinstance(raw, dict) else ():
            if not isinstance(value, dict) or not isinstance(value.get("error"), str):
                continue
            try:
                when = dt.datetime.fromisoformat(str(value.get("since")))
            except ValueError:
                continue
            streak = value.get("streak", 1)  # a file written before streaks: one failure
            if not isinstance(streak, int) or isinstance(streak, bool) or not 1 <= streak <= 64:
                continue
            if when.tzinfo is not None:
                found[str(key)] = _Down(since=when, error=value["error"], streak=streak)
        return found

    def _write(self) -> None:
        if self.path is None:
            return
        kept = {
            key: {"since": down.since.isoformat(), "error": down.error, "streak": down.streak}
            for key, down in sorted(self._down.items())
            if self._recent(down)
        }
        # A read-only cache directory: the memory lasts for this run only.
        with contextlib.suppress(OSError):
            write_atomic(self.path, json.dumps(kept, sort_keys=True), private=True, durable=False)


def unreachable(error: httpx.TransportError) -> bool:
    """No connection could be opened (refused, DNS, connect timeout): the host, not the request."""
    import httpx

    return isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
