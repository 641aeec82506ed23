"""`make bench` (third part): the Mongo path, on the embedded server as production runs it.

The bench starts one secantusdb server on a temporary data directory with --sync-on-commit
(what the service's embedded mode uses), and the service on it through MONGODB_URI. Then:

1. Keyed creates through the service against a **driver floor**: the same four storage
   commands a keyed create sends (tests/test_storage_operations.py pins them: claim insert,
   budget-unit findAndModify, product insert, stored-outcome update), issued straight through
   PyMongo by 32 concurrent workers, with no HTTP, auth or validation. Same server, same
   concurrency; an uncounted warm-up round, then alternating measured rounds (bench/load.py's
   `alternate`); the report gives each target's median round and the service/floor ratio
   (median, min-max; each round against its own floor; goal >= 0.80).
2. List page 1 (limit 20) and search latency, one client, with 1,000 and then 10,000
   products in the workspace; each row after one uncounted request, whose time is printed.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from bson import ObjectId
from pymongo import AsyncMongoClient, ReturnDocument

from app.domain.clock import next_utc_midnight, utc_day, utc_now
from app.domain.records import NewProduct
from app.storage.mongo.embedded import EmbeddedServer
from app.storage.mongo.products import to_document
from app.storage.mongo.store import MongoStorage
from bench.create_products import CONNECTIONS, creates
from bench.load import (
    LoadResult,
    Run,
    alternate,
    drive,
    drive_calls,
    median_ratio,
    round_table,
    table,
)
from bench.servers import KEY, service, wait_until_up

SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
LIST_SECONDS = float(os.environ.get("BENCH_LIST_SECONDS", "8"))
SERVICE_DB = "tracepass"
FLOOR_DB = "bench_floor"
DRIVER_FLOOR = "driver floor: 4 commands through PyMongo"
SERVICE_CREATE = "service: keyed create (embedded server)"
GOAL = 0.8  # issue 12's goal for the median ratio to the driver floor
# A plan whose daily budget never runs out during the bench, so every create reserves a unit
# (the enterprise plan has no budget and would skip that command).
BENCH_PLAN = {"plan": "bench", "writesPerDay": 100_000_000, "readsPerDay": None}
TEMPLATE_ID = "6650a1b2c3d4e5f6a7b8c9d2"
# About the size of a created product's JSON, stored as the key's outcome.
STORED_BODY = json.dumps({"_id": "0" * 24, "name": "Li-Ion 48V Battery Pack", "x": "y" * 300})


def client(uri: str) -> AsyncMongoClient[Any]:
    # As MongoStorage.connect opens it.
    return AsyncMongoClient(uri, w="majority", tz_aware=True, appname="bench")


def new_product(workspace_id: str, model: str) -> NewProduct:
    return NewProduct(
        workspace_id=workspace_id,
        name="Li-Ion 48V Battery Pack",
        model=model,
        category="batteries",
        template_id=TEMPLATE_ID,
        description=None,
        default_field_values={"batteryChemistry": "NMC", "nominalVoltage": 48},
        image_urls=[],
        source_locale="en",
        created_at=utc_now(),
    )


def floor_create(database: Any, workspace_id: str, run: str) -> Callable[[int], Awaitable[int]]:
    """One keyed create's storage commands, as the service sends them, and nothing else."""
    idempotency, usage, products = database["idempotency"], database["usage"], database["products"]
    workspace = ObjectId(workspace_id)

    async def create(i: int) -> int:
        now = utc_now()
        key, owner = f"{run}-{i}", uuid.uuid4().hex
        await idempotency.insert_one(
            {
                "workspaceId": workspace,
                "key": key,
                "fingerprint": "f" * 64,
                "owner": owner,
                "leaseUntil": now + timedelta(seconds=30),
                "createdAt": now,
                "expiresAt": now + timedelta(hours=24),
            }
        )
        counted = await usage.find_one_and_update(
            {"workspaceId": workspace, "day": utc_day(now), "used": {"$lt": 100_000_000}},
            {"$inc": {"used": 1}},
            return_document=ReturnDocument.AFTER,
        )
        assert counted is not None
        product = new_product(workspace_id, f"BP-{run}-{i}")
        await products.insert_one(to_document(ObjectId(), product))
        await idempotency.update_one(
            {"workspaceId": workspace, "key": key, "owner": owner},
            {"$set": {"response": {"status": 201, "body": STORED_BODY.encode(), "location": "/"}}},
        )
        return 201

    return create


async def prepare_floor(uri: str) -> str:
    """The floor's own database, indexed like the service's, with its day counter opened."""
    mongo = client(uri)
    try:
        storage = MongoStorage(mongo[FLOOR_DB])
        await storage.prepare()
        workspace_id = str(ObjectId())
        now = utc_now()
        await storage.usage.reserve(workspace_id, utc_day(now), 1, next_utc_midnight(now))
        return workspace_id
    finally:
        await mongo.close()


