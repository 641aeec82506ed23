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
from bench.stack_shares import collapse, stage_table, top_table

SECONDS = float(os.environ.get("PROFILE_SECONDS", "10"))
TOP = int(os.environ.get("PROFILE_TOP", "25"))
RATE = 200  # samples per second
CONNECTIONS = 32
RESULTS = ROOT / "bench" / "results"
# The keyed create's request path by stage (architecture.md's write pipeline: auth, claim,
# validate, budget, execute, finalize; and the work around it), as py-spy names the functions.
WRITE_STAGES = {
    "aiohttp: read and parse the request": ("RequestHandler.data_received",),
    "request context: id, metrics, access log": (
        "distinct_id",
        "Metrics.observe",
        "AccessLog.request",
        "client_source",
        # the same work before issue 12 (for a before/after run of this module on old code)
        "token_hex",
        "_make_filtering_bound_logger.<locals>.make_method.<locals>.meth",
    ),
    "auth": ("Authenticator.authenticate", "Authenticator.authorize"),
    "body: read and parse the JSON": ("read_json_body",),
    "claim: fingerprint, idempotency record": ("request_fingerprint", "IdempotencyGuard.begin"),
    "validate: body model, template fields": ("create_product.<locals>.prepare",),
    "budget": ("DailyBudget.reserve",),
    "execute: insert, product JSON": ("create_product.<locals>.execute",),
    "finalize: store the outcome, build the response": (
        "IdempotencyGuard.complete",
        "write_outcome_response",
    ),
    "aiohttp: write the response": ("RequestHandler.finish_response",),
}
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
        "--gil",  # only the thread holding the GIL: an idle pool thread is not CPU work
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def server_us_per_request(scenario: str, url: str, pid: int) -> float:
    """The service's CPU time per request under the load, measured without the sampler."""
    before = cpu_seconds(pid)
    result = await load(scenario, url, 4.0, "cpu")
    return (cpu_seconds(pid) - before) / result.requests * 1e6


async def profile(scenario: str, url: str, pid: int) -> str:
    await load(scenario, url, 2.0, "warm")
    us_per_request = await server_us_per_request(scenario, url, pid)
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
        f"Without the sampler: {us_per_request:.0f} µs of service CPU per request. Under "
        f"py-spy: {result.throughput:.0f} req/s ({result.non_2xx} non-2xx), {shares.samples} "
        f"samples at {RATE} Hz; shares of the samples where the service ran.\n\n"
    )
    if scenario == "create":
        report += (
            "By stage (µs: the stage's share of the CPU time per request):\n\n"
            f"{stage_table(shares, WRITE_STAGES, us_per_request)}\n\n"
        )
    report += f"{top_table(shares, TOP)}\n"
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
