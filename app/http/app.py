"""The application factory, used by __main__, the tests and the tools alike."""

from __future__ import annotations

import logging
import secrets
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from urllib.parse import urlsplit

from aiohttp import web

from app.domain.templates import TemplateCatalog
from app.http.access_log import AccessLog
from app.http.app_keys import (
    ACCESS_LOG,
    IN_FLIGHT,
    LOGIN_THROTTLE,
    METRICS,
    OPENAPI_DOCUMENT,
    PARSED_QUERIES,
    SERVICES,
    SESSION_SECRET,
    SETTINGS,
    STORAGE,
    TEMPLATE_DOCUMENTS,
    Services,
)
from app.http.html import setup_html
from app.http.in_flight import InFlightRequests
from app.http.metrics import Metrics
from app.http.middlewares import auth_middleware, request_context_middleware
from app.http.openapi import render_openapi
from app.http.routes import setup_routes
from app.http.sessions import session_middleware
from app.http.template_documents import TemplateDocuments
from app.http.validation import ParsedQueries
from app.services.auth import Authenticator
from app.services.daily_budget import DailyBudget
from app.services.grants import GrantService
from app.services.idempotency import IdempotencyGuard
from app.services.images import ImageService
from app.services.login_throttle import LoginThrottle
from app.services.oauth import AuthorizationServer
from app.services.oauth_clients import ClientRegistry
from app.services.passports import PassportService
from app.services.plans import PlanBook
from app.services.products import ProductService
from app.services.public_passports import PublicPassports
from app.services.registration_limit import RegistrationLimiter
from app.services.seeding import ensure_reference_data
from app.services.tenants import FirstAccess, bootstrap_tenants
from app.services.users import UserService
from app.services.write_pipeline import WritePipeline
from app.settings import Settings
from app.storage.opening import opened_storage
from app.storage.protocols import Storage

log = logging.getLogger("app.startup")


def build_services(storage: Storage, settings: Settings, catalog: TemplateCatalog) -> Services:
    plans = PlanBook(storage.plans, cache_seconds=settings.plan_cache_seconds)
    images = ImageService(storage.products, storage.images, settings.base_url)
    oauth = AuthorizationServer(storage, settings.base_url, settings.extra_resources)
    return Services(
        catalog=catalog,
        authenticator=Authenticator(
            storage,
            cache_seconds=settings.auth_cache_seconds,
            resource_metadata_url=f"{settings.base_url}/.well-known/oauth-protected-resource",
            accepts_resource=oauth.accepts_resource,
        ),
        products=ProductService(storage.products, images, catalog, plans),
        images=images,
        passports=PassportService(
            storage.passports,
            storage.gtins,
            storage.dpp_usage,
            storage.products,
            catalog,
            plans,
            settings.base_url,
        ),
        reads=DailyBudget(storage.usage, plans, "reads"),
        writes=WritePipeline(
            IdempotencyGuard(storage.idempotency, lease_seconds=settings.idempotency_lease_seconds),
            DailyBudget(storage.usage, plans, "writes"),
        ),
        public_passports=PublicPassports(storage.passports, storage.products, catalog),
        users=UserService(storage),
        clients=ClientRegistry(storage),
        oauth=oauth,
        grants=GrantService(storage),
        registrations=RegistrationLimiter(storage.usage),
    )


def announce_first_access(settings: Settings, access: FirstAccess) -> None:
    # Printed to the terminal (never logged): the only copy of a generated key.
    if settings.in_memory:
        where = "In-memory store (STORAGE=memory): data is lost on exit."
    else:
        where = f"Embedded database: data is kept in {settings.embedded_db_path}/."
    if access.key is not None:
        text = (
            "No BOOTSTRAP_API_KEY or BOOTSTRAP_FILE set and no workspace yet, so one was created.\n"
            f"  Workspace: {access.workspace.name} ({access.workspace.id})\n"
            f"  API key (shown once, only its digest is kept): {access.key}\n"
        )
    else:
        text = (
            f"Workspace: {access.workspace.name} ({access.workspace.id}). Its keys were shown "
            "when they were made; to mint another:\n"
            f"  python -m app keys create --workspace {access.workspace.id}\n"
        )
    print(f"\n{where}\n{text}", file=sys.stdout, flush=True)


def storage_context(
    provided: Storage | None,
    on_first_access: Callable[[Settings, FirstAccess], None],
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        async with AsyncExitStack() as stack:
            if provided is None:
                storage = await stack.enter_async_context(opened_storage(settings, "serve"))
            else:
                storage = provided
            await storage.prepare()
            templates = await ensure_reference_data(storage)
            for warning in settings.startup_warnings():
                log.warning(warning)
            access = await bootstrap_tenants(storage, settings)
            if access is not None:
                on_first_access(settings, access)
            app[STORAGE] = storage
            catalog = TemplateCatalog(templates)
            app[SERVICES] = build_services(storage, settings, catalog)
            app[TEMPLATE_DOCUMENTS] = TemplateDocuments(catalog)
            yield

    return context


def create_app(
    settings: Settings,
    *,
    storage: Storage | None = None,
    on_first_access: Callable[[Settings, FirstAccess], None] = announce_first_access,
    access_log: AccessLog | None = None,
) -> web.Application:
    """`storage` lets several apps share one store (tests, tools); otherwise it follows settings.
    `access_log`: where the request lines go (standard error unless given)."""
    app = web.Application(
        middlewares=[request_context_middleware, auth_middleware],
        client_max_size=settings.max_json_body_bytes,
    )
    app[SETTINGS] = settings
    secret = settings.session_secret
    app[SESSION_SECRET] = (
        secret.get_secret_value().encode() if secret is not None else secrets.token_bytes(32)
    )
    app[OPENAPI_DOCUMENT] = render_openapi()
    app[IN_FLIGHT] = InFlightRequests()
    app[METRICS] = Metrics(app[IN_FLIGHT])
    app[ACCESS_LOG] = access_log or AccessLog.to_stderr(settings.log_level)
    app[PARSED_QUERIES] = ParsedQueries()
    app[LOGIN_THROTTLE] = LoginThrottle()
    app.cleanup_ctx.append(storage_context(storage, on_first_access))
    setup_html(app)
    setup_routes(
        app,
        public_base_path=urlsplit(settings.base_url).path.rstrip("/"),
        page_sessions=session_middleware(
            app[SESSION_SECRET], secure=settings.base_url.startswith("https:")
        ),
    )
    return app
