"""Hosts found unreachable, remembered for a few minutes so no run waits on a dead host twice.

A blocked service (pypistats, deps.dev, OSV behind a firewall) otherwise costs seconds of connection
retries on every warm run. A request whose every attempt failed to open a connection (refused, DNS
failure, connect timeout) marks its host: later requests to it, in this run and in runs within
``REMEMBER_FOR`` (through a small JSON file in the cache directory), fail at once with
``HostUnreachable``, which sources turn into Unknown like any fetch failure. Cached answers are
still served: the gate sits underneath the HTTP cache, where only requests for the network arrive.
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


@dataclass(slots=True)
class HostMemory:
    """Unreachable hosts with the time each was found so; persisted in ``path`` when one is given."""

    path: Path | None = None
    now: Callable[[], dt.datetime] = _now
    _down: dict[str, tuple[dt.datetime, str]] = field(default_factory=dict)  # key -> (since, what failed)

    def __post_init__(self) -> None:
        self._down.update(self._read())

    def since(self, key: str) -> dt.datetime | None:
        """When ``key`` was found unreachable, if that is less than ``REMEMBER_FOR`` ago."""
        found = self._down.get(key)
        if found is None or self.now() - found[0] >= REMEMBER_FOR:
            return None
        return found[0]

    def reason(self, key: str) -> str | None:
        """``host unreachable (remembered since HH:MM UTC: what failed)`` while ``key`` is remembered."""
        since = self.since(key)
        if since is None:
            return None
        stamp = since.astimezone(dt.UTC).strftime("%H:%M UTC")
        return f"host unreachable (remembered since {stamp}: {self._down[key][1]})"

    def remember(self, key: str, detail: str) -> None:
        """Mark ``key`` unreachable from now (kept at its first time if already marked)."""
        if self.since(key) is not None:
            return
        self._down[key] = (self.now(), detail)
        self._write()

    def forget(self, key: str) -> None:
        """``key`` answered: drop it from the memory."""
        if self._down.pop(key, None) is not None:
            self._write()

    def _read(self) -> dict[str, tuple[dt.datetime, str]]:
        """The stored memory; an unreadable or malformed file is an empty memory (it is only a hint)."""
        if self.path is None:
            return {}
        try:
            data = read_capped(self.path, _MAX_FILE_BYTES)
            raw = json.loads(data) if data else {}
        except (OSError, ValueError, RecursionError):
            return {}
        found: dict[str, tuple[dt.datetime, str]] = {}
        for key, value in raw.items() if isinstance(raw, dict) else ():
            if not isinstance(value, dict) or not isinstance(value.get("error"), str):
                continue
            try:
                when = dt.datetime.fromisoformat(str(value.get("since")))
            except ValueError:
                continue
            if when.tzinfo is not None:
                found[str(key)] = (when, value["error"])
        return found

    def _write(self) -> None:
        if self.path is None:
            return
        live = {
            key: {"since": since.isoformat(), "error": error}
            for key, (since, error) in sorted(self._down.items())
            if self.since(key)
        }
        # A read-only cache directory: the memory lasts for this run only.
        with contextlib.suppress(OSError):
            write_atomic(self.path, json.dumps(live, sort_keys=True), private=True, durable=False)


def unreachable(error: httpx.TransportError) -> bool:
    """No connection could be opened (refused, DNS, connect timeout): the host, not the request."""
    import httpx

    return isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
