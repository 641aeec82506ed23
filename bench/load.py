"""A bounded asyncio HTTP load generator (loopback only): N connections for D seconds."""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass
class LoadResult:
    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: Counter[int]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(int(len(ordered) * q), len(ordered) - 1)] if ordered else 0.0

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)


async def drive(
    name: str,
    url: str,
    make_request: Callable[[int], tuple[dict[str, str], dict[str, Any]]],
    *,
    connections: int = 32,
    seconds: float = 8.0,
    method: str = "POST",
) -> LoadResult:
    counter = itertools.count()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                headers, body = make_request(next(counter))
                started = time.perf_counter()
                async with session.request(
                    method, url, json=body if method == "POST" else None, headers=headers
                ) as response:
                    await response.read()
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[response.status] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    return LoadResult(name, len(latencies), elapsed, latencies, statuses)


async def drive_calls(
    name: str,
    call: Callable[[int], Awaitable[int]],
    *,
    connections: int = 32,
    seconds: float = 8.0,
) -> LoadResult:
    """The same bounded loop for work that is not an HTTP request (a driver floor): `call(i)`
    does one operation and returns the status it stands for."""
    counter = itertools.count()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status = await call(next(counter))
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[status] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return LoadResult(name, len(latencies), elapsed, latencies, statuses)


def table(rows: list[LoadResult], baseline: LoadResult) -> str:
    lines = [
        "| target | requests | req/s | p50 ms | p99 ms | non-2xx | ratio to floor |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.name} | {r.requests} | {r.throughput:.0f} | {r.percentile(0.5):.1f} | "
            f"{r.percentile(0.99):.1f} | {r.non_2xx} | {r.throughput / baseline.throughput:.2f} |"
        )
    return "\n".join(lines)


def median_result(results: list[LoadResult]) -> LoadResult:
    return sorted(results, key=lambda r: r.throughput)[len(results) // 2] if results else results[0]


__all__ = ["LoadResult", "drive", "drive_calls", "median_result", "statistics", "table"]
