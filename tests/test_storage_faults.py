"""MongoDB outages and timeouts (PyMongo's own exceptions, injected at chosen calls): the client
gets 503 + Retry-After, nothing is half-done, and everything works again when storage returns."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo.errors import AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError

from app.domain.clock import utc_day, utc_now
from app.http.app import create_app
from app.services.seeding import seed_reference_data
from app.storage.mongo.store import MongoStorage
from tests.conftest import SEED_BODY, Api, add_tenant, app_settings, error_body, set_plan_limit
from tests.mongo_faults import FaultPlan, FaultyDatabase
from tests.mongo_shim import mock_database

UNAVAILABLE = error_body("Service temporarily unavailable", "service_unavailable")
ERRORS = [
    ServerSelectionTimeoutError("no primary"),
    NetworkTimeout("timed out"),
    AutoReconnect("connection reset"),
]


async def faulty_api(aiohttp_client: Any, **settings: Any) -> tuple[Api, FaultPlan]:
    plan = FaultPlan()
    storage = MongoStorage(FaultyDatabase(mock_database(), plan))
    await storage.prepare()
    await seed_reference_data(storage)
    await set_plan_limit(storage, "tiny", 10)
    tenant = await add_tenant(storage, plan="tiny")
    app = create_app(
        app_settings(auth_cache_seconds=0, plan_cache_seconds=0, **settings),
        storage=storage,
        on_first_access=lambda settings, access: None,
    )
    return Api(await aiohttp_client(app), storage, tenant), plan


async def used_today(api: Api) -> int:
    return await api.storage.usage.used(api.tenant.workspace.id, utc_day(utc_now()))


async def count_products(api: Api) -> int:
    body = await (await api.call("GET", "/api/v1/products?showArchived=true")).json()
    return int(body["data"]["total"])


async def expect_503(response: Any) -> None:
    assert response.status == 503
    assert response.headers["Retry-After"].isdigit()
    assert await response.json() == UNAVAILABLE


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize(
    ("collection", "method"),
    [
        ("idempotency", "insert_one"),  # taking the claim
        ("usage", "find_one_and_update"),  # reserving the budget unit
        ("products", "insert_one"),  # executing the create
    ],
)
async def test_fault_during_a_keyed_create_leaves_nothing_behind(
    aiohttp_client: Any, collection: str, method: str, error: Exception
) -> None:
    api, plan = await faulty_api(aiohttp_client)
    plan.fail(collection, method, error)
    await expect_503(await api.create(SEED_BODY, key="k-1"))
    assert await used_today(api) == 0  # the reserved unit was given back
    retry = await api.create(SEED_BODY, key="k-1")  # the claim was released: it executes
    assert retry.status == 201
    assert "Idempotent-Replayed" not in retry.headers
    assert await used_today(api) == 1
    assert await count_products(api) == 1


async def test_fault_while_finalizing_keeps_the_claim_until_its_lease_ends(
    aiohttp_client: Any,
) -> None:
    """The product was written but its outcome could not be stored: the key stays claimed
    (409 in flight) until the lease runs out; the retry then answers the product created."""
    api, plan = await faulty_api(aiohttp_client, idempotency_lease_seconds=0.3)
    plan.fail("idempotency", "update_one", NetworkTimeout("timed out"))
    await expect_503(await api.create(SEED_BODY, key="k-2"))
    early = await api.create(SEED_BODY, key="k-2")
    assert early.status == 409
    assert (await early.json())["code"] == "idempotency_key_in_use"
    await asyncio.sleep(0.4)
    late = await api.create(SEED_BODY, key="k-2")
    assert late.status == 201
    assert await count_products(api) == 1
    assert await used_today(api) == 1  # the write happened once and is counted once


async def test_outage_then_recovery_on_every_kind_of_route(aiohttp_client: Any) -> None:
    api, plan = await faulty_api(aiohttp_client)
    created = await (await api.create(SEED_BODY)).json()
    product = f"/api/v1/products/{created['_id']}"
    plan.outage(ServerSelectionTimeoutError("no primary"))
    ready = await api.client.get("/readyz")
    assert ready.status == 503 and ready.headers["Retry-After"]
    assert (await ready.json())["checks"]["storage"] is False
    for method, path, body in [
        ("GET", "/api/v1/products", None),
        ("GET", product, None),
        ("PATCH", product, {"name": "x"}),
        ("POST", f"{product}/archive", None),
        ("DELETE", f"{product}/images/0", None),
        ("POST", "/api/v1/products", {**SEED_BODY, "model": "OTHER"}),
    ]:
        await expect_503(await api.call(method, path, body))
    # Templates are served from memory: reads that need no storage keep working... but the
    # key lookup needs storage when the auth cache is cold (it is disabled here).
    await expect_503(await api.call("GET", "/api/v1/templates"))
    assert (await api.client.get("/healthz")).status == 200  # the process itself is fine
    plan.heal()
    assert (await api.client.get("/readyz")).status == 200
    assert (await api.call("PATCH", product, {"name": "after"})).status == 200
    assert await count_products(api) == 1
    assert await used_today(api) == 2  # the create and the patch; nothing from the outage


async def test_metrics_count_storage_errors(aiohttp_client: Any) -> None:
    api, plan = await faulty_api(aiohttp_client)
    plan.outage(AutoReconnect("gone"), collection="products")
    for _ in range(3):
        await expect_503(await api.call("GET", "/api/v1/products"))
    text = await (await api.client.get("/metrics")).text()
    assert "tracepass_storage_unavailable_total 3.0" in text
