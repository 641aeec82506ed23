"""`make crash`: nothing acknowledged is lost when the service, or the service and its embedded
database, are killed with SIGKILL in the middle of mixed traffic.

The service runs as `make run` does (the embedded database, a data directory of its own). Each
round sends the soak's mixed traffic, kills, restarts on the same data, and then checks through
the API alone:
- every product whose 201 reached a client exists, exactly once;
- no model is duplicated;
- every Idempotency-Key the clients got an answer for replays that answer byte for byte.

Round 1 kills the service only (its database then shuts down cleanly, as it dies with its
owner); round 2 kills the database first and then the service, so neither gets to clean up.
CRASH_SECONDS (traffic per round) and CRASH_CLIENTS tune it; tests/test_crash_recovery.py runs a
short version inside `make test`.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.servers import KEY, ROOT, free_port, wait_until_up
from bench.soak import Ledger, client, walk_catalogue

AUTH = {"Authorization": f"Bearer {KEY}"}


@dataclass
class RoundReport:
    name: str
    acknowledged: int = 0  # products whose 201 reached a client, over all rounds so far
    in_catalogue: int = 0
    unacknowledged: int = 0  # created, but the 201 was cut by the kill (allowed)
    keyed_checked: int = 0
    requests: int = 0
    cut: int = 0
    failures: list[str] = field(default_factory=list)


class EmbeddedService:
    """`python -m app` as `make run` starts it (the embedded database in `data_dir`), killable
    and restartable. With `key`, a BOOTSTRAP_FILE gives it that key on the enterprise plan."""

    def __init__(self, data_dir: Path, key: str | None = KEY) -> None:
        self.data_dir = data_dir
        self.log_path = data_dir.parent / "service.log"
        self.port = free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "STORAGE")},
            "PORT": str(self.port),
            "EMBEDDED_DB_PATH": str(data_dir),
            "LOG_LEVEL": "WARNING",
        }
        if key is not None:
            bootstrap = data_dir.parent / "tenants.json"
            workspace = {"name": "Crash", "plan": "enterprise", "apiKeys": [key]}
            bootstrap.write_text(json.dumps({"workspaces": [workspace]}))
            self.env["BOOTSTRAP_FILE"] = str(bootstrap)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app"], cwd=ROOT, env=self.env, stdout=log, stderr=log
            )

    async def start(self) -> None:
        self.spawn()
        await wait_until_up(f"{self.base_url}/readyz", within_seconds=60)

    def database_pid(self) -> int:
        info = json.loads(self.data_dir.with_name(self.data_dir.name + ".json").read_text())
        return int(info["serverPid"])

    def kill(self, *, database_too: bool) -> None:
        assert self.process is not None
        if database_too:
            os.kill(self.database_pid(), signal.SIGKILL)
        self.process.kill()
        self.process.wait()

    def stop(self) -> int | None:
        """SIGTERM (drain, then the database stops); the exit code."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        return None if self.process is None else self.process.returncode


async def traffic_then_kill(
    service: EmbeddedService,
    ledger: Ledger,
    seconds: float,
    clients: int,
    seed: int,
    *,
    database_too: bool,
) -> None:
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(service.base_url, headers=AUTH, connector=connector) as s:
        far = time.monotonic() + 3600  # the kill ends the traffic, not a deadline
        running = [asyncio.create_task(client(s, ledger, far, seed + n)) for n in range(clients)]
        await asyncio.sleep(seconds)
        service.kill(database_too=database_too)
        await asyncio.wait_for(asyncio.gather(*running), 30)


async def check(service: EmbeddedService, ledger: Ledger, report: RoundReport) -> None:
    async with aiohttp.ClientSession(service.base_url, headers=AUTH) as s:
        catalogue = await walk_catalogue(s)
        ids = [item["_id"] for item in catalogue]
        models = [item["model"] for item in catalogue]
        report.acknowledged = len(ledger.created)
        report.in_catalogue = len(ids)
        report.unacknowledged = len(set(ids) - set(ledger.created))
        missing = set(ledger.created) - set(ids)
        if missing:
            report.failures.append(f"{len(missing)} acknowledged products lost")
        repeated = [i for i, n in Counter(ids).items() if n > 1]
        if repeated:
            report.failures.append(f"{len(repeated)} products listed twice")
        duplicated = [m for m, n in Counter(models).items() if n > 1]
        if duplicated:
            report.failures.append(f"{len(duplicated)} models duplicated")
        for key, (status, raw, body) in ledger.keyed.items():
            async with s.post("/api/v1/products", json=body, headers={"Idempotency-Key": key}) as r:
                replay = (r.status, await r.read())
            report.keyed_checked += 1
            if replay != (status, raw):
                report.failures.append(f"key {key}: {status} became {replay[0]}")
    report.requests = sum(ledger.statuses.values())
    report.cut = ledger.cut
    if ledger.replay_mismatches or ledger.problems:
        report.failures += ledger.replay_mismatches[:5] + ledger.problems[:5]


@contextmanager
def crash_directory() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="crash-") as tmp:
        yield Path(tmp) / "db"


async def run_crash_rounds(data_dir: Path, seconds: float, clients: int) -> list[RoundReport]:
    """Both rounds on one data directory; the ledger (what clients were told) spans them."""
    service = EmbeddedService(data_dir)
    ledger = Ledger()
    reports = []
    try:
        for number, database_too in enumerate((False, True), start=1):
            name = "service and database killed" if database_too else "service killed"
            report = RoundReport(name)
            await service.start()
            await traffic_then_kill(
                service, ledger, seconds, clients, number * 1000, database_too=database_too
            )
            await service.start()
            await check(service, ledger, report)
            service.stop()
            reports.append(report)
    finally:
        service.stop()
    return reports


def main() -> int:
    seconds = float(os.environ.get("CRASH_SECONDS", "20"))
    clients = int(os.environ.get("CRASH_CLIENTS", "16"))
    with crash_directory() as data_dir:
        reports = asyncio.run(run_crash_rounds(data_dir, seconds, clients))
    print(f"\ncrash: {seconds:.0f} s of traffic per round, {clients} clients, embedded database")
    for r in reports:
        verdict = "ok" if not r.failures else "FAIL"
        print(
            f"  {verdict:<4} {r.name}: {r.requests} requests so far, {r.cut} cut by the kill; "
            f"{r.acknowledged} acknowledged creates, {r.in_catalogue} in the catalogue "
            f"({r.unacknowledged} created but unacknowledged); "
            f"{r.keyed_checked} keyed answers replayed"
        )
        for failure in r.failures[:10]:
            print(f"       {failure}")
    return 0 if all(not r.failures for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
