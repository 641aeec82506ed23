"""Fixtures: both storage backends, a seeded workspace with a key, and the real app.

The "mongo" backend is the real driver (PyMongo's AsyncMongoClient) against one embedded
MongoDB-compatible server per test session; every test gets databases of its own, dropped
when it ends.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import io
import json
import logging
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest
from aiohttp.test_utils import TestClient
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from app.domain.oauth_records import User
from app.domain.pkce import s256
from app.domain.records import Plan, Workspace
from app.http.access_log import AccessLog
from app.http.app import create_app
from app.http.app_keys import SERVICES
from app.services.oauth import AuthorizationServer
from app.services.oauth_clients import ClientRegistry, RegisteredClient
from app.services.seeding import seed_reference_data
from app.services.tenants import TenantAdmin
from app.services.users import UserService
from app.settings import Settings
from app.storage.memory.store import MemoryStorage
from app.storage.mongo.embedded import EmbeddedServer
from app.storage.mongo.store import MongoStorage
from app.storage.protocols import Storage

SEED_BODY: dict[str, Any] = {
    "name": "Li-Ion 48V Battery Pack",
    "model": "BP-48V-100",
    "category": "batteries",
    "defaultFieldValues": {"batteryChemistry": "NMC", "nominalVoltage": 48},
}

BACKENDS = ["memory", "mongo"]


def error_body(error: str, code: str, **more: Any) -> dict[str, Any]:
    """The contract's error body: `message` repeats `error` (TracePass's clients show it)."""
    return {"error": error, "message": error, "code": code, **more}


# Every API key, OAuth token, code, client secret and password the tests issue or use; the logs
# of the whole session must contain none of them.
ISSUED_KEYS: list[str] = []
SESSION_LOG = io.StringIO()
# The apps the tests build write their access log into the same buffer.
SESSION_ACCESS_LOG = AccessLog(lambda line: SESSION_LOG.write(line.decode()))


def logged_request(request_id: str) -> dict[str, Any]:
    """The latest access-log line of a request with this id."""
    for line in reversed(SESSION_LOG.getvalue().splitlines()):
        if line.startswith("{") and request_id in line:
            entry: dict[str, Any] = json.loads(line)
            if entry.get("event") == "request" and entry.get("request_id") == request_id:
                return entry
    raise AssertionError(f"no access log line for {request_id}")


@pytest.fixture(scope="session", autouse=True)
def logs_never_contain_keys() -> Iterator[None]:
    """Everything the app logs during the run (stdlib loggers and the access log) goes to one
    buffer, checked at the end for any key a test issued."""
    handler = logging.StreamHandler(SESSION_LOG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    # The test server's own aiohttp access log (request lines with query strings) is not the
    # service's: production serves with access_log=None and logs through its middleware.
    logging.getLogger("aiohttp.access").disabled = True
    previous_level = root.level
    root.setLevel(logging.INFO)
    yield
    root.removeHandler(handler)
    root.setLevel(previous_level)
    text = SESSION_LOG.getvalue()
    leaked = [key[:10] + "..." for key in ISSUED_KEYS if key in text]
    assert not leaked, f"API keys, tokens, codes, secrets or passwords in the logs: {leaked}"


class MongoTier:
    """The session's embedded server, and the clients and databases the running test opened
    (closed and dropped when it ends)."""

    def __init__(self) -> None:
        self.uri = ""
        self._clients: list[AsyncMongoClient[Any]] = []
        self._databases: set[str] = set()

    def client(self, **options: Any) -> AsyncMongoClient[Any]:
        """A client of the session server, configured like MongoStorage.connect's; `options`
        add to or override it (appname, event_listeners, heartbeatFrequencyMS...)."""
        if not self.uri:
            raise RuntimeError("the session's embedded MongoDB is not running")
        client: AsyncMongoClient[Any] = AsyncMongoClient(
            self.uri, **{"w": "majority", "tz_aware": True, **options}
        )
        self._clients.append(client)
        return client

    def database(self, name: str | None = None, **options: Any) -> AsyncDatabase[Any]:
        """A database of this test (a fresh name unless `name` is given), on a new client."""
        name = name or f"t_{uuid.uuid4().hex[:16]}"
        self._databases.add(name)
        return self.client(**options).get_database(name)

    def environment(self) -> dict[str, str]:
        """Settings for a service process of this test: the session server, a fresh database."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        self._databases.add(name)
        return {"MONGODB_URI": self.uri, "MONGODB_DB": name}

    async def end_test(self) -> None:
        clients, self._clients = self._clients, []
        names, self._databases = self._databases, set()
        if names:
            async with AsyncMongoClient(self.uri) as admin:
                for name in names:
                    await admin.drop_database(name)
        for client in clients:
            await client.close()


