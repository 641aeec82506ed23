"""Daily write budget (contract §4) through the real app, on both backends."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import datetime
from typing import Any

from app.domain.clock import next_utc_midnight, utc_day, utc_now
from tests.conftest import SEED_BODY, Api, error_body, set_plan_limit
from tests.test_create_product import product_count


def numbered(i: int) -> dict[str, Any]:
    return {**SEED_BODY, "model": f"M-{i}"}


async def test_success_carries_ratelimit_headers(make_api: Any) -> None:
    api = await make_api(plan="basic")
    response = await api.create(SEED_BODY)
    assert response.headers["RateLimit-Policy"] == '"writes";q=200;w=86400'
    match = re.fullmatch(r'"writes";r=(\d+);t=(\d+)', response.headers["RateLimit"])
    assert match and int(match[1]) == 199
    assert 0 < int(match[2]) <= 86400


async def test_429_body_and_headers(make_api: Any) -> None:
    api: Api = await make_api(plan="tiny", plan_limit=2)
    assert (await api.create(numbered(1))).status == 201
    assert (await api.create(numbered(2))).status == 201
    response = await api.create(numbered(3))
    assert response.status == 429
    data = await response.json()
    reset = next_utc_midnight(utc_now())
    assert data == error_body(
        "Daily v1 write limit reached for your plan (2 per UTC day). It resets at 00:00 UTC.",
        "rate_limit_exceeded",
        details={
            "plan": "tiny",
            "limit": 2,
            "used": 2,
            "resetAt": reset.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        },
    )
    seconds = int(response.headers["Retry-After"])
    assert abs((reset - utc_now()).total_seconds() - seconds) < 5
    assert response.headers["RateLimit-Policy"] == '"writes";q=2;w=86400'
    assert response.headers["RateLimit"] == f'"writes";r=0;t={seconds}'
    assert await product_count(api) == 2


async def test_failed_writes_give_their_unit_back(make_api: Any) -> None:
    api: Api = await make_api(plan="tiny", plan_limit=2)
    assert (await api.create(numbered(1))).status == 201
    for _ in range(5):
        assert (await api.create(numbered(1))).status == 409  # duplicate: not 2xx
        assert (await api.create({**numbered(9), "category": "x"})).status == 400
    response = await api.create(numbered(2))
    assert response.status == 201
    assert response.headers["RateLimit"].startswith('"writes";r=0;')


async def test_unlimited_plan_omits_headers(make_api: Any) -> None:
    api = await make_api(plan="enterprise")
    response = await api.create(SEED_BODY)
    assert response.status == 201
    assert "RateLimit" not in response.headers and "RateLimit-Policy" not in response.headers


async def test_operator_changes_a_limit_without_a_release(make_api: Any) -> None:
    api: Api = await make_api(plan="tiny", plan_limit=1, plan_cache_seconds=0)
    assert (await api.create(numbered(1))).status == 201
    assert (await api.create(numbered(2))).status == 429
    await set_plan_limit(api.storage, "tiny", 3)
    assert (await api.create(numbered(2))).status == 201


async def test_150_parallel_creates_on_a_100_write_plan(make_api: Any) -> None:
    api: Api = await make_api(plan="free")
    responses = await asyncio.gather(*(api.create(numbered(i)) for i in range(150)))
    statuses = Counter(r.status for r in responses)
    assert statuses == Counter({201: 100, 429: 50}), statuses
    assert await product_count(api) == 100


async def test_150_parallel_keyed_creates_on_a_100_write_plan(make_api: Any) -> None:
    api: Api = await make_api(plan="free")
    responses = await asyncio.gather(*(api.create(numbered(i), key=f"k{i}") for i in range(150)))
    statuses = Counter(r.status for r in responses)
    assert statuses == Counter({201: 100, 429: 50}), statuses
    # 429 is not stored: once a unit is free again the same key may run (tested via headers).
    assert await product_count(api) == 100


async def test_50_parallel_creates_on_a_30_write_plan_over_rounds(make_api: Any) -> None:
    """Each round is a fresh workspace, so its 50 creates also race to open the day's counter."""
    for round_ in range(3):
        api: Api = await make_api(plan="tiny", plan_limit=30)
        responses = await asyncio.gather(*(api.create(numbered(i)) for i in range(50)))
        statuses = Counter(r.status for r in responses)
        assert statuses == Counter({201: 30, 429: 20}), (round_, statuses)
        assert await product_count(api) == 30
        used = await api.storage.usage.used(api.tenant.workspace.id, utc_day(utc_now()))
        assert used == 30


def test_reset_is_next_midnight() -> None:
    from datetime import UTC

    assert next_utc_midnight(datetime(2026, 5, 9, 23, 59, 59, tzinfo=UTC)) == datetime(
        2026, 5, 10, tzinfo=UTC
    )
