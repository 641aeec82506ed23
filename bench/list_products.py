"""`make bench` (second part): listing with 10,000 products in the workspace (STORAGE=memory).

Three service targets — the first page (limit 20), a deep page, and a literal search that
matches a handful of products — each against the floor's pre-built 20-item page, in
alternating turns; the report gives throughput, latency and the ratio to the floor.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import aiohttp

from bench.load import LoadResult, drive, median_result, table
from bench.servers import KEY, service_and_floor, wait_for

PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "10000"))
TURNS = int(os.environ.get("BENCH_TURNS", "3"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = 32
AUTH = {"Authorization": f"Bearer {KEY}"}
TARGETS = {
    "service: first page (limit 20)": "/api/v1/products?limit=20",
    "service: page 100 (limit 20)": "/api/v1/products?limit=20&page=100",
    "service: search (10 of 10,000 match)": "/api/v1/products?limit=20&search=bp-0999",
}


async def fill(base_url: str) -> None:
    """PRODUCTS creates through the API, 50 in flight (the enterprise plan has no budget)."""
    async with aiohttp.ClientSession(headers=AUTH) as session:
        semaphore = asyncio.Semaphore(50)

        async def create(n: int) -> None:
            body = {"name": f"Pack {n}", "model": f"BP-{n:05d}", "category": "batteries"}
            async with semaphore, session.post(f"{base_url}/api/v1/products", json=body) as r:
                if r.status != 201:
                    raise RuntimeError(f"seeding failed: {r.status} {await r.text()}")

        await asyncio.gather(*(create(n) for n in range(PRODUCTS)))


def get_request(_: int) -> tuple[dict[str, str], dict[str, Any]]:
    return AUTH, {}


async def main() -> None:
    results: dict[str, list[LoadResult]] = {"floor": [], **{name: [] for name in TARGETS}}
    with service_and_floor() as targets:
        await wait_for(targets)
        await fill(targets.service)
        for _ in range(TURNS):
            results["floor"].append(
                await drive(
                    "floor (serialize a 20-item page)",
                    f"{targets.floor}/api/v1/products?limit=20",
                    get_request,
                    connections=CONNECTIONS,
                    seconds=SECONDS,
                    method="GET",
                )
            )
            for name, path in TARGETS.items():
                results[name].append(
                    await drive(
                        name,
                        f"{targets.service}{path}",
                        get_request,
                        connections=CONNECTIONS,
                        seconds=SECONDS,
                        method="GET",
                    )
                )
    medians = {name: median_result(turns) for name, turns in results.items()}
    floor = medians["floor"]
    print(
        f"\n{PRODUCTS} products in the workspace; {CONNECTIONS} connections, {TURNS} alternating "
        f"turns of {SECONDS:.0f} s; median turn:"
    )
    print(table(list(medians.values()), floor))
    bad = sum(r.non_2xx for name, turns in results.items() for r in turns if name != "floor")
    print(f"service non-2xx over all turns: {bad}")


if __name__ == "__main__":
    asyncio.run(main())
