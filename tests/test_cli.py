"""The admin CLI end to end, as real processes, on the embedded database: with the service
stopped (the command starts the database and stops it again) and while it runs (the command
uses the service's database, and what it does is live at once)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from app.storage.mongo.embedded import DataDirectory
from bench.crash import EmbeddedService
from tests.conftest import ISSUED_KEYS, SEED_BODY

ROOT = Path(__file__).resolve().parent.parent


def cli(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m app ARGS` on the embedded database in `data_dir`, as an operator runs it."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "STORAGE")},
        "EMBEDDED_DB_PATH": str(data_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def created_key(result: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    assert result.returncode == 0, result.stderr
    key_id, key = result.stdout.strip().split("\t")
    ISSUED_KEYS.append(key)
    return key_id, key


def test_commands_with_the_service_stopped(tmp_path: Path) -> None:
    data_dir = tmp_path / "db"
    seeded = cli(data_dir, "seed")
    assert seeded.returncode == 0, seeded.stderr
    assert "batteries: " in seeded.stdout and "plans: 7" in seeded.stdout

    created = cli(data_dir, "workspaces", "create", "--name", "Acme", "--plan", "basic")
    assert created.returncode == 0, created.stderr
    workspace_id = created.stdout.split("\t")[0]
    assert "Acme\tplan=basic\tlocale=en" in created.stdout

    listed = cli(data_dir, "workspaces", "list")
    assert f"{workspace_id}\tAcme\tplan=basic" in listed.stdout

    key_id, key = created_key(cli(data_dir, "keys", "create", "--workspace", workspace_id))
    assert key.startswith("tp_")
    keys = cli(data_dir, "keys", "list", "--workspace", workspace_id)
    assert f"{key_id}\t{key[:10]}…\tactive" in keys.stdout
    assert key not in keys.stdout  # prefixes only

    revoked = cli(data_dir, "keys", "revoke", key_id)
    assert revoked.returncode == 0 and f"{key_id}\trevoked" in revoked.stdout
    assert "revoked" in cli(data_dir, "keys", "list", "--workspace", workspace_id).stdout

    # Refusals: exit 1 and a reason, nothing created.
    unknown = cli(data_dir, "keys", "create", "--workspace", "0" * 24)
    assert unknown.returncode == 1 and "no workspace" in unknown.stderr
    duplicate = cli(data_dir, "workspaces", "create", "--name", "Acme")
    assert duplicate.returncode == 1 and "error:" in duplicate.stderr
    bad_plan = cli(data_dir, "workspaces", "create", "--name", "Other", "--plan", "gold")
    assert bad_plan.returncode == 1 and "unknown plan" in bad_plan.stderr
    assert cli(data_dir, "workspaces", "list").stdout.count("\n") == 1

    # Each command stopped the database it started: nothing holds the directory.
    directory = DataDirectory(data_dir)
    assert directory.running() is None
    assert directory.try_lock()
    directory.unlock()


@pytest.mark.parametrize("command", ["workspaces", "keys"])
def test_commands_refuse_the_in_memory_store(tmp_path: Path, command: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            command,
            "list",
            *(["--workspace", "x"] * (command == "keys")),
        ],
        cwd=ROOT,
        env={**os.environ, "STORAGE": "memory"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "STORAGE=memory" in result.stderr


async def test_commands_while_the_service_runs(tmp_path: Path) -> None:
    data_dir = tmp_path / "db"
    service = EmbeddedService(data_dir)
    await service.start()
    try:
        running = DataDirectory(data_dir).running()
        assert running is not None

        seeded = cli(data_dir, "seed")
        assert seeded.returncode == 0, seeded.stderr
        created = cli(data_dir, "workspaces", "create", "--name", "Beta", "--plan", "pro")
        assert created.returncode == 0, created.stderr
        workspace_id = created.stdout.split("\t")[0]
        key_id, key = created_key(cli(data_dir, "keys", "create", "--workspace", workspace_id))

        # The command used the service's database: the key works at once, the same server runs.
        auth = {"Authorization": f"Bearer {key}"}
        async with (
            aiohttp.ClientSession(service.base_url, headers=auth) as session,
            session.post("/api/v1/products", json=SEED_BODY) as response,
        ):
            assert response.status == 201
        assert DataDirectory(data_dir).running() == running

        assert cli(data_dir, "keys", "revoke", key_id).returncode == 0
        listed = cli(data_dir, "workspaces", "list")
        assert "Crash\tplan=enterprise" in listed.stdout and "Beta\tplan=pro" in listed.stdout
    finally:
        assert service.stop() == 0
