"""Storage round trips per request, counted on the wire: PyMongo's command monitoring on the
client of a real (embedded) MongoDB server. One command = one round trip."""

from __future__ import annotations

from typing import Any

from app.http.app import create_app
from app.storage.mongo.store import MongoStorage
from tests.conftest import (
    SEED_BODY,
    SESSION_ACCESS_LOG,
    MongoTier,
    Tenant,
    add_tenant,
    app_settings,
)
from tests.mongo_commands import CommandLog

CACHED_COLLECTIONS = ("api_keys.", "workspaces.", "templates.", "plans.")


async def counting_client(aiohttp_client: Any, mongo: MongoTier) -> tuple[Any, CommandLog, Tenant]:
    log = CommandLog()
    storage = MongoStorage(mongo.database(event_listeners=[log]))
    app = create_app(
        access_log=SESSION_ACCESS_LOG,
        settings=app_settings(),
        storage=storage,
        on_first_access=lambda settings, access: None,
    )
    client = await aiohttp_client(app)  # start-up prepares indexes and seeds
    tenant = await add_tenant(storage, plan="free")  # the free plan caps writes, not reads
    return client, log, tenant


async def test_round_trips_per_operation_on_a_warm_cache(
    aiohttp_client: Any, mongo: MongoTier
) -> None:
    client, log, tenant = await counting_client(aiohttp_client, mongo)
    warm = await client.post(
        "/api/v1/products", json={**SEED_BODY, "model": "warm"}, headers=tenant.auth
    )
    assert warm.status == 201
    product = f"/api/v1/products/{(await warm.json())['_id']}"

    log.clear()
    keyed = await client.post(
        "/api/v1/products",
        json={**SEED_BODY, "model": "keyed"},
        headers={**tenant.auth, "Idempotency-Key": "count-me"},
    )
    assert keyed.status == 201
    # Claim, budget unit, product, stored outcome.
    assert log.count() <= 4, log.labels()
    assert log.labels() == {  # claim, budget unit, product, stored outcome
        "idempotency.insert": 1,
        "usage.findAndModify": 1,
        "products.insert": 1,
        "idempotency.update": 1,
    }
    assert not any(label.startswith(CACHED_COLLECTIONS) for label in log.labels())

    log.clear()
    unkeyed = await client.post(
        "/api/v1/products", json={**SEED_BODY, "model": "plain"}, headers=tenant.auth
    )
    assert unkeyed.status == 201
    assert log.count() <= 2, log.labels()
    assert log.labels() == {"usage.findAndModify": 1, "products.insert": 1}

    log.clear()
    replay = await client.post(
        "/api/v1/products",
        json={**SEED_BODY, "model": "keyed"},
        headers={**tenant.auth, "Idempotency-Key": "count-me"},
    )
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert log.count() <= 2, log.labels()  # the claim collides; the stored outcome is read

    log.clear()
    fetched = await client.get(product, headers=tenant.auth)
    assert fetched.status == 200
    assert log.count() <= 1, log.labels()
    assert log.labels() == {"products.find": 1}

    log.clear()
    templates = await client.get("/api/v1/templates", headers=tenant.auth)
    assert templates.status == 200
    assert log.count() == 0, log.labels()


async def test_cold_auth_reads_storage_once_then_never(
    aiohttp_client: Any, mongo: MongoTier
) -> None:
    client, log, tenant = await counting_client(aiohttp_client, mongo)
    log.clear()
    await client.post("/api/v1/products", json={"name": "x"}, headers=tenant.auth)
    assert log.labels()["api_keys.find"] == 1
    log.clear()
    response = await client.post("/api/v1/products", json={"name": "x"}, headers=tenant.auth)
    assert response.status == 400
    assert log.count() == 0, log.labels()
