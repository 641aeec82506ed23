"""`make bench` (second part): listing with 10,000 products in the workspace (memory store).

Three service targets — the first page (limit 20), a deep page, and a literal search that
matches a handful of products — each against the floor's pre-built 20-item page; after an
uncounted warm-up round they run in alternating measured rounds, and the report gives each
target's median round and its median ratio to the floor of the same round, with min-max.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import aiohttp

from bench.load import LoadResult, alternate, drive, median_ratio, round_table
from bench.servers import KEY, service_and_floor, wait_for

PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "10000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = 32
AUTH = {"Authorization": f"Bearer {KEY}"}
FLOOR = "floor (serialize a 20-item page)"
# name -> (path, issue 12's bar for the median ratio)
TARGETS = {
    "service: first page (limit 20)": ("/api/v1/products?limit=20", 0.6),
    "service: page 100 (limit 20)": ("/api/v1/products?limit=20&page=100", None),
    "service: search (10 of 10,000 match)": ("/api/v1/products?limit=20&search=bp-0999", 0.3),
}


async def fill(base_url: str, count: int = PRODUCTS, first: int = 0) -> None:
    """`count` creates through the API (models BP-<first>... on), 50 in flight (the enterprise
    plan has no budget)."""
    async with aiohttp.ClientSession(headers=AUTH) as session:
        semaphore = asyncio.Semaphore(50)

        async def create(n: int) -> None:
            body = {"name": f"Pack {n}", "model": f"BP-{n:05d}", "category": "batteries"}
            async with semaphore, session.post(f"{base_url}/api/v1/products", json=body) as r:
                if r.status != 201:
                    raise RuntimeError(f"seeding failed: {r.status} {await r.text()}")

        await asyncio.gather(*(create(n) for n in range(first, first + count)))


def get_request(_: int) -> tuple[dict[str, str], dict[str, Any]]:
    return AUTH, {}


def gets(name: str, url: str) -> Any:
    async def run(seconds: float) -> LoadResult:
        return await drive(
            name, url, get_request, connections=CONNECTIONS, seconds=seconds, method="GET"
        )

    return run


async def main() -> None:
    with service_and_floor() as targets:
        await wait_for(targets)
        await fill(targets.service)
        runs = {FLOOR: gets(FLOOR, f"{targets.floor}/api/v1/products?limit=20")}
        for name, (path, _) in TARGETS.items():
            runs[name] = gets(name, f"{targets.service}{path}")
        results = await alternate(runs, SECONDS)
    rounds = len(results[FLOOR])
    print(
        f"\n{PRODUCTS} products in the workspace; {CONNECTIONS} connections, a warm-up round, "
        f"then {rounds} alternating rounds of {SECONDS:.0f} s; the median round's figures:"
    )
    print(round_table(results, FLOOR))
    for name, (_, target) in TARGETS.items():
        if target is not None:
            ratio = median_ratio(results, name, FLOOR)
            print(f"{name} / floor: median ratio {ratio:.2f} (target >= {target})")


if __name__ == "__main__":
    asyncio.run(main())
