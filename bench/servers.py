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
# The person who approves the bench's OAuth app: an editor of `Bench`, the least role that may
# create products and passports (oauth.md §7.2).
EDITOR_EMAIL = "editor@bench.example"
EDITOR_PASSWORD = "bench-editor-password"


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
class Targets:
    service: str  # base URL of the service (in-process store, enterprise plan, key KEY, editor)
    floor: str  # base URL of the floor server
    service_pid: int


def service_environment(port: int, workspace_plan: str, **storage: str) -> dict[str, str]:
    """The service's settings: bootstrap workspace `Bench` with key KEY and the member
    EDITOR_EMAIL on `workspace_plan`, and the storage named by the caller (never the
    developer's, never ./var/db)."""
    bootstrap = Path(tempfile.mkdtemp(prefix="bench-")) / "tenants.json"
    editor = {"email": EDITOR_EMAIL, "password": EDITOR_PASSWORD, "role": "editor"}
    workspace = {"name": "Bench", "plan": workspace_plan, "apiKeys": [KEY], "members": [editor]}
    bootstrap.write_text(json.dumps({"workspaces": [workspace]}))
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


@dataclass(frozen=True)
class Service:
    url: str  # base URL
    pid: int  # the service's own Python process (for py-spy and /proc/<pid>/status)


@contextmanager
def service_process(workspace_plan: str = "enterprise", **storage: str) -> Iterator[Service]:
    """The service as its own process."""
    port = free_port()
    with process(
        [sys.executable, "-m", "app"], service_environment(port, workspace_plan, **storage)
    ) as proc:
        yield Service(f"http://127.0.0.1:{port}", proc.pid)


@contextmanager
def service(workspace_plan: str = "enterprise", **storage: str) -> Iterator[str]:
    """The service as its own process; yields its base URL."""
    with service_process(workspace_plan, **storage) as started:
        yield started.url


@contextmanager
def service_and_floor() -> Iterator[Targets]:
    """The service on the in-process store (the HTTP path alone) and the HTTP floor."""
    floor_port = free_port()
    with (
        service_process(STORAGE="memory") as started,
        process([sys.executable, "-m", "bench.floor_server", str(floor_port)], dict(os.environ)),
    ):
        yield Targets(started.url, f"http://127.0.0.1:{floor_port}", started.pid)


async def wait_for(targets: Targets) -> None:
    await wait_until_up(f"{targets.service}/healthz")
    await wait_until_up(f"{targets.floor}/healthz")
