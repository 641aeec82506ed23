"""A bounded asyncio HTTP load generator (loopback only): N connections for D seconds."""

from __future__ import annotations

import asyncio
import itertools
import os
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


MEASURED_ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WARMUP_SECONDS = float(os.environ.get("BENCH_WARMUP_SECONDS", "2"))

# One load run of a target: `seconds` long.
Run = Callable[[float], Awaitable[LoadResult]]


async def alternate(runs: dict[str, Run], seconds: float) -> dict[str, list[LoadResult]]:
    """A warm-up round that is not counted (first requests, caches, the allocator's arenas),
    then MEASURED_ROUNDS rounds, each running every target in turn, so a slow spell of the
    machine falls on the targets of one round alike."""
    for run in runs.values():
        await run(WARMUP_SECONDS)
    results: dict[str, list[LoadResult]] = {name: [] for name in runs}
    for _ in range(MEASURED_ROUNDS):
        for name, run in runs.items():
            results[name].append(await run(seconds))
    return results


def ratios(runs: list[LoadResult], floors: list[LoadResult]) -> list[float]:
    """Throughput ratio to the floor of the same round, per round."""
    return [run.throughput / floor.throughput for run, floor in zip(runs, floors, strict=True)]


def round_table(results: dict[str, list[LoadResult]], floor: str) -> str:
    """Per target: the median round's figures and the median ratio to the floor (each round
    against its own floor) with its min-max."""
    lines = [
        "| target | req/s | p50 ms | p99 ms | non-2xx (all rounds) | ratio: median | min-max |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for runs in results.values():
        each = ratios(runs, results[floor])
        mid = median_result(runs)
        lines.append(
            f"| {mid.name} | {mid.throughput:.0f} | {mid.percentile(0.5):.1f} | "
            f"{mid.percentile(0.99):.1f} | {sum(r.non_2xx for r in runs)} | "
            f"{statistics.median(each):.2f} | {min(each):.2f}-{max(each):.2f} |"
        )
    return "\n".join(lines)


def median_ratio(results: dict[str, list[LoadResult]], name: str, floor: str) -> float:
    return statistics.median(ratios(results[name], results[floor]))


def median_result(results: list[LoadResult]) -> LoadResult:
    return sorted(results, key=lambda r: r.throughput)[len(results) // 2]
