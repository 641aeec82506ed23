"""Users, members and OAuth clients from BOOTSTRAP_FILE and BOOTSTRAP_ADMIN_* (oauth.md §1,
§2.2, §2.3): idempotent, refusing invalid entries by name, never logging a secret."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.domain.clock import utc_now
from app.domain.oauth_secrets import secret_digest
from app.http.app import create_app
from app.services.passwords import hash_password
from app.services.tenants import BootstrapError
from app.services.users import UserService
from app.storage.memory.store import MemoryStorage
from tests.conftest import SESSION_ACCESS_LOG, SESSION_LOG, app_settings, remember_secret

PASSWORD = "a long bootstrap password"
SECRET = "tpcs_" + "n" * 40
N8N_CALLBACK = "https://n8n.acme.example/rest/oauth2-credential/callback"


def bootstrap_file(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "bootstrap.json"
    path.write_text(json.dumps(data))
    return path


async def start(aiohttp_client: Any, storage: MemoryStorage, **settings: Any) -> Any:
    return await aiohttp_client(
        create_app(
            access_log=SESSION_ACCESS_LOG,
            settings=app_settings(**settings),
            storage=storage,
            on_first_access=lambda settings, access: None,
        )
    )


async def test_file_members_and_clients_are_applied_idempotently(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    remember_secret(PASSWORD)
    remember_secret(SECRET)
    hashed = await hash_password("another password here")
    file = bootstrap_file(
        tmp_path,
        {
            "workspaces": [
                {
                    "name": "Acme",
                    "plan": "basic",
                    "members": [
                        {"email": " Ops@Acme.example ", "password": PASSWORD, "role": "owner"},
                        {"email": "dev@acme.example", "passwordHash": hashed, "role": "editor"},
                    ],
                },
                {"name": "Beta", "members": [{"email": "ops@acme.example", "role": "viewer"}]},
            ],
            "oauthClients": [
                {
                    "clientId": "n8n-acme",
                    "clientSecret": SECRET,
                    "name": "n8n",
                    "redirectUris": [N8N_CALLBACK],
                    "requirePkce": False,
                },
                {"clientId": "cli.tool", "name": "CLI", "redirectUris": ["http://127.0.0.1/cb"]},
            ],
        },
    )
    storage = MemoryStorage()
    for _ in range(2):
        await start(aiohttp_client, storage, bootstrap_file=file)
    users = UserService(storage)
    ops = await users.authenticate("ops@acme.example", PASSWORD)
    assert ops is not None
    assert await users.authenticate("dev@acme.example", "another password here") is not None
    roles = {(w.workspace.name, w.role) for w in await users.workspaces_for(ops.id)}
    assert roles == {("Acme", "owner"), ("Beta", "viewer")}
    n8n = await storage.oauth_clients.get("n8n-acme", utc_now())
    assert n8n is not None and not n8n.require_pkce and n8n.secret_digest == secret_digest(SECRET)
    cli = await storage.oauth_clients.get("cli.tool", utc_now())
    assert cli is not None and not cli.confidential and cli.require_pkce
    assert len(await storage.oauth_clients.list_all(utc_now())) == 2
    assert len(await storage.users.list_all()) == 2


async def test_differences_are_logged_by_name_and_never_applied(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    storage = MemoryStorage()
    first = {
        "workspaces": [
            {
                "name": "Acme",
                "members": [{"email": "a@acme.example", "password": PASSWORD, "role": "viewer"}],
            }
        ],
        "oauthClients": [
            {"clientId": "app-x", "name": "X", "redirectUris": ["https://x.example/cb"]}
        ],
    }
    await start(aiohttp_client, storage, bootstrap_file=bootstrap_file(tmp_path, first))
    changed_password = "a different password!"
    remember_secret(changed_password)
    second = {
        "workspaces": [
            {
                "name": "Acme",
                "members": [
                    {"email": "a@acme.example", "password": changed_password, "role": "owner"}
                ],
            }
        ],
        "oauthClients": [
            {"clientId": "app-x", "name": "Y", "redirectUris": ["https://x.example/cb"]}
        ],
    }
    await start(aiohttp_client, storage, bootstrap_file=bootstrap_file(tmp_path, second))
    log = SESSION_LOG.getvalue()
    assert "member a@acme.example keeps role viewer" in log
    assert "OAuth client app-x differs" in log
    users = UserService(storage)
    assert await users.authenticate("a@acme.example", PASSWORD) is not None
    client = await storage.oauth_clients.get("app-x", utc_now())
    assert client is not None and client.name == "X"


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (
            {
                "workspaces": [
                    {"name": "Acme", "members": [{"email": "new@acme.example", "role": "owner"}]}
                ]
            },
            "member #1 (new@acme.example)",
        ),
        (
            {
                "workspaces": [
                    {
                        "name": "Acme",
                        "members": [
                            {"email": "x@acme.example", "password": PASSWORD, "role": "boss"}
                        ],
                    }
                ]
            },
            "member #1 (x@acme.example)",
        ),
        (
            {
                "workspaces": [
                    {
                        "name": "Acme",
                        "members": [
                            {"email": "x@acme.example", "password": "short", "role": "owner"}
                        ],
                    }
                ]
            },
            "member #1 (x@acme.example)",
        ),
        (
            {
                "workspaces": [
                    {
                        "name": "Acme",
                        "members": [
                            {"email": "x@acme.example", "passwordHash": "plain", "role": "owner"}
                        ],
                    }
                ]
            },
            "member #1 (x@acme.example)",
        ),
        (
            {
                "workspaces": [
                    {
                        "name": "Acme",
                        "members": [{"email": "nope", "password": PASSWORD, "role": "owner"}],
                    }
                ]
            },
            "member #1",
        ),
        (
            {
                "workspaces": [],
                "oauthClients": [
                    {
                        "clientId": "n8n",
                        "name": "n8n",
                        "redirectUris": [N8N_CALLBACK],
                        "requirePkce": False,
                    }
                ],
            },
            "oauthClient #1 (n8n)",
        ),
        (
            {
                "workspaces": [],
                "oauthClients": [
                    {"clientId": "n8n", "name": "n8n", "redirectUris": ["http://n8n.example/cb"]}
                ],
            },
            "oauthClient #1 (n8n)",
        ),
        (
            {
                "workspaces": [],
                "oauthClients": [
                    {"clientId": "a b", "name": "n8n", "redirectUris": [N8N_CALLBACK]}
                ],
            },
            "oauthClient #1 (a b)",
        ),
        (
            {
                "workspaces": [],
                "oauthClients": [
                    {
                        "clientId": "n8n",
                        "clientSecret": "short",
                        "name": "n8n",
                        "redirectUris": [N8N_CALLBACK],
                    }
                ],
            },
            "oauthClient #1 (n8n)",
        ),
    ],
)
async def test_invalid_entries_refuse_start_by_name(
    aiohttp_client: Any, tmp_path: Path, data: dict[str, Any], named: str
) -> None:
    remember_secret(PASSWORD)
    with pytest.raises(BootstrapError) as refused:
        await start(aiohttp_client, MemoryStorage(), bootstrap_file=bootstrap_file(tmp_path, data))
    assert named in str(refused.value)
    assert PASSWORD not in str(refused.value)


async def test_bootstrap_admin_is_owner_idempotently(aiohttp_client: Any) -> None:
    remember_secret(PASSWORD)
    storage = MemoryStorage()
    for _ in range(2):
        await start(
            aiohttp_client,
            storage,
            bootstrap_admin_email="Admin@Acme.example",
            bootstrap_admin_password=PASSWORD,
            bootstrap_workspace="Acme",
            bootstrap_plan="pro",
        )
    users = UserService(storage)
    admin = await users.authenticate("admin@acme.example", PASSWORD)
    assert admin is not None
    [membership] = await users.workspaces_for(admin.id)
    assert (membership.workspace.name, membership.workspace.plan, membership.role) == (
        "Acme",
        "pro",
        "owner",
    )


@pytest.mark.parametrize(
    "settings",
    [
        {"bootstrap_admin_email": "a@acme.example"},
        {"bootstrap_admin_password": PASSWORD},
        {"session_secret": "x" * 31},
        {"oauth_dcr": "closed"},
    ],
)
def test_settings_that_refuse_start(settings: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        app_settings(**settings)


def test_start_up_warnings() -> None:
    assert app_settings(session_secret="s" * 32).startup_warnings() == []
    [unset] = app_settings().startup_warnings()
    assert "SESSION_SECRET" in unset
    warnings = app_settings(
        session_secret="s" * 32, public_base_url="http://catalogue.example/api"
    ).startup_warnings()
    assert len(warnings) == 2
    assert any("path" in w for w in warnings) and any("unencrypted" in w for w in warnings)


async def test_no_user_at_all_warns(aiohttp_client: Any) -> None:
    await start(aiohttp_client, MemoryStorage())
    assert "no user exists" in SESSION_LOG.getvalue()
