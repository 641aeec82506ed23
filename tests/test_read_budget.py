"""The per-plan read cap (contract §4: reads are not capped by default; a plan may cap them
as data). Both backends."""

from __future__ import annotations

import asyncio
import re

from app.domain.records import Plan
from tests.conftest import SEED_BODY, AppFactory


async def test_seeded_plans_do_not_cap_reads(make_api: AppFactory) -> None:
    api = await make_api(plan="free")
    for _ in range(5):
        response = await api.call("GET", "/api/v1/products")
        assert response.status == 200
        assert "RateLimit" not in response.headers


async def test_a_plan_with_a_read_cap_enforces_it(make_api: AppFactory) -> None:
    api = await make_api(plan="reader", plan_limit=None, plan_cache_seconds=0)
    await api.storage.plans.upsert_many([Plan("reader", None, 3, True)])
    paths = ["/api/v1/products", "/api/v1/templates", "/api/v1/templates/battery"]
    for n, path in enumerate(paths):
        response = await api.call("GET", path)
        assert response.status == 200
        assert response.headers["RateLimit-Policy"] == '"reads";q=3;w=86400'
        assert re.fullmatch(rf'"reads";r={2 - n};t=\d+', response.headers["RateLimit"])
    refused = await api.call("GET", "/api/v1/products")
    assert refused.status == 429
    body = await refused.json()
    assert body["code"] == "rate_limit_exceeded"
    assert body["error"].startswith("Daily v1 read limit reached for your plan (3 per UTC day)")
    assert body["details"]["limit"] == 3 and body["details"]["plan"] == "reader"
    assert int(refused.headers["Retry-After"]) > 0
    # Writes have their own budget (unlimited on this plan) and are not reads.
    assert (await api.create(SEED_BODY)).status == 201


async def test_parallel_reads_never_exceed_the_cap(make_api: AppFactory) -> None:
    api = await make_api(plan="reader", plan_limit=None, plan_cache_seconds=0)
    await api.storage.plans.upsert_many([Plan("reader", None, 20, True)])
    responses = await asyncio.gather(*(api.call("GET", "/api/v1/templates") for _ in range(60)))
    statuses = [r.status for r in responses]
    assert statuses.count(200) == 20 and statuses.count(429) == 40