async def seed_plan(uri: str) -> None:
    mongo = client(uri)
    try:
        await mongo[SERVICE_DB]["plans"].insert_one({**BENCH_PLAN, "canDeleteProducts": True})
    finally:
        await mongo.close()


async def fill_products(uri: str, target: int) -> None:
    """Products straight into the service's workspace, up to `target` in all."""
    mongo = client(uri)
    try:
        database = mongo[SERVICE_DB]
        workspace = await database["workspaces"].find_one({"name": "Bench"})
        assert workspace is not None
        products = database["products"]
        have = await products.count_documents({"workspaceId": workspace["_id"]})
        batch: list[dict[str, Any]] = []
        for n in range(have, target):
            batch.append(to_document(ObjectId(), new_product(str(workspace["_id"]), f"L-{n:06d}")))
            if len(batch) == 1000:
                await products.insert_many(batch)
                batch = []
        if batch:
            await products.insert_many(batch)
    finally:
        await mongo.close()


def driver_creates(database: Any, workspace_id: str) -> Run:
    async def run(seconds: float) -> LoadResult:
        # A fresh run id per round: every create has a new model and a new key.
        create = floor_create(database, workspace_id, uuid.uuid4().hex[:8])
        return await drive_calls(DRIVER_FLOOR, create, connections=CONNECTIONS, seconds=seconds)

    return run


async def compare_creates(uri: str, service_url: str) -> None:
    floor_workspace = await prepare_floor(uri)
    mongo = client(uri)
    try:
        results = await alternate(
            {
                DRIVER_FLOOR: driver_creates(mongo[FLOOR_DB], floor_workspace),
                SERVICE_CREATE: creates(SERVICE_CREATE, f"{service_url}/api/v1/products"),
            },
            SECONDS,
        )
    finally:
        await mongo.close()
    rounds = len(results[DRIVER_FLOOR])
    print(
        f"\nMongo path: embedded server with --sync-on-commit; {CONNECTIONS} connections, a "
        f"warm-up round, then {rounds} alternating rounds of {SECONDS:.0f} s; the median "
        "round's figures:"
    )
    print(round_table(results, DRIVER_FLOOR))
    ratio = median_ratio(results, SERVICE_CREATE, DRIVER_FLOOR)
    print(f"\nkeyed create / driver floor: median ratio {ratio:.2f} (goal >= {GOAL})")


async def list_latencies(uri: str, service_url: str) -> None:
    """One client at a time: the latency of a page, not a queue behind the server. Page 1, and
    a search matching 10 products (models L-000990 to L-000999) at either size."""
    auth = {"Authorization": f"Bearer {KEY}"}
    rows = []
    warm_ups = []
    for count in (1_000, 10_000):
        await fill_products(uri, count)
        for name, query in (("page 1", "limit=20"), ("search", "limit=20&search=l-00099")):
            # One uncounted request first, like every other row's warm-up round; shown below,
            # since right after a write load the embedded server can take many seconds.
            warm_ups.append(
                f"{name} of {count:,}: "
                + await first_request_time(f"{service_url}/api/v1/products?{query}", auth)
            )
            rows.append(
                await drive(
                    f"{name} (limit 20) of {count:,} products",
                    f"{service_url}/api/v1/products?{query}",
                    lambda _: (auth, {}),
                    connections=1,
                    seconds=LIST_SECONDS,
                    method="GET",
                )
            )
    print(
        f"\nList page 1 and a search on the embedded server, one client, {LIST_SECONDS:.0f} s each:"
    )
    print(table(rows, rows[0]).replace("ratio to floor", "ratio to page 1 of 1,000"))
    print("Each row's uncounted first request:", "; ".join(warm_ups))


async def first_request_time(url: str, headers: dict[str, str]) -> str:
    started = time.perf_counter()
    timeout = aiohttp.ClientTimeout(total=180)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(url, headers=headers) as response,
    ):
        await response.read()
    return f"{(time.perf_counter() - started) * 1000:,.0f} ms, status {response.status}"


async def main() -> None:
    data = Path(tempfile.mkdtemp(prefix="bench-mongo-"))
    server = EmbeddedServer(data / "db", sync_on_commit=True, log_path=data / "db.log")
    uri = await server.start()
    try:
        await seed_plan(uri)
        with service("bench", MONGODB_URI=uri, MONGODB_DB=SERVICE_DB) as service_url:
            await wait_until_up(f"{service_url}/readyz", within_seconds=60)
            await compare_creates(uri, service_url)
            await list_latencies(uri, service_url)
    finally:
        await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
