"""MongoDB outages and timeouts, injected by the server (failCommand failpoints on the embedded
server, scoped to this test's client): the client gets 503 + Retry-After, nothing is half-done,
and everything works again when storage returns."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from app.domain.clock import utc_day, utc_now
from app.domain.errors import ServiceUnavailable
from app.http.app import create_app
from app.services.seeding import seed_reference_data
from app.storage.mongo.store import MongoStorage
from tests.conftest import (
    SEED_BODY,
    SESSION_ACCESS_LOG,
    Api,
    MongoTier,
    add_tenant,
    app_settings,
    error_body,
    set_plan_limit,
)
from tests.mongo_faults import DATA_COMMANDS, HANDSHAKE_COMMANDS, FailPoints

UNAVAILABLE = error_body("Service temporarily unavailable", "service_unavailable")
SOCKET_TIMEOUT_MS = 1000
# How the server fails one command. Each is a different driver error: AutoReconnect (the
# connection dropped), NetworkTimeout (no answer within socketTimeoutMS; the server blocks and
# then refuses, so the command never runs), NotPrimaryError (ShutdownInProgress).
FAULTS: dict[str, dict[str, Any]] = {
    "connection-closed": {"closeConnection": True},
    "timeout": {
        "blockConnection": True,
        "blockTimeMS": SOCKET_TIMEOUT_MS + 500,
        "errorCode": 91,
    },
    "shutting-down": {"errorCode": 91},
}


@pytest.fixture
async def failpoints(mongo: MongoTier) -> AsyncIterator[FailPoints]:
    async with FailPoints(mongo.client()) as points:
        yield points


async def faulty_api(
    aiohttp_client: Any,
    mongo: MongoTier,
    failpoints: FailPoints,
    *,
    server_selection_timeout_ms: int = 5000,
    **settings: Any,
) -> Api:
    """The app on a client whose commands the failpoints may fail (by its appName)."""
    database = mongo.database(
        appname=failpoints.app_name,
        heartbeatFrequencyMS=500,
        socketTimeoutMS=SOCKET_TIMEOUT_MS,
        serverSelectionTimeoutMS=server_selection_timeout_ms,
    )
    storage = MongoStorage(database)
    await storage.prepare()
    await seed_reference_data(storage)
    await set_plan_limit(storage, "tiny", 10)
    tenant = await add_tenant(storage, plan="tiny")
    app = create_app(
        access_log=SESSION_ACCESS_LOG,
        settings=app_settings(auth_cache_seconds=0, plan_cache_seconds=0, **settings),
        storage=storage,
        on_first_access=lambda settings, access: None,
    )
    return Api(await aiohttp_client(app), storage, tenant)


async def used_today(api: Api) -> int:
    return await api.storage.usage.used(api.tenant.workspace.id, utc_day(utc_now()))


async def count_products(api: Api) -> int:
    body = await (await api.call("GET", "/api/v1/products?showArchived=true")).json()
    return int(body["data"]["total"])


async def expect_503(response: Any) -> None:
    assert response.status == 503
    assert response.headers["Retry-After"].isdigit()
    assert await response.json() == UNAVAILABLE


async def until_reachable(storage: MongoStorage, attempts: int = 50) -> None:
    """After a heal the driver finds the server again at its next heartbeat."""
    for _ in range(attempts):
        if await storage.ping():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("storage never became reachable again")


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize(
    ("site", "command", "skip"),
    [
        ("claim", "insert", 0),  # the first insert of a keyed create takes the claim
        ("budget", "findAndModify", 0),  # reserving the budget unit
        ("product", "insert", 1),  # the second one writes the product
    ],
)
async def test_fault_during_a_keyed_create_leaves_nothing_behind(
    aiohttp_client: Any,
    mongo: MongoTier,
    failpoints: FailPoints,
    site: str,
    command: str,
    skip: int,
    fault: str,
) -> None:
    api = await faulty_api(aiohttp_client, mongo, failpoints)
    await api.create_product(model="warm")  # the day's budget counter exists
    await failpoints.fail([command], skip=skip, **FAULTS[fault])
    await expect_503(await api.create(SEED_BODY, key="k-1"))
    await failpoints.heal()
    await until_reachable(api.storage)  # type: ignore[arg-type]
    assert await used_today(api) == 1  # the reserved unit was given back
    retry = await api.create(SEED_BODY, key="k-1")  # the claim was released: it executes
    assert retry.status == 201, await retry.text()
    assert "Idempotent-Replayed" not in retry.headers
    assert await used_today(api) == 2
    assert await count_products(api) == 2


async def test_fault_while_finalizing_keeps_the_claim_until_its_lease_ends(
    aiohttp_client: Any, mongo: MongoTier, failpoints: FailPoints
) -> None:
    """The product was written but its outcome could not be stored: the key stays claimed
    (409 in flight) until the lease runs out; the retry then answers the product created."""
    api = await faulty_api(aiohttp_client, mongo, failpoints)
    # A keyed create's only `update` is the stored outcome (the budget unit is a findAndModify).
    await failpoints.fail(["update"], **FAULTS["connection-closed"])
    await expect_503(await api.create(SEED_BODY, key="k-2"))
    await until_reachable(api.storage)  # type: ignore[arg-type]
    early = await api.create(SEED_BODY, key="k-2")
    assert early.status == 409
    assert (await early.json())["code"] == "idempotency_key_in_use"
    # The lease runs out: moved into the past on the stored claim rather than waited for, so
    # the outcome does not depend on how fast a loaded machine runs the steps above.
    claims = api.storage.database["idempotency"]  # type: ignore[attr-defined]
    lapsed = await claims.update_one(
        {"key": "k-2"}, {"$set": {"leaseUntil": utc_now() - timedelta(seconds=1)}}
    )
    assert lapsed.modified_count == 1
    late = await api.create(SEED_BODY, key="k-2")
    assert late.status == 201
    assert await count_products(api) == 1
    assert await used_today(api) == 1  # the write happened once and is counted once


async def test_outage_then_recovery_on_every_kind_of_route(
    aiohttp_client: Any, mongo: MongoTier, failpoints: FailPoints
) -> None:
    api = await faulty_api(aiohttp_client, mongo, failpoints)
    created = await (await api.create(SEED_BODY)).json()
    product = f"/api/v1/products/{created['_id']}"
    await failpoints.outage(DATA_COMMANDS, closeConnection=True)
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
    # Templates are served from memory, but the key lookup needs storage when the auth cache
    # is cold (it is disabled here).
    await expect_503(await api.call("GET", "/api/v1/templates"))
    assert (await api.client.get("/healthz")).status == 200  # the process itself is fine
    await failpoints.heal()
    await until_reachable(api.storage)  # type: ignore[arg-type]
    assert (await api.client.get("/readyz")).status == 200
    assert (await api.call("PATCH", product, {"name": "after"})).status == 200
    assert await count_products(api) == 1
    assert await used_today(api) == 2  # the create and the patch; nothing from the outage


async def test_unreachable_server_is_503_until_it_is_back(
    aiohttp_client: Any, mongo: MongoTier, failpoints: FailPoints
) -> None:
    """The monitor's own hello fails too: no server can be selected (ServerSelectionTimeout)."""
    api = await faulty_api(aiohttp_client, mongo, failpoints, server_selection_timeout_ms=1000)
    await api.create_product(model="before")
    await failpoints.outage(HANDSHAKE_COMMANDS + DATA_COMMANDS, closeConnection=True)
    ready = await api.client.get("/readyz")
    assert ready.status == 503
    assert (await ready.json())["checks"]["storage"] is False
    await expect_503(await api.create({**SEED_BODY, "model": "during"}, key="k-3"))
    assert (await api.client.get("/healthz")).status == 200
    await failpoints.heal()
    await until_reachable(api.storage)  # type: ignore[arg-type]
    assert (await api.client.get("/readyz")).status == 200
    after = await api.create({**SEED_BODY, "model": "during"}, key="k-3")
    assert after.status == 201
    assert await count_products(api) == 2
    assert await used_today(api) == 2


