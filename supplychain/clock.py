"""Time as an injected dependency, so release ages and expiry are testable and reports reproducible."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Where the core asks the time; injected so ages and expiry are testable and reports reproducible."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """The real clock, used by the CLI."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC (naive times would compare wrongly with upload times)."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that always answers the same instant (tests, reproducible reruns)."""

    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._instant = instant

    def now(self) -> datetime:
        """The instant given at construction, every time."""
        return self._instant
