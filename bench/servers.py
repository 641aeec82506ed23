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

import aiohttp

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
def process(args: list[str], env: dict[str, str]) -> Iterator[None]:
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@dataclass(frozen=True)
class Targets:
    service: str  # base URL of the service (in-process store, enterprise plan, key KEY)
    floor: str  # base URL of the floor server


def service_environment(port: int, workspace_plan: str, **storage: str) -> dict[str, str]:
    """The service's settings: bootstrap workspace `Bench` with key KEY on `workspace_plan`, and
    the storage named by the caller (never the developer's, never ./var/db)."""
    bootstrap = Path(tempfile.mkdtemp(prefix="bench-")) / "tenants.json"
    bootstrap.write_text(
        json.dumps({"workspaces": [{"name": "Bench", "plan": workspace_plan, "apiKeys": [KEY]}]})
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MONGODB_URI", "MONGODB_DB", "STORAGE", "EMBEDDED_DB_PATH")
    }
    return {
        **env,
        "EMBEDDED_DB_PATH": str(bootstrap.parent / "db"),
        **storage,
        "PORT": str(port),
        "BOOTSTRAP_FILE": str(bootstrap),
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "INFO"),
    }


@contextmanager
def service(workspace_plan: str = "enterprise", **storage: str) -> Iterator[str]:
    """The service as its own process; yields its base URL."""
    port = free_port()
    with process(
        [sys.executable, "-m", "app"], service_environment(port, workspace_plan, **storage)
    ):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def service_and_floor() -> Iterator[Targets]:
    """The service on the in-process store (the HTTP path alone) and the HTTP floor."""
    floor_port = free_port()
    with (
        service(STORAGE="memory") as service_url,
        process([sys.executable, "-m", "bench.floor_server", str(floor_port)], dict(os.environ)),
    ):
        yield Targets(service_url, f"http://127.0.0.1:{floor_port}")


async def wait_for(targets: Targets) -> None:
    await wait_until_up(f"{targets.service}/healthz")
    await wait_until_up(f"{targets.floor}/healthz")