async def test_metrics_count_storage_errors(
    aiohttp_client: Any, mongo: MongoTier, failpoints: FailPoints
) -> None:
    api = await faulty_api(aiohttp_client, mongo, failpoints)
    await failpoints.outage(["find", "aggregate"], closeConnection=True)
    for _ in range(3):
        await expect_503(await api.call("GET", "/api/v1/products"))
    text = await (await api.client.get("/metrics")).text()
    assert "tracepass_storage_unavailable_total 3.0" in text


async def test_failpoints_touch_only_the_client_they_name(
    mongo: MongoTier, failpoints: FailPoints
) -> None:
    """The scoping every test above relies on: another client works through an outage."""
    bystander = MongoStorage(mongo.database())
    victim = MongoStorage(mongo.database(appname=failpoints.app_name, serverSelectionTimeoutMS=500))
    await failpoints.outage(DATA_COMMANDS, closeConnection=True)
    assert await bystander.ping()
    assert not await victim.ping()


async def test_grant_approval_that_keeps_colliding_is_503_and_changes_nothing(
    mongo: MongoTier,
) -> None:
    """An approval whose insert collides (normally: a concurrent approval won the unique key)
    runs the update again; collisions without end become the retryable 503, never a 500. The
    endless collision here is a real one: a test-only unique index on approvedAt, which an
    existing grant already holds."""
    database = mongo.database()
    storage = MongoStorage(database)
    await storage.prepare()
    user, workspace, at = "6650a1b2c3d4e5f6a7b8c9e0", "6650a1b2c3d4e5f6a7b8c9d0", utc_now()
    first = await storage.grants.approve(user, workspace, "app-1", ("a",), at)
    await database["oauth_grants"].create_index("approvedAt", unique=True)
    with pytest.raises(ServiceUnavailable):
        await storage.grants.approve(user, workspace, "app-2", ("a",), at)
    assert await storage.grants.find(user_id=user) == [first]
