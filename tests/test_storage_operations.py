"""Storage round trips per request, counted on the Mongo backend's collections."""

from __future__ import annotations

from typing import Any

from app.http.app import create_app
from app.storage.mongo.store import MongoStorage
from tests.conftest import SEED_BODY, add_tenant, app_settings
from tests.mongo_shim import CountingDatabase, mock_database


async def counting_client(aiohttp_client: Any) -> tuple[Any, CountingDatabase, Any]:
    database = CountingDatabase(mock_database())
    storage = MongoStorage(database)
    app = create_app(app_settings(), storage=storage, on_first_access=lambda settings, access: None)
    client = await aiohttp_client(app)  # start-up prepares indexes and seeds
    tenant = await add_tenant(storage, plan="free")
    return client, database, tenant


async def test_operation_counts_on_a_warm_cache(aiohttp_client: Any) -> None:
    client, database, tenant = await counting_client(aiohttp_client)
    warm = await client.post(
        "/api/v1/products", json={**SEED_BODY, "model": "warm"}, headers=tenant.auth
    )
    assert warm.status == 201

    database.ops.clear()
    keyed = await client.post(
        "/api/v1/products",
        json={**SEED_BODY, "model": "keyed"},
        headers={**tenant.auth, "Idempotency-Key": "count-me"},
    )
    assert keyed.status == 201
    assert database.total() <= 4, database.ops
    assert not any(op.startswith(("api_keys.", "workspaces.", "templates.")) for op in database.ops)

    database.ops.clear()
    unkeyed = await client.post(
        "/api/v1/products", json={**SEED_BODY, "model": "plain"}, headers=tenant.auth
    )
    assert unkeyed.status == 201
    assert database.total() <= 2, database.ops

    database.ops.clear()
    replay = await client.post(
        "/api/v1/products",
        json={**SEED_BODY, "model": "keyed"},
        headers={**tenant.auth, "Idempotency-Key": "count-me"},
    )
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert database.total() <= 2, database.ops


async def test_cold_auth_reads_storage_once_then_never(aiohttp_client: Any) -> None:
    client, database, tenant = await counting_client(aiohttp_client)
    database.ops.clear()
    await client.post("/api/v1/products", json={"name": "x"}, headers=tenant.auth)
    assert database.ops["api_keys.find_one"] == 1
    database.ops.clear()
    response = await client.post("/api/v1/products", json={"name": "x"}, headers=tenant.auth)
    assert response.status == 400
    assert database.total() == 0, database.ops
