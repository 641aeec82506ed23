"""Start-up: reference data, BOOTSTRAP_API_KEY, BOOTSTRAP_FILE, the generated key, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from app.http.app import create_app
from app.services.tenants import FirstAccess
from app.storage.memory.store import MemoryStorage
from app.storage.mongo.store import MongoStorage
from tests.conftest import SEED_BODY, SESSION_ACCESS_LOG, MongoTier, app_settings

ROOT = Path(__file__).resolve().parent.parent
KEY_A = "tp_" + "a" * 40
KEY_B = "tp_" + "b" * 40


async def test_generated_key_on_the_in_memory_store_works(aiohttp_client: Any) -> None:
    shown: list[FirstAccess] = []
    client = await aiohttp_client(
        create_app(
            access_log=SESSION_ACCESS_LOG,
            settings=app_settings(storage="memory"),
            on_first_access=lambda settings, access: shown.append(access),
        )
    )
    assert len(shown) == 1 and shown[0].key is not None and shown[0].key.startswith("tp_")
    response = await client.post(
        "/api/v1/products", json=SEED_BODY, headers={"Authorization": f"Bearer {shown[0].key}"}
    )
    assert response.status == 201


async def test_a_key_is_generated_only_while_no_workspace_exists(aiohttp_client: Any) -> None:
    storage = MemoryStorage()
    shown: list[FirstAccess] = []
    for _ in range(2):  # a restart on the same database
        await aiohttp_client(
            create_app(
                access_log=SESSION_ACCESS_LOG,
                settings=app_settings(storage="memory"),
                storage=storage,
                on_first_access=lambda _, access: shown.append(access),
            )
        )
    assert [access.key is not None for access in shown] == [True, False]
    assert shown[0].workspace.id == shown[1].workspace.id
    assert len(await storage.workspaces.list_all()) == 1


async def test_bootstrap_key_and_file_are_applied_idempotently(
    aiohttp_client: Any, tmp_path: Path, mongo: MongoTier
) -> None:
    file = tmp_path / "tenants.json"
    file.write_text(
        json.dumps(
            {
                "workspaces": [
                    {
                        "name": "Acme",
                        "plan": "basic",
                        "defaultSourceLocale": "de",
                        "apiKeys": [KEY_B],
                    }
                ]
            }
        )
    )
    database = mongo.database()
    # The app opens its own client on MONGODB_URI, as in production.
    settings = app_settings(
        mongodb_uri=mongo.uri,
        mongodb_db=database.name,
        bootstrap_api_key=KEY_A,
        bootstrap_file=file,
    )
    shown: list[FirstAccess] = []
    for _ in range(2):  # a restart applies the same settings again
        client = await aiohttp_client(
            create_app(
                access_log=SESSION_ACCESS_LOG,
                settings=settings,
                on_first_access=lambda settings, access: shown.append(access),
            )
        )
    assert shown == []
    storage = MongoStorage(database)
    names = sorted(w.name for w in await storage.workspaces.list_all())
    assert names == ["Acme", "Default workspace"]
    assert await database["api_keys"].count_documents({}) == 2
    stored = await database["api_keys"].find({}).to_list(None)
    assert all(KEY_A not in str(d) and KEY_B not in str(d) for d in stored)  # digests only
    default = await client.post(
        "/api/v1/products", json=SEED_BODY, headers={"Authorization": f"Bearer {KEY_A}"}
    )
    assert default.status == 201
    assert default.headers["RateLimit-Policy"] == '"writes";q=100;w=86400'  # free plan
    acme = await client.post(
        "/api/v1/products", json=SEED_BODY, headers={"Authorization": f"Bearer {KEY_B}"}
    )
    assert acme.status == 201
    assert (await acme.json())["sourceLocale"] == "de"
    assert acme.headers["RateLimit-Policy"] == '"writes";q=200;w=86400'


async def test_reference_data_is_seeded_at_start(aiohttp_client: Any) -> None:
    storage = MemoryStorage()
    await aiohttp_client(
        create_app(
            access_log=SESSION_ACCESS_LOG,
            settings=app_settings(),
            storage=storage,
            on_first_access=lambda settings, access: None,
        )
    )
    templates = await storage.templates.list_all()
    assert len(templates) == 14
    assert len(await storage.plans.list_all()) == 7


def test_cli_help_lists_admin_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    for command in ("seed", "workspaces", "keys", "openapi"):
        assert command in result.stdout


def admin_command(*args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    # Never the developer's MONGODB_URI or ./var/db: each test names its storage.
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "STORAGE")}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**env, **environment},
        timeout=60,
    )


def test_admin_commands_refuse_the_in_memory_store() -> None:
    result = admin_command("workspaces", "list", STORAGE="memory")
    assert result.returncode == 2
    assert "STORAGE=memory" in result.stderr


async def test_admin_commands_act_on_mongodb_uri(mongo: MongoTier) -> None:
    database = mongo.database()
    storage = MongoStorage(database)
    await storage.prepare()
    made = await storage.workspaces.create("Listed", "basic", "de")
    result = admin_command("workspaces", "list", MONGODB_URI=mongo.uri, MONGODB_DB=database.name)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{made.id}\tListed\tplan=basic\tlocale=de"
