"""Reading the times other systems write: RFC 3339 / ISO 8601 timestamps, bare dates, HTTP dates."""

from __future__ import annotations

import email.utils
from datetime import UTC, date, datetime


class NoTimeZone(ValueError):
    """A timestamp without ``Z`` or an offset where the format requires one."""


def parse_timestamp(text: str, *, assume_utc: bool = False) -> datetime:
    """RFC 3339 / ISO 8601 (``Z`` or an offset) as an aware datetime; ValueError when it is none.

    A time written without an offset is UTC under ``assume_utc`` (what PEP 700, OSV and PyPI
    mean by one), else :class:`NoTimeZone`: a naive datetime never leaves this module, since
    comparing one with an aware one raises.
    """
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is not None:
        return parsed
    if not assume_utc:
        raise NoTimeZone(f"{text!r} has no time zone")
    return parsed.replace(tzinfo=UTC)


def timestamp_or_none(value: object) -> datetime | None:
    """An optional timestamp of index or advisory data (UTC when bare); None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_timestamp(value, assume_utc=True)
    except ValueError:
        return None


def parse_date(text: str) -> date:
    """A calendar date ``YYYY-MM-DD``; ValueError otherwise."""
    return date.fromisoformat(text)


def http_date(value: str | None) -> datetime | None:
    """An RFC 9110 HTTP-date (``Date``, ``Retry-After``) as an aware datetime; None when absent or unreadable.

    ``-0000`` (RFC 5322: "UTC, source zone unknown") comes back from the standard library naive;
    it is UTC.
    """
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
