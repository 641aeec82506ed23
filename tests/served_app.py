"""The real app served over HTTP on 127.0.0.1, port 0, for clients that need a real socket (the
browser, the MCP SDK's httpx client). The socket is bound first, so PUBLIC_BASE_URL (issuer,
resource, cookie origin) names the port actually served, with no race for a free port."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import argon2
from aiohttp import web

from app.http.app import create_app
from app.services.oauth_clients import ClientRegistry
from app.services.users import UserService
from app.storage.protocols import Storage
from tests.conftest import (
    USER_PASSWORD,
    Tenant,
    add_tenant,
    app_settings,
    prepared_storage,
    remember_secret,
)
from tests.page_forms import form_with_action

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
            app_settings(public_base_url=base, auth_cache_seconds=0, **settings),
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
    """What a person does in the browser, over plain HTTP: follow the authorization URL, sign
    in on the login form, press Approve on the consent form. Returns the parameters of the
    final redirect to the client (which is not followed)."""
    response = await session.get(authorization_url, allow_redirects=False)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorization_url))
    if response.status == 303 and response.headers["Location"].startswith("/login"):
        login_page = await session.get(origin + response.headers["Location"])
        fields = form_with_action(await login_page.text(), "/login").fields
        fields.update(email=EMAIL, password=PASSWORD)
        signed_in = await session.post(origin + "/login", data=fields, allow_redirects=False)
        assert signed_in.status == 303, signed_in.status
        response = await session.get(origin + signed_in.headers["Location"], allow_redirects=False)
    assert response.status == 200, (response.status, response.headers.get("Location"))
    form = form_with_action(await response.text(), "/api/oauth/authorize")
    decided = await session.post(
        origin + form.action, data=form.submission(decision=decision), allow_redirects=False
    )
    assert decided.status == 303
    return dict(parse_qsl(urlsplit(decided.headers["Location"]).query))
