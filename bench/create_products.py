"""`make bench` (first part): keyed creates against the service (memory store) vs. the
JSON-parsing floor.

Four targets in one alternating run: the floor; a keyed product create with the API key; the
same create with an OAuth access token (`tpat_...`, got over HTTP by bench/oauth_token.py, for
the `Bench` editor, scope `passports:write`); and a keyed passport create (one passport under
one product, a new serial each time). All run as their own processes; after an uncounted
warm-up round, the same load drives them in alternating measured rounds, and the report gives
each target's median round and its service/floor throughput ratio (median, min-max; each round
against its own floor).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bench.load import LoadResult, Run, alternate, drive, median_ratio, round_table
from bench.oauth_token import editor_tokens
from bench.servers import KEY, service_and_floor, wait_for

SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = 32
FLOOR = "floor (parse JSON, 201)"
CREATE = "service: keyed create"
TOKEN_CREATE = "service: keyed create, OAuth token"
PASSPORT_CREATE = "service: keyed passport create"
TARGET = 0.6  # issue 12's bar for the median ratio (stretch 0.7)
GTIN = "04012345000016"  # a valid GTIN-14 (passports-api.md §3); Bench is its only workspace

RequestMaker = Callable[[int], tuple[dict[str, str], dict[str, Any]]]
BodyFor = Callable[[str, int], dict[str, Any]]  # (round id, request number) -> JSON body
# The bearer credential to send in a round of `seconds`.
Credential = Callable[[float], Awaitable[str]]


def product_body(run: str, i: int) -> dict[str, Any]:
    return {
        "name": "Li-Ion 48V Battery Pack",
        "model": f"BP-{run}-{i}",
        "category": "batteries",
        "defaultFieldValues": {"batteryChemistry": "NMC", "nominalVoltage": 48},
    }


def passport_body(product_id: str) -> BodyFor:
    def body(run: str, i: int) -> dict[str, Any]:
        return {"productId": product_id, "gs1": {"gtin": GTIN, "serialNumber": f"SN-{run}-{i}"}}

    return body


def keyed_requests(run: str, credential: str, body_for: BodyFor) -> RequestMaker:
    def make(i: int) -> tuple[dict[str, str], dict[str, Any]]:
        headers = {"Authorization": f"Bearer {credential}", "Idempotency-Key": f"{run}-{i}"}
        return headers, body_for(run, i)

    return make


def create_request(run: str) -> RequestMaker:
    """Keyed product creates with the API key, models and keys unique within `run`."""
    return keyed_requests(run, KEY, product_body)


async def api_key(seconds: float) -> str:
    return KEY


def creates(
    name: str, url: str, body_for: BodyFor = product_body, credential: Credential = api_key
) -> Run:
    async def run(seconds: float) -> LoadResult:
        # A fresh run id per round: every create has a new model or serial and a new
        # Idempotency-Key.
        requests = keyed_requests(uuid.uuid4().hex[:8], await credential(seconds), body_for)
        return await drive(name, url, requests, connections=CONNECTIONS, seconds=seconds)

    return run


async def passport_product(base_url: str) -> str:
    """The product the passport creates are issued under."""
    headers = {"Authorization": f"Bearer {KEY}"}
    body = product_body("passports", 0)
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.post(f"{base_url}/api/v1/products", json=body) as response,
    ):
        created = await response.json()
        if response.status != 201:
            raise RuntimeError(f"product create answered {response.status}: {created}")
        return str(created["_id"])


async def main() -> None:
    with service_and_floor() as targets:
        await wait_for(targets)
        tokens = await editor_tokens(targets.service)
        product_id = await passport_product(targets.service)
        products = f"{targets.service}/api/v1/products"
        results = await alternate(
            {
                FLOOR: creates(FLOOR, f"{targets.floor}/api/v1/products"),
                CREATE: creates(CREATE, products),
                TOKEN_CREATE: creates(TOKEN_CREATE, products, credential=tokens.valid_for),
                PASSPORT_CREATE: creates(
                    PASSPORT_CREATE,
                    f"{targets.service}/api/v1/passports",
                    passport_body(product_id),
                ),
            },
            SECONDS,
        )
    rounds = len(results[FLOOR])
    print(
        f"{CONNECTIONS} connections, a warm-up round, then {rounds} alternating rounds of "
        f"{SECONDS:.0f} s; the median round's figures:"
    )
    print(round_table(results, FLOOR))
    print()
    for name in (CREATE, TOKEN_CREATE, PASSPORT_CREATE):
        print(f"{name} / floor: median ratio {median_ratio(results, name, FLOOR):.2f}")
    print(f"(issue 12's bar for the keyed create: >= {TARGET})")


if __name__ == "__main__":
    asyncio.run(main())
