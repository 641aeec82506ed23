"""`make profile`: py-spy on the service (memory store) under the bench load.

For each scenario — keyed creates, the first list page, and a search over 10,000 products —
an uncounted warm-up, then PROFILE_SECONDS of load while py-spy samples the service at 200 Hz.
Written under bench/results/ (ignored by git): profile-<scenario>.svg (flame graph),
profile-<scenario>.raw (collapsed stacks) and profile-<scenario>.md (top-N self/total table,
also printed). py-spy reads another process's memory, so it needs ptrace rights: root, or
CAP_SYS_PTRACE, or kernel.yama.ptrace_scope = 0.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from bench.create_products import create_request
from bench.list_products import AUTH, fill
from bench.load import LoadResult, drive
from bench.servers import ROOT, service_process, wait_until_up
from bench.stack_shares import collapse, top_table

SECONDS = float(os.environ.get("PROFILE_SECONDS", "10"))
TOP = int(os.environ.get("PROFILE_TOP", "25"))
RATE = 200  # samples per second
CONNECTIONS = 32
RESULTS = ROOT / "bench" / "results"
# scenario -> (method, path); keyed creates also send a body and an Idempotency-Key
SCENARIOS = {
    "list": ("GET", "/api/v1/products?limit=20"),
    "search": ("GET", "/api/v1/products?limit=20&search=bp-0999"),
    "create": ("POST", "/api/v1/products"),
}


def py_spy() -> str:
    beside = Path(sys.executable).parent / "py-spy"
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        raise SystemExit("py-spy not found: `make .venv/.dev-installed` installs it")
    return found


def requests(scenario: str, round_id: str) -> Any:
    if scenario == "create":
        return create_request(f"profile-{round_id}")
    return lambda _: (AUTH, {})


async def load(scenario: str, url: str, seconds: float, round_id: str) -> LoadResult:
    method, path = SCENARIOS[scenario]
    return await drive(
        scenario,
        f"{url}{path}",
        requests(scenario, round_id),
        connections=CONNECTIONS,
        seconds=seconds,
        method=method,
    )


async def record(pid: int, output: Path, output_format: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        py_spy(),
        "record",
        "-r",
        str(RATE),
        "-d",
        str(int(SECONDS)),
        "-p",
        str(pid),
        "--format",
        output_format,
        "-o",
        str(output),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def profile(scenario: str, url: str, pid: int) -> str:
    await load(scenario, url, 2.0, "warm")
    raw, svg = RESULTS / f"profile-{scenario}.raw", RESULTS / f"profile-{scenario}.svg"
    # Two samplers, one per output format (py-spy writes one format per run).
    samplers = [await record(pid, raw, "raw"), await record(pid, svg, "flamegraph")]
    result = await load(scenario, url, SECONDS + 1.0, "measured")  # outlasts the samplers
    for sampler in samplers:
        _, errors = await sampler.communicate()
        if sampler.returncode != 0:
            raise SystemExit(
                f"py-spy failed ({errors.decode().strip()}); it needs ptrace rights: run as "
                "root, or grant CAP_SYS_PTRACE, or set kernel.yama.ptrace_scope=0"
            )
    shares = collapse(raw.read_text().splitlines())
    report = (
        f"## {scenario}: {SCENARIOS[scenario][0]} {SCENARIOS[scenario][1]}\n\n"
        f"{result.throughput:.0f} req/s under py-spy ({result.non_2xx} non-2xx), "
        f"{shares.samples} samples at {RATE} Hz; shares of the samples where the service ran.\n\n"
        f"{top_table(shares, TOP)}\n"
    )
    (RESULTS / f"profile-{scenario}.md").write_text(report)
    return report


async def main() -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    with service_process(STORAGE="memory") as service:
        await wait_until_up(f"{service.url}/healthz")
        await fill(service.url)
        for scenario in SCENARIOS:
            print(await profile(scenario, service.url, service.pid), flush=True)
    print(f"flame graphs, raw stacks and tables in {RESULTS.relative_to(ROOT)}/")


if __name__ == "__main__":
    asyncio.run(main())
