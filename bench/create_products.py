"""`make bench`: keyed creates against the service (embedded store) vs. the JSON-parsing floor.

Both servers run as their own processes; the same load drives them in alternating turns, and
the report gives throughput and latency of each and the service/floor throughput ratio.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp

from bench.load import LoadResult, drive, median_result, table

ROOT = Path(__file__).resolve().parent.parent
KEY = "tp_bench_" + "k" * 40
TURNS = int(os.environ.get("BENCH_TURNS", "3"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = 32


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_until_up(url: str, within_seconds: float = 20.0) -> None:
    deadline = time.monotonic() + within_seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def process(args: list[str], env: dict[str, str]) -> Iterator[None]:
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


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
    bootstrap = Path(tempfile.mkdtemp()) / "tenants.json"
    bootstrap.write_text(
        json.dumps({"workspaces": [{"name": "Bench", "plan": "enterprise", "apiKeys": [KEY]}]})
    )
    service_port, floor_port = free_port(), free_port()
    env = {
        **os.environ,
        "PORT": str(service_port),
        "BOOTSTRAP_FILE": str(bootstrap),
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "INFO"),
    }
    env.pop("MONGODB_URI", None)
    service_cmd = [sys.executable, "-m", "app"]
    floor_cmd = [sys.executable, "-m", "bench.floor_server", str(floor_port)]
    floors: list[LoadResult] = []
    services: list[LoadResult] = []
    with process(service_cmd, env), process(floor_cmd, env):
        await wait_until_up(f"http://127.0.0.1:{service_port}/healthz")
        await wait_until_up(f"http://127.0.0.1:{floor_port}/api/v1/products")
        for turn in range(TURNS):
            floors.append(
                await drive(
                    "floor (parse JSON, 201)",
                    f"http://127.0.0.1:{floor_port}/api/v1/products",
                    create_request(f"f{turn}-{uuid.uuid4().hex[:6]}"),
                    connections=CONNECTIONS,
                    seconds=SECONDS,
                )
            )
            services.append(
                await drive(
                    "service: keyed create (embedded)",
                    f"http://127.0.0.1:{service_port}/api/v1/products",
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
