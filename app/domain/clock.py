"""UTC time at millisecond precision: what MongoDB stores is what we render."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import orjson

# orjson renders a UTC datetime in C as "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" (no fraction at whole
# seconds); naive values count as UTC, like everywhere here.
_ORJSON_UTC = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC
_WHOLE_SECOND = len(b'"2026-05-09T10:00:00Z"')


def from_unix_millis(millis: int) -> datetime:
    """Exact through the year 2200: `millis / 1000` is within 2^-21 s of the true value there,
    and fromtimestamp rounds to the microsecond (tests/test_clock.py checks it). A third of
    the cost of `datetime.now()` plus a `replace()`; utc_now runs three times per create."""
    return datetime.fromtimestamp(millis / 1000, UTC)


def utc_now() -> datetime:
    return from_unix_millis(time.time_ns() // 1_000_000)


def as_utc(value: datetime) -> datetime:
    """Storage may hand back naive datetimes (UTC by convention) or other tz objects."""
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """`2026-05-09T10:00:00.000Z`: milliseconds, truncated. Built from orjson's rendering, a
    third of the cost of `isoformat` (20 of these per list page showed as 12 % of its profile)."""
    text = orjson.dumps(as_utc(value), option=_ORJSON_UTC)
    if len(text) == _WHOLE_SECOND:
        return text[1:20].decode() + ".000Z"
    return text[1:24].decode() + "Z"


def next_utc_midnight(now: datetime) -> datetime:
    start_of_day = as_utc(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return start_of_day + timedelta(days=1)


def utc_day(now: datetime) -> str:
    return as_utc(now).strftime("%Y-%m-%d")
