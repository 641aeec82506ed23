"""`make bench`: keyed creates against the service (STORAGE=memory) vs. the JSON-parsing floor.

Both servers run as their own processes; the same load drives them in alternating turns, and
the report gives throughput and latency of each and the service/floor throughput ratio.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

from bench.load import LoadResult, drive, median_result, table
from bench.servers import KEY, service_and_floor, wait_for

TURNS = int(os.environ.get("BENCH_TURNS", "3"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = 32


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


async def main() -> None:
    floors: list[LoadResult] = []
    services: list[LoadResult] = []
    with service_and_floor() as targets:
        await wait_for(targets)
        for turn in range(TURNS):
            floors.append(
                await drive(
                    "floor (parse JSON, 201)",
                    f"{targets.floor}/api/v1/products",
                    create_request(f"f{turn}-{uuid.uuid4().hex[:6]}"),
                    connections=CONNECTIONS,
                    seconds=SECONDS,
                )
            )
            services.append(
                await drive(
                    "service: keyed create (memory store)",
                    f"{targets.service}/api/v1/products",
                    create_request(f"s{turn}-{uuid.uuid4().hex[:6]}"),
                    connections=CONNECTIONS,
                    seconds=SECONDS,
                )
            )
    floor, service = median_result(floors), median_result(services)
    print(f"{CONNECTIONS} connections, {TURNS} alternating turns of {SECONDS:.0f} s; median turn:")
    print(table([floor, service], floor))
    ratio = service.throughput / floor.throughput
    print(f"\ncreate path / floor throughput ratio: {ratio:.2f} (target >= 0.50)")
    print(f"service non-2xx over all turns: {sum(r.non_2xx for r in services)}")


if __name__ == "__main__":
    asyncio.run(main())
