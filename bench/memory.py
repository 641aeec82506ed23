"""`make bench-memory` (and the last part of `make bench`): the service's resident memory on
the memory store at 0, 10,000 and 100,000 products, and the bytes each product adds.

The products are created through the API (unkeyed creates, as the list bench makes them); RSS
is VmRSS from /proc/<pid>/status of the service process, read after the creates and again
after one search (which builds the search buffer of the workspace's lists).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import aiohttp

from bench.list_products import AUTH, fill
from bench.servers import service_process, wait_until_up

SIZES = [int(n) for n in os.environ.get("BENCH_MEMORY_SIZES", "0,10000,100000").split(",")]


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024  # reported in kB
    raise RuntimeError("no VmRSS in /proc/<pid>/status")


async def search_once(base_url: str) -> None:
    async with (
        aiohttp.ClientSession(headers=AUTH) as session,
        session.get(f"{base_url}/api/v1/products?search=bp-0999") as response,
    ):
        if response.status != 200:
            raise RuntimeError(f"search failed: {response.status}")


def mib(n: float) -> str:
    return f"{n / 2**20:.1f}"


async def main() -> None:
    rows: list[tuple[int, int, int]] = []  # (products, rss, rss after a search)
    with service_process(STORAGE="memory") as service:
        await wait_until_up(f"{service.url}/healthz")
        made = 0
        for size in sorted(SIZES):
            await fill(service.url, size - made, first=made)
            made = size
            await asyncio.sleep(0.5)  # let the last responses' buffers go
            before = rss_bytes(service.pid)
            await search_once(service.url)
            rows.append((size, before, rss_bytes(service.pid)))
    print("\nservice RSS on the memory store (VmRSS of the service process):")
    print("| products | RSS MiB | after a search MiB | bytes per product since the last row |")
    print("|---:|---:|---:|---:|")
    previous: tuple[int, int, int] | None = None
    for size, rss, searched in rows:
        per = "" if previous is None else f"{(searched - previous[2]) / (size - previous[0]):.0f}"
        print(f"| {size:,} | {mib(rss)} | {mib(searched)} | {per} |")
        previous = (size, rss, searched)


if __name__ == "__main__":
    asyncio.run(main())
