"""Starting the service and the floor as their own processes for a benchmark run."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import aiohttp

Storage = Literal["embedded", "memory"]
ROOT = Path(__file__).resolve().parent.parent
KEY = "tp_bench_" + "k" * 40


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
def process(args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@dataclass(frozen=True)
class Service:
    url: str  # base URL (enterprise plan, key KEY)
    pid: int  # the service's own Python process (for py-spy and /proc/<pid>/status)


@contextmanager
def service_process(storage: Storage = "embedded") -> Iterator[Service]:
    """The service on the embedded database (as `make run` starts it) or the memory store."""
    bootstrap = Path(tempfile.mkdtemp()) / "tenants.json"
    bootstrap.write_text(
        json.dumps({"workspaces": [{"name": "Bench", "plan": "enterprise", "apiKeys": [KEY]}]})
    )
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "BOOTSTRAP_FILE": str(bootstrap),
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "INFO"),
    }
    env.pop("MONGODB_URI", None)
    env.pop("STORAGE", None)
    if storage == "memory":
        env["STORAGE"] = "memory"
    with process([sys.executable, "-m", "app"], env) as proc:
        yield Service(f"http://127.0.0.1:{port}", proc.pid)


@dataclass(frozen=True)
class Targets:
    service: str  # base URL of the service (enterprise plan, key KEY)
    floor: str  # base URL of the floor server
    service_pid: int


@contextmanager
def service_and_floor(storage: Storage = "embedded") -> Iterator[Targets]:
    floor_port = free_port()
    with (
        service_process(storage) as service,
        process([sys.executable, "-m", "bench.floor_server", str(floor_port)], dict(os.environ)),
    ):
        yield Targets(service.url, f"http://127.0.0.1:{floor_port}", service.pid)


async def wait_for(targets: Targets) -> None:
    await wait_until_up(f"{targets.service}/healthz")
    await wait_until_up(f"{targets.floor}/healthz")
