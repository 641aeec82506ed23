"""The real service as its own process (`python -m app`), for tests that need a real server:
the fuzz run, graceful shutdown, and logs of a whole process.

Every caller names the storage: IN_MEMORY where the test is about HTTP behaviour, or
`MongoTier.environment()` (MONGODB_URI of the session's embedded server, a database of the
test's own) where storage matters. Without MONGODB_URI the service would start the embedded
database in ./var/db; EMBEDDED_DB_PATH is pointed into the test's directory so that nothing
reaches ./var/db even by mistake.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IN_MEMORY = {"STORAGE": "memory"}
# Storage and event-loop settings of the developer's shell never leak into a test's service.
_SHELL_SETTINGS_KEPT_OUT = (
    "MONGODB_URI",
    "MONGODB_DB",
    "STORAGE",
    "EMBEDDED_DB_PATH",
    "EVENT_LOOP",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    process: subprocess.Popen[bytes]
    base_url: str
    key: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_until_ready(base_url: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/readyz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the service did not become ready")


@contextmanager
def live_server(
    tmp_path: Path, *, storage: dict[str, str], plan: str = "enterprise", **environment: str
) -> Iterator[LiveServer]:
    key = "tp_live_" + os.urandom(24).hex()
    bootstrap = tmp_path / "tenants.json"
    bootstrap.write_text(
        json.dumps({"workspaces": [{"name": "Live", "plan": plan, "apiKeys": [key]}]})
    )
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in _SHELL_SETTINGS_KEPT_OUT},
        # Each live server gets its own embedded database: one run's data (the fuzz creates
        # the seed product) must not leak into the next test or the next `make test`.
        "EMBEDDED_DB_PATH": str(tmp_path / "db"),
        **storage,
        "PORT": str(port),
        "BOOTSTRAP_FILE": str(bootstrap),
        **environment,
    }
    log_path = tmp_path / "service.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(base_url, process, 30)
            yield LiveServer(process, base_url, key, log_path)
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