MONGO = MongoTier()


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One embedded server for the whole run, in memory, with failpoints enabled. pytest-aiohttp
    gives every test its own event loop, so the server is started and stopped on a loop of its
    own (in this thread: the server dies with the thread that started it)."""
    log_path = Path(tmp_path_factory.mktemp("mongo")) / "secantusd.log"
    # One server for ~1,500 tests: a roomy cache (a 256 MB one filled up, WT_CACHE_FULL, after
    # about 1,400 tests' databases) and a short oplog.
    server = EmbeddedServer(
        ":memory:",
        sync_on_commit=False,
        test_commands=True,
        log_path=log_path,
        cache_size="2G",
        oplog_max_entries=10_000,
    )
    loop = asyncio.new_event_loop()
    try:
        MONGO.uri = loop.run_until_complete(server.start())
        yield MONGO.uri
    finally:
        MONGO.uri = ""
        loop.run_until_complete(server.stop())
        loop.close()


@pytest.fixture(autouse=True)
async def mongo(mongo_server: str) -> AsyncIterator[MongoTier]:
    """This test's view of the session server; what it opened is closed and dropped after."""
    yield MONGO
    await MONGO.end_test()


def new_storage(backend: str, database: Any | None = None) -> Storage:
    if backend == "memory":
        return MemoryStorage()
    return MongoStorage(database if database is not None else MONGO.database())


async def prepared_storage(backend: str, database: Any | None = None) -> Storage:
    storage = new_storage(backend, database)
    await storage.prepare()
    await seed_reference_data(storage)
    return storage


@dataclasses.dataclass
class Tenant:
    workspace: Workspace
    key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


async def add_tenant(
    storage: Storage, name: str = "Acme", plan: str = "pro", locale: str = "en"
) -> Tenant:
    admin = TenantAdmin(storage)
    workspace = await admin.create_workspace(name, plan, locale)
    issued = await admin.issue_key(workspace, "test")
    ISSUED_KEYS.append(issued.key)
    return Tenant(workspace, issued.key)


async def set_plan_limit(storage: Storage, plan: str, limit: int | None) -> None:
    await storage.plans.upsert_many([Plan(plan, limit, None, True)])


def app_settings(**overrides: Any) -> Settings:
    return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]


# The /api/v1 challenges of oauth.md §7.4 for the tests' default base URL.
RESOURCE_METADATA = f"{app_settings().base_url}/.well-known/oauth-protected-resource"
CHALLENGE_NO_CREDENTIALS = f'Bearer realm="api", resource_metadata="{RESOURCE_METADATA}"'
CHALLENGE_INVALID_TOKEN = (
    f'Bearer realm="api", error="invalid_token", resource_metadata="{RESOURCE_METADATA}"'
)


@dataclasses.dataclass
class Api:
    client: TestClient
    storage: Storage
    tenant: Tenant

    async def create(
        self,
        body: Any,
        *,
        key: str | None = None,
        headers: dict[str, str] | None = None,
        tenant: Tenant | None = None,
    ) -> Any:
        return await self.call(
            "POST", "/api/v1/products", body, key=key, headers=headers, tenant=tenant
        )

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = None,
        headers: dict[str, str] | None = None,
        tenant: Tenant | None = None,
    ) -> Any:
        """An authenticated request; `body` (when not None) is sent as JSON."""
        sent = {**(tenant or self.tenant).auth, **(headers or {})}
        if key is not None:
            sent["Idempotency-Key"] = key
        if body is None:
            return await self.client.request(method, path, headers=sent)
        return await self.client.request(method, path, json=body, headers=sent)

    async def create_product(self, **fields: Any) -> dict[str, Any]:
        """Create a product (SEED_BODY with these overrides) and return its JSON; must be 201."""
        response = await self.create({**SEED_BODY, **fields})
        assert response.status == 201, await response.text()
        return dict(await response.json())

    async def post_raw(
        self, data: Any, content_type: str = "application/json", key: str | None = None
    ) -> Any:
        """POST exactly these bytes (or this async iterable), authenticated."""
        headers = {**self.tenant.auth, "Content-Type": content_type}
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.client.post("/api/v1/products", data=data, headers=headers)


AppFactory = Callable[..., Awaitable[Api]]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def storage(backend: str) -> Storage:
    """A prepared (indexed), unseeded store of each backend: for repository contract tests."""
    store = new_storage(backend)
    await store.prepare()
    return store


@pytest.fixture
async def make_api(aiohttp_client: Any, backend: str) -> AsyncIterator[AppFactory]:
    async def factory(
        *,
        storage: Storage | None = None,
        plan: str = "pro",
        plan_limit: int | object | None = ...,
        **settings: Any,
    ) -> Api:
        store = storage if storage is not None else await prepared_storage(backend)
        if plan_limit is not ...:
            await set_plan_limit(store, plan, plan_limit)  # type: ignore[arg-type]
        tenant = await add_tenant(store, plan=plan)
        app = create_app(
            access_log=SESSION_ACCESS_LOG,
            settings=app_settings(**settings),
            storage=store,
            on_first_access=lambda settings, access: None,
        )
        client = await aiohttp_client(app)
        return Api(client, store, tenant)

    yield factory


