"""The default run (`make run`): the service on its embedded database, as real processes.

A restart keeps every product, workspace and key; SIGTERM drains and then stops the database;
one data directory has one database process; a SIGKILL loses nothing acknowledged.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import aiohttp

from app.storage.mongo.embedded import DataDirectory
from bench.crash import EmbeddedService, run_crash_rounds
from tests.conftest import ISSUED_KEYS, SEED_BODY

ROOT = Path(__file__).resolve().parent.parent
GENERATED_KEY = re.compile(r"API key \(shown once, only its digest is kept\): (tp_[A-Za-z0-9_-]+)")


def server_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_a_restart_keeps_products_workspaces_and_keys(tmp_path: Path) -> None:
    data_dir = tmp_path / "db"
    service = EmbeddedService(data_dir, key=None)  # no bootstrap: the service generates a key
    await service.start()
    first_output = service.log_path.read_text()
    match = GENERATED_KEY.search(first_output)
    assert match is not None, first_output
    key = match.group(1)
    ISSUED_KEYS.append(key)
    auth = {"Authorization": f"Bearer {key}"}
    async with (
        aiohttp.ClientSession(service.base_url, headers=auth) as session,
        session.post("/api/v1/products", json=SEED_BODY) as response,
    ):
        assert response.status == 201
        product = await response.json()
    database_pid = DataDirectory(data_dir).running()
    assert database_pid is not None and server_alive(database_pid.server_pid)

    assert service.stop() == 0  # SIGTERM: drained, then the database stopped cleanly
    assert not server_alive(database_pid.server_pid)
    directory = DataDirectory(data_dir)
    assert directory.try_lock()  # nothing holds the directory any more
    directory.unlock()

    await service.start()
    restart_output = service.log_path.read_text()[len(first_output) :]
    assert "tp_" not in restart_output  # the key is printed only while no workspace exists
    assert "python -m app keys create --workspace" in restart_output
    async with aiohttp.ClientSession(service.base_url, headers=auth) as session:
        async with session.get(f"/api/v1/products/{product['_id']}") as response:
            assert response.status == 200
            assert await response.json() == product
        async with session.get("/api/v1/products") as response:
            items = (await response.json())["data"]["items"]
            assert [item["_id"] for item in items] == [product["_id"]]
    assert service.stop() == 0


async def test_one_database_process_per_data_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "db"
    service = EmbeddedService(data_dir)
    await service.start()
    try:
        second = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "app"],
            cwd=ROOT,
            env={**service.env, "PORT": "0"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode != 0
        assert "in use by another running service" in second.stderr
        async with (
            aiohttp.ClientSession() as session,  # the first one still serves
            session.get(f"{service.base_url}/readyz") as response,
        ):
            assert response.status == 200
    finally:
        assert service.stop() == 0


async def test_sigkill_loses_nothing_acknowledged(tmp_path: Path) -> None:
    """The short version of `make crash`: service killed, then service and database killed."""
    reports = await run_crash_rounds(tmp_path / "db", seconds=3, clients=8)
    assert [report.name for report in reports] == [
        "service killed",
        "service and database killed",
    ]
    for report in reports:
        assert report.failures == []
        assert report.cut > 0  # the kill really landed in the middle of traffic
    assert reports[-1].acknowledged > reports[0].acknowledged > 0
    assert reports[-1].keyed_checked > 0
