"""`make soak`: 60 s of mixed traffic against the service (embedded store), then a check made
from the API alone that nothing was lost, duplicated or replayed wrongly.

Traffic, from several concurrent clients: creates with and without an Idempotency-Key, retries
of earlier keys (the same body), creates of a model that already exists, list pages and
searches, and PATCHes (with and without a key). At the end the whole catalogue is walked with
cursors and compared with what the clients were told.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.servers import KEY, service_and_floor, wait_for

SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "16"))
AUTH = {"Authorization": f"Bearer {KEY}"}


@dataclass
class Ledger:
    """What the clients were told, to compare with the catalogue at the end."""

    created: dict[str, str] = field(default_factory=dict)  # product id -> model
    keyed: dict[str, tuple[int, bytes, dict[str, Any]]] = field(default_factory=dict)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    replays: int = 0
    replay_mismatches: list[str] = field(default_factory=list)
    duplicate_creates_refused: int = 0
    problems: list[str] = field(default_factory=list)
    cut: int = 0  # requests whose connection broke (the crash test kills the service)


def create_body(model: str) -> dict[str, Any]:
    return {
        "name": f"Soak pack {model}",
        "model": model,
        "category": random.choice(["batteries", "battery", "textiles", "tyres"]),
    }


async def client(session: aiohttp.ClientSession, ledger: Ledger, deadline: float, n: int) -> None:
    """Mixed traffic until `deadline`, or until the connection breaks (the service was killed)."""
    try:
        await traffic(session, ledger, deadline, n)
    except (TimeoutError, aiohttp.ClientError):
        ledger.cut += 1


async def traffic(session: aiohttp.ClientSession, ledger: Ledger, deadline: float, n: int) -> None:
    rng = random.Random(n)
    own_keys: list[str] = []
    while time.monotonic() < deadline:
        roll = rng.random()
        started = time.perf_counter()
        if roll < 0.30:  # keyed create
            key, model = f"soak-{uuid.uuid4()}", f"K-{uuid.uuid4().hex[:12]}"
            body = create_body(model)
            status, raw = await send(session, "POST", "/api/v1/products", body, key, ledger)
            ledger.keyed[key] = (status, raw, body)
            own_keys.append(key)
            record_create(ledger, status, raw)
        elif roll < 0.45:  # unkeyed create
            body = create_body(f"U-{uuid.uuid4().hex[:12]}")
            status, raw = await send(session, "POST", "/api/v1/products", body, None, ledger)
            record_create(ledger, status, raw)
        elif roll < 0.60 and own_keys:  # retry of an earlier key, same body
            key = rng.choice(own_keys)
            original_status, original_raw, body = ledger.keyed[key]
            status, raw = await send(session, "POST", "/api/v1/products", body, key, ledger)
            if status == 409 and b"idempotency_key_in_use" in raw:
                pass  # the first attempt is still running somewhere: a legitimate answer
            elif (status, raw) != (original_status, original_raw):
                ledger.replay_mismatches.append(key)
            else:
                ledger.replays += 1
        elif roll < 0.65 and ledger.created:  # a model that exists already
            model = rng.choice(list(ledger.created.values()))
            status, raw = await send(
                session, "POST", "/api/v1/products", create_body(model), None, ledger
            )
            if status == 409 and b"duplicate_model" in raw:
                ledger.duplicate_creates_refused += 1
            elif status == 201:
                ledger.problems.append(f"second product created for model {model}")
        elif roll < 0.85:  # lists and searches
            query = rng.choice(["?limit=20", "?limit=50&page=2", "?search=soak", "?category=tyres"])
            await send(session, "GET", f"/api/v1/products{query}", None, None, ledger)
        elif ledger.created:  # patch one of the products
            product_id = rng.choice(list(ledger.created))
            change = {"description": f"rev {uuid.uuid4().hex[:6]}"}
            key = f"patch-{uuid.uuid4()}" if rng.random() < 0.5 else None
            await send(session, "PATCH", f"/api/v1/products/{product_id}", change, key, ledger)
        ledger.latencies.append((time.perf_counter() - started) * 1000)


async def send(
    session: aiohttp.ClientSession,
    method: str,
    path: str,
    body: Any,
    key: str | None,
    ledger: Ledger,
) -> tuple[int, bytes]:
    headers = {"Idempotency-Key": key} if key else {}
    async with session.request(method, path, json=body, headers=headers) as response:
        raw = await response.read()
    ledger.statuses[(f"{method} {path.split('?')[0][:16]}", response.status)] += 1
    if response.status >= 500:
        ledger.problems.append(f"{method} {path}: {response.status} {raw[:200]!r}")
    return response.status, raw


def record_create(ledger: Ledger, status: int, raw: bytes) -> None:
    if status != 201:
        ledger.problems.append(f"create answered {status}: {raw[:200]!r}")
        return
    product = json.loads(raw)
    ledger.created[product["_id"]] = product["model"]


async def walk_catalogue(session: aiohttp.ClientSession) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    query = "?showArchived=true&limit=100"
    while True:
        async with session.get(f"/api/v1/products{query}") as response:
            data = (await response.json())["data"]
        items += data["items"]
        if data["nextCursor"] is None:
            return items
        query = f"?showArchived=true&limit=100&cursor={data['nextCursor']}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * q), len(ordered) - 1)] if ordered else 0.0


async def main() -> int:
    ledger = Ledger()
    with service_and_floor() as targets:
        await wait_for(targets)
        connector = aiohttp.TCPConnector(limit=CLIENTS)
        async with aiohttp.ClientSession(targets.service, headers=AUTH, connector=connector) as s:
            started = time.monotonic()
            deadline = started + SECONDS
            await asyncio.gather(*(client(s, ledger, deadline, n) for n in range(CLIENTS)))
            elapsed = time.monotonic() - started
            catalogue = await walk_catalogue(s)
    ids = [item["_id"] for item in catalogue]
    models = [item["model"] for item in catalogue]
    missing = set(ledger.created) - set(ids)
    unexpected = set(ids) - set(ledger.created)
    repeated_ids = [i for i, n in Counter(ids).items() if n > 1]
    repeated_models = [m for m, n in Counter(models).items() if n > 1]
    requests = sum(ledger.statuses.values())
    print(f"\nsoak: {SECONDS:.0f} s, {CLIENTS} clients, embedded store")
    print(
        f"requests: {requests} ({requests / elapsed:.0f} req/s), "
        f"p50 {percentile(ledger.latencies, 0.5):.1f} ms, "
        f"p99 {percentile(ledger.latencies, 0.99):.1f} ms"
    )
    for (route, status), count in sorted(ledger.statuses.items()):
        print(f"  {route:<22} {status}: {count}")
    print(f"products created (201): {len(ledger.created)}; in the catalogue: {len(ids)}")
    print(
        f"replays matching their original byte for byte: {ledger.replays}; "
        f"mismatches: {len(ledger.replay_mismatches)}"
    )
    print(f"creates of an existing model refused with 409: {ledger.duplicate_creates_refused}")
    checks = {
        "every 201 product exists": not missing,
        "no product the clients were not told about": not unexpected,
        "no product listed twice": not repeated_ids,
        "no model duplicated": not repeated_models,
        "every replay matched its original": not ledger.replay_mismatches,
        "no 5xx and no unexpected status": not ledger.problems,
    }
    for name, passed in checks.items():
        print(f"  {'ok  ' if passed else 'FAIL'} {name}")
    for problem in ledger.problems[:10]:
        print(f"    {problem}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
