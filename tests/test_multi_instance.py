"""Two app instances over one shared MongoDB (one database of the embedded server, each instance
with its own client, as two processes would have): shared state."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from app.http.app import create_app
from app.storage.mongo.store import MongoStorage
from tests.conftest import (
    SEED_BODY,
    SESSION_ACCESS_LOG,
    MongoTier,
    add_tenant,
    app_settings,
    set_plan_limit,
)


async def two_instances(
    aiohttp_client: Any, mongo: MongoTier
) -> tuple[Any, Any, Any, MongoStorage]:
    name = mongo.database().name
    clients = []
    for _ in range(2):
        storage = MongoStorage(mongo.database(name))
        app = create_app(
            access_log=SESSION_ACCESS_LOG,
            settings=app_settings(),
            storage=storage,
            on_first_access=lambda settings, access: None,
        )
        clients.append(await aiohttp_client(app))
    shared = MongoStorage(mongo.database(name))
    await set_plan_limit(shared, "tiny", 10)
    tenant = await add_tenant(shared, plan="tiny")
    return clients[0], clients[1], tenant, shared


async def test_idempotency_holds_across_instances(aiohttp_client: Any, mongo: MongoTier) -> None:
    a, b, tenant, _ = await two_instances(aiohttp_client, mongo)
    headers = {**tenant.auth, "Idempotency-Key": "cross"}
    first = await a.post("/api/v1/products", json=SEED_BODY, headers=headers)
    second = await b.post("/api/v1/products", json=SEED_BODY, headers=headers)
    assert first.status == second.status == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert await first.read() == await second.read()
    other = await b.post("/api/v1/products", json={**SEED_BODY, "name": "x"}, headers=headers)
    assert other.status == 422


async def test_parallel_same_key_across_instances_one_product(
    aiohttp_client: Any, mongo: MongoTier
) -> None:
    a, b, tenant, storage = await two_instances(aiohttp_client, mongo)
    headers = {**tenant.auth, "Idempotency-Key": "race"}
    responses = await asyncio.gather(
        *(
            (a if i % 2 else b).post("/api/v1/products", json=SEED_BODY, headers=headers)
            for i in range(50)
        )
    )
    assert {r.status for r in responses} <= {201, 409}
    assert await storage.database["products"].count_documents({}) == 1


async def test_budget_is_shared_across_instances(aiohttp_client: Any, mongo: MongoTier) -> None:
    a, b, tenant, storage = await two_instances(aiohttp_client, mongo)
    responses = await asyncio.gather(
        *(
            (a if i % 2 else b).post(
                "/api/v1/products", json={**SEED_BODY, "model": f"M-{i}"}, headers=tenant.auth
            )
            for i in range(16)
        )
    )
    assert Counter(r.status for r in responses) == Counter({201: 10, 429: 6})
    assert await storage.database["products"].count_documents({}) == 10
