"""`make bench` (first part): keyed creates against the service (memory store) vs. the
JSON-parsing floor.

Both servers run as their own processes; after an uncounted warm-up round, the same load drives
them in alternating measured rounds, and the report gives each target's median round and its
service/floor throughput ratio (median, min-max; each round against its own floor).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

from bench.load import LoadResult, alternate, drive, median_ratio, round_table
from bench.servers import KEY, service_and_floor, wait_for

SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = 32
FLOOR = "floor (parse JSON, 201)"
CREATE = "service: keyed create"
TARGET = 0.6  # issue 12's bar for the median ratio (stretch 0.7)


def create_request(run: str) -> Any:
    def make(i: int) -> tuple[dict[str, str], dict[str, Any]]:
        headers = {"Authorization": f"Bearer {KEY}", "Idempotency-Key": f"{run}-{i}"}
        body = {
            "name": "Li-Ion 48V Battery Pack",
            "model": f"BP-{run}-{i}",
            "category": "batteries",
            "defaultFieldValues": {"batteryChemistry": "NMC", "nominalVoltage": 48},
        }
        return headers, body

    return make


def creates(name: str, url: str) -> Any:
    async def run(seconds: float) -> LoadResult:
        # A fresh run id per round: every create has a new model and a new Idempotency-Key.
        requests = create_request(uuid.uuid4().hex[:8])
        return await drive(name, url, requests, connections=CONNECTIONS, seconds=seconds)

    return run


async def main() -> None:
    with service_and_floor() as targets:
        await wait_for(targets)
        results = await alternate(
            {
                FLOOR: creates(FLOOR, f"{targets.floor}/api/v1/products"),
                CREATE: creates(CREATE, f"{targets.service}/api/v1/products"),
            },
            SECONDS,
        )
    rounds = len(results[FLOOR])
    print(
        f"{CONNECTIONS} connections, a warm-up round, then {rounds} alternating rounds of "
        f"{SECONDS:.0f} s; the median round's figures:"
    )
    print(round_table(results, FLOOR))
    print(
        f"\nkeyed create / floor: median ratio {median_ratio(results, CREATE, FLOOR):.2f} "
        f"(target >= {TARGET})"
    )


if __name__ == "__main__":
    asyncio.run(main())
