"""Timestamps render as the contract spells them: UTC, milliseconds (truncated), `Z`."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

from app.domain.clock import format_timestamp, from_unix_millis, utc_now


def isoformat_spelling(value: datetime) -> str:
    """The reference: isoformat at milliseconds of the value in UTC (naive counts as UTC)."""
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return utc.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


def test_edge_values() -> None:
    assert format_timestamp(datetime(2026, 5, 9, 10, 0, tzinfo=UTC)) == "2026-05-09T10:00:00.000Z"
    assert format_timestamp(datetime(2026, 5, 9, 10, 0, 0, 999, tzinfo=UTC)) == (
        "2026-05-09T10:00:00.000Z"  # microseconds below a millisecond are cut, not rounded
    )
    assert format_timestamp(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00.000Z"
    assert format_timestamp(datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)) == (
        "9999-12-31T23:59:59.999Z"
    )
    assert format_timestamp(datetime(2026, 5, 9, 10, 0, 0, 7000)) == "2026-05-09T10:00:00.007Z"
    plus_two = timezone(timedelta(hours=2))
    assert format_timestamp(datetime(2026, 5, 9, 1, 0, 0, 250000, tzinfo=plus_two)) == (
        "2026-05-08T23:00:00.250Z"
    )


def test_matches_isoformat_on_many_values() -> None:
    rng = random.Random(7)
    for _ in range(5000):
        value = datetime(
            rng.randrange(1, 10000),
            rng.randrange(1, 13),
            rng.randrange(1, 29),
            rng.randrange(24),
            rng.randrange(60),
            rng.randrange(60),
            rng.choice([0, rng.randrange(1000) * 1000, rng.randrange(10**6)]),
            tzinfo=rng.choice([UTC, None]),
        )
        assert format_timestamp(value) == isoformat_spelling(value), value


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
YEAR_2200 = int((datetime(2200, 12, 31, tzinfo=UTC) - EPOCH) / timedelta(milliseconds=1))


def test_unix_millis_convert_exactly_through_2200() -> None:
    rng = random.Random(12)
    samples = [0, 1, 999, 1_000, YEAR_2200, YEAR_2200 - 1]
    samples += [rng.randrange(YEAR_2200) for _ in range(200_000)]
    for millis in samples:
        assert from_unix_millis(millis) == EPOCH + timedelta(milliseconds=millis), millis


def test_now_is_utc_at_whole_milliseconds() -> None:
    before = datetime.now(UTC)
    now = utc_now()
    after = datetime.now(UTC)
    assert now.tzinfo is UTC and now.microsecond % 1000 == 0
    assert before - timedelta(milliseconds=1) <= now <= after
