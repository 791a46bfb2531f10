"""Typed getters for JSON answers: a value of the wrong shape is named by its path, never guessed at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from supplychain.dates import NoTimeZone, parse_timestamp

T = TypeVar("T")


class ShapeError(Exception):
    """A JSON document does not have the shape its API promises; the message names the path."""


@dataclass(frozen=True, slots=True)
class Invalid:
    """A part of an answer that is absent or not in its documented shape; ``reason`` says which.

    Parsers keep such a part apart so the rest of the document still counts.
    """

    reason: str


def expect(value: object, kind: type[T], what: str) -> T:
    """``value`` when it is a ``kind`` (a bool is not an int); else ShapeError naming ``what``."""
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ShapeError(f"{what} is {type(value).__name__}, expected {kind.__name__}")
    return value


def optional(value: object, kind: type[T], what: str) -> T | None:
    """``None`` for JSON null (or an absent key), else as ``expect``."""
    return None if value is None else expect(value, kind, what)


def parse_time(value: object, what: str, *, assume_utc: bool = False) -> datetime:
    """ISO 8601 with a time zone (``Z`` included) → aware datetime; anything else is a shape error.

    ``assume_utc`` is for formats defined as UTC (PEP 700's ``upload-time``), where a missing ``Z`` is
    a sloppy writer, not another time zone.
    """
    text = expect(value, str, what)
    try:
        return parse_timestamp(text, assume_utc=assume_utc)
    except NoTimeZone:
        raise ShapeError(f"{what} {text!r} has no timezone") from None
    except ValueError:
        raise ShapeError(f"{what} {text!r} is not an ISO 8601 time") from None


def strings(value: object, what: str) -> tuple[str, ...]:
    """A JSON list of strings."""
    return tuple(expect(item, str, f"{what}[]") for item in expect(value, list, what))


def string_map(value: object, what: str) -> dict[str, str]:
    """A JSON object whose values are all strings."""
    mapping: dict[Any, Any] = expect(value, dict, what)
    return {str(key): expect(item, str, f"{what}.{key}") for key, item in mapping.items()}
