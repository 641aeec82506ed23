"""UTC time at millisecond precision: what MongoDB stores is what we render."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utc_now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def as_utc(value: datetime) -> datetime:
    """Storage may hand back naive datetimes (UTC by convention) or other tz objects."""
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    # isoformat of a UTC datetime ends in "+00:00"; it is the fastest exact spelling.
    return as_utc(value).isoformat(timespec="milliseconds")[:-6] + "Z"


def next_utc_midnight(now: datetime) -> datetime:
    start_of_day = as_utc(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return start_of_day + timedelta(days=1)


def utc_day(now: datetime) -> str:
    return as_utc(now).strftime("%Y-%m-%d")
