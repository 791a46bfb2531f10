"""supplychain.dates: the one reader of timestamps, dates and HTTP dates; no naive datetime escapes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from supplychain.dates import NoTimeZone, http_date, parse_date, parse_timestamp, timestamp_or_none
from supplychain.net.simple import parse_json_page
from supplychain.sources.osv_merge import merge
from supplychain.sources.osv_records import parse_record

NOON = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-02T12:00:00Z", NOON),
        ("2026-01-02T12:00:00.000000Z", NOON),
        ("2026-01-02T13:00:00+01:00", NOON),
    ],
)
def test_rfc_3339_timestamps(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected


def test_a_bare_time_is_refused_unless_the_format_means_utc() -> None:
    with pytest.raises(NoTimeZone):
        parse_timestamp("2026-01-02T12:00:00")
    assert parse_timestamp("2026-01-02T12:00:00", assume_utc=True) == NOON


@pytest.mark.parametrize("value", [None, "", "yesterday", 17, "2026-13-01T00:00:00Z"])
def test_optional_timestamps_are_none_when_absent_or_unreadable(value: object) -> None:
    assert timestamp_or_none(value) is None


def test_dates() -> None:
    assert parse_date("2027-06-01") == date(2027, 6, 1)
    with pytest.raises(ValueError, match="day is out of range"):
        parse_date("2027-02-30")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Fri, 02 Jan 2026 12:00:00 GMT", NOON),
        ("Fri, 02 Jan 2026 12:00:00 -0000", NOON),  # the standard library returns this one naive
        ("Fri, 02 Jan 2026 14:00:00 +0200", NOON.astimezone(timezone(timedelta(hours=2)))),
        ("soon", None),
        (None, None),
    ],
)
def test_http_dates(value: str | None, expected: datetime | None) -> None:
    assert http_date(value) == expected


def test_a_bare_upload_time_on_an_index_page_is_utc() -> None:
    """It stayed naive, and the resolver's ``upload_time >= exclude_newer`` raised TypeError."""
    wheel = {"filename": "six-1.17.0-py2.py3-none-any.whl", "url": "x", "upload-time": "2026-01-02T12:00:00"}
    parsed = parse_json_page({"files": [wheel]}, "https://i.example/simple/six/")
    assert parsed.files[0].upload_time == NOON


def test_advisories_published_with_and_without_offset_merge() -> None:
    """``min()`` over a naive and an aware time raised TypeError."""
    records = [
        parse_record({"id": f"PYSEC-{n}", "published": published, "modified": published}, "fixture")
        for n, published in ((1, "2026-01-02T12:00:00"), (2, "2026-01-03T00:00:00Z"))
    ]
    assert merge(records, source="test").published == NOON