@pytest.fixture
async def api(make_api: AppFactory) -> Api:
    return await make_api()


USER_PASSWORD = "correct horse battery staple"
LOOPBACK_REDIRECT = "http://127.0.0.1/callback"


def remember_secret(secret: str | None) -> None:
    """Add a secret to the session-wide log check."""
    if secret:
        ISSUED_KEYS.append(secret)


async def add_user(
    storage: Storage,
    workspace: Workspace | None,
    email: str = "ada@acme.example",
    role: str = "editor",
    password: str = USER_PASSWORD,
) -> User:
    users = UserService(storage)
    user = await users.find_user(email)
    if user is None:
        remember_secret(password)
        user = await users.create_user(email, password)
    if workspace is not None:
        await users.add_member(workspace.id, email, role)
    return user


async def add_client(
    storage: Storage,
    *,
    public: bool = True,
    redirect_uris: tuple[str, ...] = (LOOPBACK_REDIRECT,),
    require_pkce: bool = True,
    scope: str | None = None,
    name: str = "Test app",
) -> RegisteredClient:
    registered = await ClientRegistry(storage).create(
        name=name,
        redirect_uris=list(redirect_uris),
        public=public,
        require_pkce=require_pkce,
        scope=scope,
    )
    remember_secret(registered.secret)
    return registered


@dataclasses.dataclass
class OAuthApp:
    """Drives the authorization code flow through the service the consent approval calls, and
    the token endpoint through the real HTTP stack."""

    api: Api
    client: RegisteredClient
    user: User

    @property
    def server(self) -> AuthorizationServer:
        return self.api.client.server.app[SERVICES].oauth

    def client_auth(self) -> tuple[dict[str, str], dict[str, str]]:
        """(form fields, headers) authenticating the client: Basic for confidential ones."""
        client_id = self.client.client.client_id
        if self.client.secret is None:
            return {"client_id": client_id}, {}
        raw = f"{quote_plus(client_id)}:{quote_plus(self.client.secret)}".encode()
        return {}, {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    async def code(
        self,
        scope: str | None = "passports:read passports:write offline_access",
        *,
        workspace: Workspace | None = None,
        verifier: str | None = None,
        resource: str | None = None,
        redirect_uri: str | None = None,
    ) -> str:
        """Approve an authorization request (PKCE S256 with `verifier` when given)."""
        params: dict[str, list[str]] = {
            "response_type": ["code"],
            "client_id": [self.client.client.client_id],
            "redirect_uri": [redirect_uri or self.client.client.redirect_uris[0]],
        }
        if scope is not None:
            params["scope"] = [scope]
        if verifier is not None:
            params["code_challenge"] = [s256(verifier)]
            params["code_challenge_method"] = ["S256"]
        if resource is not None:
            params["resource"] = [resource]
        client, redirect = await self.server.client_for_request(params)
        request = self.server.check_request(client, redirect, params)
        _, code = await self.server.approve(
            self.user.id, (workspace or self.api.tenant.workspace).id, request
        )
        remember_secret(code)
        return code

    async def post_token(
        self, form: dict[str, str], headers: dict[str, str] | None = None, *, auth: bool = True
    ) -> tuple[int, dict[str, Any], Any]:
        fields, auth_headers = self.client_auth() if auth else ({}, {})
        response = await self.api.client.post(
            "/api/oauth/token",
            data={**fields, **form},
            headers={**auth_headers, **(headers or {})},
        )
        body = await response.json()
        for name in ("access_token", "refresh_token"):
            remember_secret(body.get(name))
        return response.status, body, response

    async def tokens(
        self,
        scope: str | None = "passports:read passports:write offline_access",
        **code_options: Any,
    ) -> dict[str, Any]:
        verifier = pkce_verifier()
        code = await self.code(scope, verifier=verifier, **code_options)
        status, body, _ = await self.post_token(
            {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
        )
        assert status == 200, body
        return body


def pkce_verifier() -> str:
    return secrets.token_urlsafe(48)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def make_oauth(
    make_api: AppFactory, aiohttp_client: Any
) -> AsyncIterator[Callable[..., Awaitable[OAuthApp]]]:
    async def factory(
        *,
        role: str = "editor",
        public: bool = True,
        like: OAuthApp | None = None,
        **settings: Any,
    ) -> OAuthApp:
        """A user with `role` in the tenant's workspace and a client; `like`: another instance
        of that app (same storage, tenant, user and client) with these settings."""
        if like is not None:
            app = create_app(
                access_log=SESSION_ACCESS_LOG,
                settings=app_settings(**settings),
                storage=like.api.storage,
                on_first_access=lambda settings, access: None,
            )
            api = Api(await aiohttp_client(app), like.api.storage, like.api.tenant)
            return OAuthApp(api, like.client, like.user)
        built = await make_api(**settings)
        user = await add_user(built.storage, built.tenant.workspace, role=role)
        client = await add_client(built.storage, public=public)
        return OAuthApp(built, client, user)

    yield factory
