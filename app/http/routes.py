"""Every route in one place, with the OpenAPI facts the document is built from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from openapi_ui_bundles import swagger_ui
from pydantic import BaseModel

from app.http.handlers import docs, probes, products
from app.http.models import (
    CreateProductBody,
    ErrorOut,
    HealthOut,
    ProductOut,
    RateLimitErrorOut,
    ValidationErrorOut,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Reply:
    description: str
    model: type[BaseModel] | None = None
    headers: tuple[str, ...] = ()
    content_type: str = "application/json"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    name: str  # names starting with "v1." require an API key (auth middleware)
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    replies: dict[int, Reply] = field(default_factory=dict)
    idempotent: bool = False  # honours Idempotency-Key
    description: str = ""

    @property
    def authenticated(self) -> bool:
        return self.name.startswith("v1.")


def _error(description: str) -> Reply:
    return Reply(description, ErrorOut)


COMMON_V1_REPLIES = {
    401: Reply("Missing, malformed, unknown or revoked API key.", ErrorOut, ("WWW-Authenticate",)),
    503: Reply("Storage unreachable; retry later.", ErrorOut, ("Retry-After",)),
}

ROUTES: list[Route] = [
    Route(
        "POST",
        "/api/v1/products",
        products.create_product,
        name="v1.products.create",
        summary="Create a product",
        tag="Products",
        description=(
            "Creates a product (SKU level, above passports). The category resolves the template; "
            "`defaultFieldValues` are validated against it. Counts as one v1 write; honours "
            "`Idempotency-Key`."
        ),
        body=CreateProductBody,
        idempotent=True,
        replies={
            201: Reply("Created.", ProductOut, ("Location", "RateLimit", "RateLimit-Policy")),
            400: Reply(
                "Validation error (`validation_error`), unknown category (`template_not_found`), "
                "malformed JSON (`invalid_json`) or a bad `Idempotency-Key` header "
                "(`invalid_idempotency_key`).",
                ValidationErrorOut,
            ),
            409: _error(
                "Model already exists (`duplicate_model`), or a request with this "
                "Idempotency-Key is still in flight (`idempotency_key_in_use`, with Retry-After)."
            ),
            413: _error("Body over 1 MiB (`payload_too_large`)."),
            415: _error("Content-Type is not application/json (`unsupported_media_type`)."),
            422: _error("Idempotency-Key reused with another body (`idempotency_key_reused`)."),
            429: Reply(
                "Daily write budget spent (`rate_limit_exceeded`).",
                RateLimitErrorOut,
                ("Retry-After", "RateLimit", "RateLimit-Policy"),
            ),
            **COMMON_V1_REPLIES,
        },
    ),
    Route(
        "GET",
        "/healthz",
        probes.healthz,
        name="probes.healthz",
        summary="Liveness: the process is up",
        tag="Operations",
        replies={200: Reply("Up.", HealthOut)},
    ),
    Route(
        "GET",
        "/readyz",
        probes.readyz,
        name="probes.readyz",
        summary="Readiness: storage reachable and templates loaded",
        tag="Operations",
        replies={
            200: Reply("Ready.", HealthOut),
            503: Reply("Not ready.", HealthOut, ("Retry-After",)),
        },
    ),
    Route(
        "GET",
        "/api/v1/openapi.json",
        docs.openapi_document,
        name="docs.openapi",
        summary="This OpenAPI 3.1 document",
        tag="Documentation",
        replies={200: Reply("The document.", None)},
    ),
    Route(
        "GET",
        "/api/docs",
        docs.docs_page,
        name="docs.page",
        summary="Interactive API documentation (Swagger UI, served offline)",
        tag="Documentation",
        replies={200: Reply("HTML page.", None, content_type="text/html")},
    ),
]

DOCS_ASSETS_PREFIX = "/api/docs/assets"


def setup_routes(app: web.Application) -> None:
    for route in ROUTES:
        app.router.add_route(route.method, route.path, route.handler, name=route.name)
    app.router.add_static(DOCS_ASSETS_PREFIX, swagger_ui.static_path, name="docs.assets")
