"""The real app served over HTTP on 127.0.0.1, port 0, for clients that need a real socket (the
browser, the MCP SDK's httpx client). The socket is bound first, so PUBLIC_BASE_URL (issuer,
resource, cookie origin) names the port actually served, with no race for a free port."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import argon2
from aiohttp import web

from app.http.app import create_app
from app.services.oauth_clients import ClientRegistry
from app.services.users import UserService
from app.storage.protocols import Storage
from tests.conftest import (
    SESSION_ACCESS_LOG,
    USER_PASSWORD,
    Tenant,
    add_tenant,
    app_settings,
    prepared_storage,
    remember_secret,
)
from tests.page_forms import sign_in_and_approve

PASSWORD = USER_PASSWORD
# Argon2 reads its cost from the stored hash: test users sign in quickly.
CHEAP_HASH = argon2.PasswordHasher(time_cost=1, memory_cost=256, parallelism=1).hash(PASSWORD)
EMAIL = "ops@acme.example"


@asynccontextmanager
async def serve(app_for_base: Callable[[str], web.Application]) -> AsyncIterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    runner = web.AppRunner(app_for_base(base), access_log=None)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        yield base
    finally:
        await runner.cleanup()
        sock.close()


@dataclasses.dataclass
class Catalogue:
    base: str
    storage: Storage
    tenant: Tenant
    users: UserService
    clients: ClientRegistry


@asynccontextmanager
async def served_catalogue(backend: str = "memory", **settings: Any) -> AsyncIterator[Catalogue]:
    """The app with one workspace and one editor (EMAIL / PASSWORD), served over HTTP."""
    storage = await prepared_storage(backend)
    tenant = await add_tenant(storage, "Acme")
    users = UserService(storage)
    remember_secret(PASSWORD)  # the session-wide log check looks for it too
    await users.create_user(EMAIL, password_hash=CHEAP_HASH)
    await users.add_member(tenant.workspace.id, EMAIL, "editor")

    def build(base: str) -> web.Application:
        return create_app(
            access_log=SESSION_ACCESS_LOG,
            settings=app_settings(public_base_url=base, auth_cache_seconds=0, **settings),
            storage=storage,
            on_first_access=lambda settings, access: None,
        )

    async with serve(build) as base:
        yield Catalogue(base, storage, tenant, users, ClientRegistry(storage))


def browser_session() -> aiohttp.ClientSession:
    # unsafe=True: keep cookies for an IP-address host (127.0.0.1), as a browser does.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def approve_in_pages(
    session: aiohttp.ClientSession, authorization_url: str, *, decision: str = "approve"
) -> dict[str, str]:
    """The catalogue's editor signs in and decides on the pages (page_forms.sign_in_and_approve)."""
    return await sign_in_and_approve(session, authorization_url, EMAIL, PASSWORD, decision=decision)
