"""Every route in one place, with the OpenAPI facts the document is built from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import field
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware
from openapi_ui_bundles import swagger_ui
from pydantic import BaseModel

from app.domain.gtin import SERIAL_PATTERN
from app.domain.ids import OBJECT_ID_PATTERN
from app.domain.media import IMAGE_NAME_PATTERN, MEDIA_PATH
from app.domain.passports import ACTIONS, TRANSITIONS, Action
from app.domain.record import record
from app.domain.scopes import required_scope
from app.http.app_keys import ACCESS_RULES
from app.http.handlers import (
    authorize,
    connected_apps,
    docs,
    images,
    login,
    oauth,
    passport_qr,
    passports,
    probes,
    products,
    resolver,
    templates,
)
from app.http.models import (
    BadRequestOut,
    CreateProductBody,
    DeleteConflictOut,
    DeletedProductOut,
    ErrorOut,
    HealthOut,
    ImageUploadBody,
    ImageUploadOut,
    ListProductsQuery,
    NotReadyOut,
    ProductListOut,
    ProductOut,
    RateLimitErrorOut,
    TemplateListOut,
    TemplateOut,
    UpdateProductBody,
    ValidationErrorOut,
)
from app.http.models_oauth import (
    AuthorizationServerMetadataOut,
    ClientRegistrationBody,
    ForbiddenOut,
    OAuthErrorOut,
    ProtectedResourceMetadataOut,
    RegisteredClientOut,
    RevokeForm,
    TokenForm,
    TokenOut,
)
from app.http.page_models import AuthorizeQuery, ConsentForm, CsrfForm, LoginForm, LoginPageQuery
from app.http.page_security import PAGE_ROUTE_PREFIX, page_route
from app.http.passport_models import (
    GTIN_SCHEMA_PATTERN,
    BatchOut,
    BySerialQuery,
    CreatePassportBody,
    CreatePassportsBatchBody,
    DeletedPassportOut,
    EmptyActionBody,
    FieldPatchBody,
    GetBySerialQuery,
    GetPassportQuery,
    LinksetOut,
    ListPassportsQuery,
    PassportFullOut,
    PassportListOut,
    PassportOut,
    PassportSuspendedOut,
    PublicPassportJsonLdOut,
    PublicPassportOut,
    PublishBody,
    QrBySerialQuery,
    QrJsonOut,
    QrQuery,
    QuotaErrorOut,
    ReasonErrorOut,
    ResolverQuery,
    SuspendBody,
)
from app.services.auth import AccessRule

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@record
class Reply:
    description: str
    model: type[BaseModel] | None = None
    headers: tuple[str, ...] = ()
    content_type: str | tuple[str, ...] = "application/json"  # a tuple: binary alternatives
    # Representations chosen by `Accept` or a query parameter: media type → model (None: text
    # or binary). When given, it replaces model/content_type.
    alternatives: tuple[tuple[str, type[BaseModel] | None], ...] = ()
    # OpenAPI links: name → {operationId, parameters?, requestBody?} (stateful fuzzing follows them)
    links: dict[str, dict[str, Any]] = field(default_factory=dict)


@record
class PathParam:
    name: str
    description: str
    pattern: str | None
    type: str = "string"


@record
class Route:
    method: str
    path: str
    handler: Handler
    name: str  # names starting with "v1." require an API key (auth middleware)
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    body_media_type: str = "application/json"
    query: type[BaseModel] | None = None
    path_params: tuple[PathParam, ...] = ()
    replies: dict[int, Reply] = field(default_factory=dict)
    idempotent: bool = False  # honours Idempotency-Key
    description: str = ""
    # Served under the path of PUBLIC_BASE_URL (the GS1 Digital Link resolver), not at the root.
    under_public_base_path: bool = False
    optional_body: bool = False  # a missing or empty body means `{}`
    # The least workspace role an OAuth access token's user needs (oauth.md §7.2). None: the
    # pattern — reads viewer, writes editor; permanent deletes say "admin" here.
    least_role: str | None = None
    cors: bool = False  # Access-Control-Allow-Origin: * and an OPTIONS preflight

    @property
    def authenticated(self) -> bool:
        return self.name.startswith("v1.")

    @property
    def access_rule(self) -> AccessRule:
        """Scope by method (GET passports:read, else passports:write) and the least role."""
        default_role = "viewer" if self.method == "GET" else "editor"
        return AccessRule(required_scope(self.method), self.least_role or default_role)


def _error(description: str) -> Reply:
    return Reply(description, ErrorOut)


FORM = "application/x-www-form-urlencoded"


def _page(description: str, headers: tuple[str, ...] = ()) -> Reply:
    return Reply(description, None, ("Cache-Control", *headers), content_type="text/html")


def _see_other(description: str) -> Reply:
    return Reply(description, None, ("Location", "Set-Cookie"), content_type="text/html")


CSRF_REJECTED = _page("No valid CSRF token for this session, or a foreign `Origin`.")

READ_CAPPED = Reply(
    "The plan's daily read cap is spent (`rate_limit_exceeded`); only for plans that set one.",
    RateLimitErrorOut,
    ("Retry-After", "RateLimit", "RateLimit-Policy"),
)
COMMON_V1_REPLIES = {
    401: Reply(
        "Missing, malformed, unknown, expired or revoked API key or access token (`unauthorized`).",
        ErrorOut,
        ("WWW-Authenticate",),
    ),
    403: Reply(
        "Access tokens only: the scope lacks this operation (`insufficient_scope`, with a "
        "challenge) or the user's workspace role is too low (`role_forbidden`).",
        ForbiddenOut,
        ("WWW-Authenticate",),
    ),
    503: Reply("Storage unreachable; retry later.", ErrorOut, ("Retry-After",)),
}

PRODUCT_ID = PathParam("id", "The product's id (24 hex characters).", f"^{OBJECT_ID_PATTERN}$")
NOT_FOUND = _error("No such product in your workspace (`not_found`); malformed ids included.")
IDEMPOTENCY_ERRORS = {
    409: _error(
        "A request with this Idempotency-Key is still in flight (`idempotency_key_in_use`, "
        "with Retry-After)."
    ),
    422: _error("Idempotency-Key reused with another body (`idempotency_key_reused`)."),
}
BAD_IDEMPOTENCY_KEY = _error("A bad `Idempotency-Key` header (`invalid_idempotency_key`).")
WRITE_HEADERS = ("RateLimit", "RateLimit-Policy")
RATE_LIMITED = Reply(
    "Daily write budget spent (`rate_limit_exceeded`).",
    RateLimitErrorOut,
    ("Retry-After", "RateLimit", "RateLimit-Policy"),
)
JSON_BODY_ERRORS = {
    413: _error("Body over 1 MiB (`payload_too_large`)."),
    415: _error("Content-Type is not application/json (`unsupported_media_type`)."),
}

RESOLVER_PATH = "/01/{gtin}/21/{serial}"
RESOLVER_DESCRIPTION = (
    "The URI a passport's QR code encodes (`gs1.digitalLinkUri`), under the path of "
    "`PUBLIC_BASE_URL`. No authentication, no budgets; unknown query parameters are ignored. "
    "The representation follows `Accept` (q-values honoured; none, `*/*` or anything else → "
    "HTML): `text/html` the page, `application/json` the public view, `application/ld+json` a "
    "schema.org IndividualProduct, `application/linkset+json` (or `?linkType=linkset`) an "
    "RFC 9264 linkset; `Vary: Accept`. Only public template fields that hold a value appear. "
    "`404` for passports that were never public, `423` while suspended, `410` once archived "
    "or expired after publication; browsers get a small HTML notice, other clients the JSON "
    "error body (`Cache-Control: no-store`)."
)
RESOLVER_PARAMS = (
    PathParam(
        "gtin",
        "GTIN-8, -12, -13 or -14 (normalised to 14 digits; a bad check digit is a 400).",
        GTIN_SCHEMA_PATTERN,
    ),
    PathParam(
        "serial",
        "The serial number (GS1 AI 21), percent-encoded as one path segment (`/` as `%2F`).",
        SERIAL_PATTERN,
    ),
)
RESOLVER_PAGE_HEADERS = (
    "Cache-Control",
    "Vary",
    "Link",
    "Content-Security-Policy",
    "X-Content-Type-Options",
)
RESOLVER_NOTICE_HEADERS = (
    "Cache-Control",
    "Vary",
    "Content-Security-Policy",
    "X-Content-Type-Options",
)


def _notice(description: str, model: type[BaseModel] = ErrorOut) -> Reply:
    return Reply(
        description,
        headers=RESOLVER_NOTICE_HEADERS,
        alternatives=(("text/html", None), ("application/json", model)),
    )


RESOLVER_REPLIES = {
    200: Reply(
        "The published passport, in the negotiated representation.",
        headers=RESOLVER_PAGE_HEADERS,
        alternatives=(
            ("text/html", None),
            ("application/json", PublicPassportOut),
            ("application/ld+json", PublicPassportJsonLdOut),
            ("application/linkset+json", LinksetOut),
        ),
    ),
    400: _notice(
        "The GTIN is not a valid GTIN-8/12/13/14 (`validation_error`).", ValidationErrorOut
    ),
    404: _notice("No such passport, or one that was never published (`not_found`)."),
    410: _notice("Withdrawn: archived or expired after publication (`passport_gone`)."),
    423: _notice(
        "Suspended by its publisher; no fields and no reason (`passport_suspended`).",
        PassportSuspendedOut,
    ),
}
RESOLVER_HEAD_REPLIES = {
    status: Reply(reply.description, headers=reply.headers, content_type=())
    for status, reply in RESOLVER_REPLIES.items()
}
# -- passports (passports contract §1-§9) ------------------------------------------------------

PASSPORT_ID = PathParam("id", "The passport's id (24 hex characters).", f"^{OBJECT_ID_PATTERN}$")
PASSPORT_SERIAL = PathParam(
    "serial",
    "The passport's serial number, one percent-encoded path segment (`/` is sent as `%2F`). "
    "Matched within your workspace; add `?gtin=` when it exists under several GTINs.",
    SERIAL_PATTERN,
)
FIELD_KEY = PathParam("key", "A template field key (camelCase, or its snake_case spelling).", None)
PASSPORT_NOT_FOUND = _error("No such passport in your workspace (`not_found`).")
BY_SERIAL_409 = (
    "; by serial: the serial exists under several GTINs (`ambiguous_serial`, details.gtins)"
)
PASSPORT_WRITE_400 = Reply(
    "Validation error (`validation_error`), malformed JSON (`invalid_json`) or a bad "
    "`Idempotency-Key` header (`invalid_idempotency_key`).",
    BadRequestOut,
)


def _passport_twins(route: Route, twin_query: type[BaseModel] | None = None) -> list[Route]:
    """A `/{id}` route and its `/by-serial/{serial}` twin (same handler; ?gtin= chooses).
    `twin_query` documents the twin's query (default: the route's plus `gtin`)."""
    twin_replies = dict(route.replies)
    conflict = twin_replies.get(409)
    twin_replies[409] = _error(
        (conflict.description.rstrip(".") if conflict else "Conflict") + BY_SERIAL_409 + "."
    )
    if 400 not in twin_replies:
        twin_replies[400] = _error("An invalid `gtin` query parameter (`validation_error`).")
    twin = Route(
        route.method,
        route.path.replace("/{id}", "/by-serial/{serial}"),
        route.handler,
        name=route.name.replace("v1.passports.", "v1.passports.by_serial."),
        summary=route.summary + " (by serial)",
        tag=route.tag,
        body=route.body,
        query=twin_query
        or (GetBySerialQuery if route.query is GetPassportQuery else BySerialQuery),
        path_params=tuple(PASSPORT_SERIAL if p.name == "id" else p for p in route.path_params),
        replies=twin_replies,
        idempotent=route.idempotent,
        description=route.description,
        optional_body=route.optional_body,
        least_role=route.least_role,
    )
    return [twin, route]


PASSPORT_FROM_BODY = {"id": "$response.body#/_id"}
BY_SERIAL_FROM_BODY = {
    "serial": "$response.body#/gs1/serialNumber",
    "gtin": "$response.body#/gs1/gtin",
}


def _follow(operation: str, **extra: Any) -> dict[str, Any]:
    return {"operationId": operation, "parameters": {**PASSPORT_FROM_BODY, **extra}}


# The stateful fuzz walks create → get → field PATCH → the lifecycle chain.
NEXT_ACTION: dict[str, dict[str, dict[str, Any]]] = {
    "submit": {"Approve": _follow("v1.passports.approve")},
    "approve": {
        "Publish": {**_follow("v1.passports.publish"), "requestBody": {"acceptIncomplete": True}}
    },
    "publish": {"Suspend": _follow("v1.passports.suspend")},
    "suspend": {"Unsuspend": _follow("v1.passports.unsuspend")},
    "unsuspend": {"Archive": _follow("v1.passports.archive")},
    "reject": {"Submit": _follow("v1.passports.submit")},
    "archive": {"Get": _follow("v1.passports.get")},
}
CREATED_PASSPORT_LINKS: dict[str, dict[str, Any]] = {
    "GetPassport": _follow("v1.passports.get"),
    "GetPassportBySerial": {
        "operationId": "v1.passports.by_serial.get",
        "parameters": BY_SERIAL_FROM_BODY,
    },
    "SetField": {
        **_follow("v1.passports.fields.update", key="ratedCapacity"),
        "requestBody": {"value": 100},
    },
    "Submit": _follow("v1.passports.submit"),
    "Reject": _follow("v1.passports.reject"),
    "Archive": _follow("v1.passports.archive"),
    "Delete": _follow("v1.passports.delete"),
    **{
        f"{action.capitalize()}BySerial": {
            "operationId": f"v1.passports.by_serial.{action}",
            "parameters": BY_SERIAL_FROM_BODY,
        }
        for action in ACTIONS
    },
    "SetFieldBySerial": {
        "operationId": "v1.passports.by_serial.fields.update",
        "parameters": {**BY_SERIAL_FROM_BODY, "key": "ratedCapacity"},
        "requestBody": {"value": 100},
    },
    "DeleteBySerial": {
        "operationId": "v1.passports.by_serial.delete",
        "parameters": BY_SERIAL_FROM_BODY,
    },
}


ACTION_BODIES: dict[Action, type[BaseModel]] = {"publish": PublishBody, "suspend": SuspendBody}
ACTION_SUMMARIES: dict[Action, str] = {
    "submit": "Submit a passport for review",
    "approve": "Approve a passport in review",
    "reject": "Send a passport back to draft",
    "publish": "Publish an approved passport",
    "suspend": "Suspend a published passport",
    "unsuspend": "Republish a suspended passport",
    "archive": "Archive a passport (irreversible; frees its DPP slot)",
}


def _lifecycle_route(action: Action) -> Route:
    transition = TRANSITIONS[action]
    allowed = ", ".join(f"`{s}`" for s in transition.allowed_from)
    conflict = "Not allowed from the current status (`invalid_transition`)"
    if action == "publish":
        conflict += ", required fields missing (`passport_incomplete`)"
    return Route(
        "POST",
        f"/api/v1/passports/{{id}}/{action}",
        passports.lifecycle_handler(action),
        name=f"v1.passports.{action}",
        summary=ACTION_SUMMARIES[action],
        tag="Passport lifecycle",
        description=(
            f"Moves the passport from {allowed} to `{transition.target}`. When it already is "
            f"`{transition.target}`, answers 200 and changes nothing. The body is optional "
            "(missing or empty means `{}`). Counts as one v1 write; honours `Idempotency-Key`."
        ),
        path_params=(PASSPORT_ID,),
        body=ACTION_BODIES.get(action, EmptyActionBody),
        optional_body=True,
        idempotent=True,
        replies={
            200: Reply(
                "The passport after the action.",
                PassportOut,
                WRITE_HEADERS,
                links=NEXT_ACTION.get(action, {}),
            ),
            400: PASSPORT_WRITE_400,
            404: PASSPORT_NOT_FOUND,
            409: _error(
                conflict + ", or a request with this Idempotency-Key is still in flight "
                "(`idempotency_key_in_use`)."
            ),
            **JSON_BODY_ERRORS,
            422: IDEMPOTENCY_ERRORS[422],
            429: RATE_LIMITED,
            **COMMON_V1_REPLIES,
        },
    )


PASSPORT_ROUTES: list[Route] = [
    Route(
        "GET",
        "/api/v1/passports",
        passports.list_passports,
        name="v1.passports.list",
        summary="List passports",
        tag="Passports",
        description=(
            "One page of the workspace's passports, newest first. Archived passports are hidden "
            "unless `status=archived` or `showArchived=true`; `expired` is read off the clock. "
            "Unknown or repeated query parameters are a 400."
        ),
        query=ListPassportsQuery,
        replies={
            200: Reply("A page of passports.", PassportListOut),
            400: Reply("A query parameter is out of range or unknown.", ValidationErrorOut),
            429: READ_CAPPED,
            **COMMON_V1_REPLIES,
        },
    ),
    Route(
        "POST",
        "/api/v1/passports",
        passports.create_passport,
        name="v1.passports.create",
        summary="Create a passport",
        tag="Passports",
        description=(
            "Issues a passport for one serialised unit of a product, seeded from the product's "
            "`defaultFieldValues`. The first workspace to use a GTIN owns it. Holds one DPP slot "
            "of the plan. Counts as one v1 write; honours `Idempotency-Key`."
        ),
        body=CreatePassportBody,
        idempotent=True,
        replies={
            201: Reply(
                "Created.", PassportOut, ("Location", *WRITE_HEADERS), links=CREATED_PASSPORT_LINKS
            ),
            400: PASSPORT_WRITE_400,
            402: Reply(
                "The plan's passports are all in use: `overage_required` (retry with "
                "`confirmOverage: true`) or `dpp_quota_exhausted` (no overage on this plan).",
                QuotaErrorOut,
                WRITE_HEADERS,
            ),
            404: _error("No such product in your workspace (`not_found`)."),
            409: _error(
                "The product is archived (`product_archived`), the GTIN belongs to another "
                "workspace (`gtin_taken`), the serial exists for this GTIN "
                "(`duplicate_serial`), or the Idempotency-Key is in flight."
            ),
            **JSON_BODY_ERRORS,
            422: IDEMPOTENCY_ERRORS[422],
            429: RATE_LIMITED,
            **COMMON_V1_REPLIES,
        },
    ),
    Route(
        "POST",
        "/api/v1/passports/batch",
        passports.create_passports_batch,
        name="v1.passports.batch",
        summary="Create up to 100 passports",
        tag="Passports",
        description=(
            "Each item is created like a single create, in index order; a failed item fails "
            "alone (200 with per-item results). N writes and N DPP slots are reserved up front "
            "(429 / 402 for the whole batch); failed items' units are given back. Honours "
            "`Idempotency-Key` for the whole batch."
        ),
        body=CreatePassportsBatchBody,
        idempotent=True,
        replies={
            200: Reply("One result per item, in index order.", BatchOut, WRITE_HEADERS),
            400: PASSPORT_WRITE_400,
            402: Reply(
                "Not enough DPP slots for the batch (`overage_required` / `dpp_quota_exhausted`).",
                QuotaErrorOut,
                WRITE_HEADERS,
            ),
            **IDEMPOTENCY_ERRORS,
            **JSON_BODY_ERRORS,
            429: RATE_LIMITED,
            **COMMON_V1_REPLIES,
        },
    ),
    *_passport_twins(
        Route(
            "GET",
            "/api/v1/passports/{id}",
            passports.get_passport,
            name="v1.passports.get",
            summary="Get a passport",
            tag="Passports",
            description=(
                "`format=full` adds the template and every field's definition; `lang` (one of "
                "the 24 EU locales) is echoed: translations are not kept, values are as stored."
            ),
            path_params=(PASSPORT_ID,),
            query=GetPassportQuery,
            replies={
                200: Reply("The passport.", PassportFullOut),
                400: Reply("A query parameter is invalid or unknown.", ValidationErrorOut),
                404: PASSPORT_NOT_FOUND,
                429: READ_CAPPED,
                **COMMON_V1_REPLIES,
            },
        )
    ),
    *_passport_twins(
        Route(
            "GET",
            "/api/v1/passports/{id}/qr",
            passport_qr.passport_qr,
            name="v1.passports.qr",
            summary="A passport's QR code (its GS1 Digital Link URI)",
            tag="Passports",
            description=(
                "Encodes `gs1.digitalLinkUri` byte for byte: error correction M, a 4-module "
                "quiet zone, black on transparent unless `color`/`backgroundColor` say "
                "otherwise. Rendered in every status, so labels can be printed before "
                "publishing. A read: no write budget."
            ),
            path_params=(PASSPORT_ID,),
            query=QrQuery,
            replies={
                200: Reply(
                    "The code: SVG (standalone, with a viewBox), PNG (8 px per module) or "
                    "JSON with the SVG and the URI.",
                    alternatives=(
                        ("image/svg+xml", None),
                        ("image/png", None),
                        ("application/json", QrJsonOut),
                    ),
                ),
                400: Reply("A query parameter is invalid or unknown.", ValidationErrorOut),
                404: PASSPORT_NOT_FOUND,
                429: READ_CAPPED,
                **COMMON_V1_REPLIES,
            },
        ),
        twin_query=QrBySerialQuery,
    ),
    *_passport_twins(
        Route(
            "PATCH",
            "/api/v1/passports/{id}/fields/{key}",
            passports.patch_field,
            name="v1.passports.fields.update",
            summary="Set or remove one field of a passport",
            tag="Passports",
            description=(
                "Sets `fields[key]` (validated like a product's `defaultFieldValues` entry) "
                "and its provenance in `fieldMeta`; `value: null` removes both. Allowed until "
                "the passport is archived or expired. Counts as one v1 write; honours "
                "`Idempotency-Key`."
            ),
            path_params=(PASSPORT_ID, FIELD_KEY),
            body=FieldPatchBody,
            idempotent=True,
            replies={
                200: Reply(
                    "The passport with the field changed.",
                    PassportOut,
                    WRITE_HEADERS,
                    links={"Submit": _follow("v1.passports.submit")},
                ),
                400: PASSPORT_WRITE_400,
                404: PASSPORT_NOT_FOUND,
                409: _error(
                    "The passport is archived or expired (`passport_locked`), or the "
                    "Idempotency-Key is in flight."
                ),
                **JSON_BODY_ERRORS,
                422: IDEMPOTENCY_ERRORS[422],
                429: RATE_LIMITED,
                **COMMON_V1_REPLIES,
            },
        )
    ),
    *(twin for action in ACTIONS for twin in _passport_twins(_lifecycle_route(action))),
    *_passport_twins(
        Route(
            "DELETE",
            "/api/v1/passports/{id}",
            passports.delete_passport,
            name="v1.passports.delete",
            summary="Delete a never-published passport",
            tag="Passports",
            description=(
                "Only drafts and passports in review that were never published, and not on "
                "the free plan; archive the others. Frees the DPP slot and lowers the product's "
                "`passportCount`; the serial may be reused. Counts as one v1 write; honours "
                "`Idempotency-Key`."
            ),
            path_params=(PASSPORT_ID,),
            idempotent=True,
            least_role="admin",  # a permanent delete (oauth.md §7.2's pattern)
            replies={
                200: Reply("Deleted.", DeletedPassportOut, WRITE_HEADERS),
                400: BAD_IDEMPOTENCY_KEY,
                404: PASSPORT_NOT_FOUND,
                409: Reply(
                    "The passport was published or is past review (`passport_not_deletable`, "
                    "with `reason`), or the Idempotency-Key is in flight.",
                    ReasonErrorOut,
                ),
                422: IDEMPOTENCY_ERRORS[422],
                429: RATE_LIMITED,
                **COMMON_V1_REPLIES,
                403: Reply(
                    "The plan does not allow deleting passports (`plan_forbidden`, with "
                    "`reason`), or, for access tokens, `insufficient_scope` or `role_forbidden` "
                    "(needs admin).",
                    ReasonErrorOut,
                    ("WWW-Authenticate",),
                ),
            },
        )
    ),
]


ROUTES: list[Route] = [
    Route(
        "GET",
        "/api/v1/products",
        products.list_products,
        name="v1.products.list",
        summary="List products",
        tag="Products",
        description=(
            "One page of the workspace's products, newest first (`createdAt` desc, then `_id` "
            "desc). Archived products are hidden unless `status=archived` or "
            "`showArchived=true`. Unknown or repeated query parameters are a 400."
        ),
        query=ListProductsQuery,
        replies={
            200: Reply("A page of products.", ProductListOut),
            400: Reply("A query parameter is out of range or unknown.", ValidationErrorOut),
            429: READ_CAPPED,
            **COMMON_V1_REPLIES,
        },
    ),
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
            201: Reply(
                "Created.",
                ProductOut,
                ("Location", *WRITE_HEADERS),
                links={
                    "CreatePassport": {
                        "operationId": "v1.passports.create",
                        "requestBody": {
                            "productId": "$response.body#/_id",
                            # The product id is a fresh, valid AI 21 serial.
                            "gs1": {
                                "gtin": "04012345000016",
                                "serialNumber": "$response.body#/_id",
                            },
                        },
                    }
                },
            ),
            400: Reply(
                "Validation error (`validation_error`), unknown category (`template_not_found`), "
                "malformed JSON (`invalid_json`) or a bad `Idempotency-Key` header "
                "(`invalid_idempotency_key`).",
                BadRequestOut,
            ),
            409: _error(
                "Model already exists (`duplicate_model`), or a request with this "
                "Idempotency-Key is still in flight (`idempotency_key_in_use`, with Retry-After)."
            ),
            **JSON_BODY_ERRORS,
            422: IDEMPOTENCY_ERRORS[422],
            429: RATE_LIMITED,
            **COMMON_V1_REPLIES,
        },
    ),
    Route(
        "GET",
        "/api/v1/products/{id}",
        products.get_product,
        name="v1.products.get",
        summary="Get a product",
        tag="Products",
        path_params=(PRODUCT_ID,),
        replies={
            200: Reply("The product.", ProductOut),
            404: NOT_FOUND,
            429: READ_CAPPED,
            **COMMON_V1_REPLIES,
        },
    ),
    Route(
        "PATCH",
        "/api/v1/products/{id}",
        products.update_product,
        name="v1.products.update",
        summary="Update a product",
        tag="Products",
        description=(
            "Partial update: only the fields sent change. `description: null` or blank text "
            "clears it; `defaultFieldValues` and `imageUrls` replace the whole value; `model` "
            "stays unique (409); `category` cannot change (400). An empty body or `{}` is 400 "
            '`validation_error` with `formErrors: ["Provide at least one field to update"]`, '
            "checked right after authentication: it changes nothing, counts no write and is not "
            "stored under an `Idempotency-Key`. Counts as one v1 write; honours "
            "`Idempotency-Key`."
        ),
        path_params=(PRODUCT_ID,),
        body=UpdateProductBody,
        idempotent=True,
        replies={
            200: Reply("The updated product.", ProductOut, WRITE_HEADERS),
            400: Reply(
                "Validation error (`validation_error`, also for an empty body, `{}` or a "
                "`category`), "
                "malformed JSON (`invalid_json`) or a bad `Idempotency-Key` header "
                "(`invalid_idempotency_key`).",
                BadRequestOut,
            ),
            404: NOT_FOUND,
            409: _error(
                "Model already exists (`duplicate_model`), or a request with this "
                "Idempotency-Key is still in flight (`idempotency_key_in_use`)."
            ),
            **JSON_BODY_ERRORS,
            422: IDEMPOTENCY_ERRORS[422],
            429: RATE_LIMITED,
            **COMMON_V1_REPLIES,
        },
    ),
    Route(
        "DELETE",
        "/api/v1/products/{id}",
        products.delete_product,
        name="v1.products.delete",
        summary="Delete a product permanently",
        tag="Products",
        least_role="admin",
        description=(
            "Hard delete, only for a product without passports and not on the free plan. The "
            "model can be reused afterwards; images stored by the service are deleted too. "
            "Counts as one v1 write; honours `Idempotency-Key`."
        ),
        path_params=(PRODUCT_ID,),
        idempotent=True,
        replies={
            200: Reply("Deleted.", DeletedProductOut, WRITE_HEADERS),
            400: BAD_IDEMPOTENCY_KEY,
            404: NOT_FOUND,
            409: Reply(
                "The product has passports (`product_has_passports`, with `reason`), or a "
                "request with this Idempotency-Key is still in flight (`idempotency_key_in_use`).",
                DeleteConflictOut,
            ),
            422: IDEMPOTENCY_ERRORS[422],
            429: RATE_LIMITED,
            **COMMON_V1_REPLIES,
            403: Reply(
                "The plan does not allow deleting products (`plan_forbidden`), or, for access "
                "tokens, `insufficient_scope` or `role_forbidden` (needs admin).",
                ForbiddenOut,
                ("WWW-Authenticate",),
            ),
        },
    ),
    Route(
        "POST",
        "/api/v1/products/{id}/archive",
        products.archive_product,
        name="v1.products.archive",
        summary="Archive a product",
        tag="Products",
        description=(
            "Sets `status` to `archived` (a no-op on an archived product); archived products "
            "are hidden from the default list. Counts as one v1 write; honours `Idempotency-Key`."
        ),
        path_params=(PRODUCT_ID,),
        idempotent=True,
        replies={
            200: Reply("The archived product.", ProductOut, WRITE_HEADERS),
            400: BAD_IDEMPOTENCY_KEY,
            404: NOT_FOUND,
            **IDEMPOTENCY_ERRORS,
            429: RATE_LIMITED,
            **COMMON_V1_REPLIES,
        },
    ),
    Route(
        "POST",
        "/api/v1/products/{id}/images",
        images.upload_image,
        name="v1.products.images.upload",
        summary="Upload a product image",
        tag="Images",
        description=(
            "`multipart/form-data` with one part `file`: PNG, JPEG or WebP (judged by the "
            "file's bytes), at most 5 MB, at most 20 images per product. The service stores "
            "the file and serves it publicly at a stable URL, appended to `imageUrls`. Counts "
            "as one v1 write; `Idempotency-Key` does not apply (ignored if sent)."
        ),
        path_params=(PRODUCT_ID,),
        body=ImageUploadBody,
        body_media_type="multipart/form-data",
        replies={
            201: Reply("Stored.", ImageUploadOut, ("Location", *WRITE_HEADERS)),
            400: Reply("No `file` part, another part, or a broken body.", ValidationErrorOut),
            404: NOT_FOUND,
            409: _error("The product already has 20 images (`image_limit_reached`)."),
            413: _error("The file is over 5 MB (`payload_too_large`)."),
            415: _error(
                "Not multipart/form-data, or the file is not PNG, JPEG or WebP "
                "(`unsupported_media_type`)."
            ),
            429: RATE_LIMITED,
            **COMMON_V1_REPLIES,
        },
    ),
    Route(
        "DELETE",
        "/api/v1/products/{id}/images/{index}",
        images.delete_image,
        name="v1.products.images.delete",
        summary="Remove a product image",
        tag="Images",
        description=(
            "Removes `imageUrls[index]` (zero-based) and, when this service stored the image, "
            "the stored file (its URL then answers 404). Counts as one v1 write; honours "
            "`Idempotency-Key`."
        ),
        path_params=(
            PRODUCT_ID,
            PathParam("index", "Zero-based position in `imageUrls`.", r"^[0-9]+$", "integer"),
        ),
        idempotent=True,
        replies={
            200: Reply("The product without that image.", ProductOut, WRITE_HEADERS),
            400: BAD_IDEMPOTENCY_KEY,
            404: _error("No such product, or no image at that index (`not_found`)."),
            **IDEMPOTENCY_ERRORS,
            429: RATE_LIMITED,
            **COMMON_V1_REPLIES,
        },
    ),
    Route(
        "GET",
        "/api/v1/templates",
        templates.list_templates,
        name="v1.templates.list",
        summary="List category templates",
        tag="Templates",
        replies={
            200: Reply("Every seeded template.", TemplateListOut),
            429: READ_CAPPED,
            **COMMON_V1_REPLIES,
        },
    ),
    Route(
        "GET",
        "/api/v1/templates/{category}",
        templates.get_template,
        name="v1.templates.get",
        summary="Get a category template with its fields",
        tag="Templates",
        path_params=(PathParam("category", "A category slug or alias.", None),),
        replies={
            200: Reply("The template.", TemplateOut),
            404: _error("Unknown category (`template_not_found`)."),
            429: READ_CAPPED,
            **COMMON_V1_REPLIES,
        },
    ),
    *PASSPORT_ROUTES,
    Route(
        "GET",
        MEDIA_PATH + "/{name}",
        images.serve_image,
        name="media.image",
        summary="A stored product image (public, no auth)",
        tag="Images",
        description=(
            "Images uploaded through the API, at the URL the upload returned. Cached for a "
            "year (`immutable`); `If-None-Match` with the ETag answers 304."
        ),
        path_params=(PathParam("name", "`<id>.<png|jpg|webp>`", f"^{IMAGE_NAME_PATTERN}$"),),
        replies={
            200: Reply(
                "The image.",
                None,
                ("ETag", "Cache-Control"),
                content_type=("image/png", "image/jpeg", "image/webp"),
            ),
            304: Reply("Not modified (the ETag matched).", None, ("ETag",), content_type=()),
            404: _error("No such image (`not_found`)."),
        },
    ),
    *(
        Route(
            method,
            RESOLVER_PATH,
            resolver.resolve,
            name=f"public.resolver.{method.lower()}",
            summary=f"GS1 Digital Link resolver: a passport's public page ({method})",
            tag="Public passports",
            description=RESOLVER_DESCRIPTION,
            query=ResolverQuery,
            path_params=RESOLVER_PARAMS,
            replies=RESOLVER_REPLIES if method == "GET" else RESOLVER_HEAD_REPLIES,
            under_public_base_path=True,
        )
        for method in ("GET", "HEAD")
    ),
    Route(
        "GET",
        "/.well-known/oauth-authorization-server",
        oauth.authorization_server_metadata,
        name="oauth.metadata",
        summary="OAuth authorization server metadata (RFC 8414)",
        tag="OAuth",
        cors=True,
        description="No authentication. `registration_endpoint` appears only while "
        "OAUTH_DCR=open. `issuer` is the service's base URL, byte for byte.",
        replies={200: Reply("The metadata.", AuthorizationServerMetadataOut)},
    ),
    Route(
        "GET",
        "/.well-known/oauth-protected-resource",
        oauth.protected_resource_metadata,
        name="oauth.resource_metadata",
        summary="OAuth protected resource metadata (RFC 9728)",
        tag="OAuth",
        cors=True,
        description="Named by `resource_metadata` in every `/api/v1` 401 challenge.",
        replies={200: Reply("The metadata.", ProtectedResourceMetadataOut)},
    ),
    Route(
        "POST",
        "/api/oauth/register",
        oauth.register,
        name="oauth.register",
        summary="Register an OAuth client (RFC 7591 dynamic registration)",
        tag="OAuth",
        cors=True,
        description="Open to anyone while OAUTH_DCR=open (else 404). JSON body at most 64 KiB. "
        "Such clients always use PKCE (S256), are shown as unverified at consent and are "
        "deleted when they obtain no token within 30 days.",
        body=ClientRegistrationBody,
        replies={
            201: Reply("Registered; `client_secret` is shown only here.", RegisteredClientOut),
            400: Reply(
                "`invalid_redirect_uri` or `invalid_client_metadata` (RFC 7591 shape).",
                OAuthErrorOut,
            ),
            404: _error("OAUTH_DCR=off (`not_found`)."),
            429: Reply(
                "Over 100 registrations from this address this hour (`temporarily_unavailable`).",
                OAuthErrorOut,
                ("Retry-After",),
            ),
        },
    ),
    Route(
        "POST",
        "/api/oauth/token",
        oauth.token,
        name="oauth.token",
        summary="Exchange a code or a refresh token for tokens (RFC 6749 §3.2)",
        tag="OAuth",
        cors=True,
        description="Form-encoded. Codes are single use (a replayed code revokes its grant); "
        "refresh tokens rotate at every use (a reused one revokes its grant). Answers carry "
        "`Cache-Control: no-store` and `Pragma: no-cache`.",
        body=TokenForm,
        body_media_type="application/x-www-form-urlencoded",
        replies={
            200: Reply("Tokens.", TokenOut, ("Cache-Control", "Pragma")),
            400: Reply(
                "`invalid_request`, `invalid_grant`, `invalid_scope`, `invalid_target`, "
                "`unauthorized_client` or `unsupported_grant_type` (RFC 6749 shape).",
                OAuthErrorOut,
            ),
            401: Reply(
                "`invalid_client` (with `WWW-Authenticate: Basic` when Basic was sent).",
                OAuthErrorOut,
                ("WWW-Authenticate",),
            ),
        },
    ),
    Route(
        "POST",
        "/api/oauth/revoke",
        oauth.revoke,
        name="oauth.revoke",
        summary="Revoke a token (RFC 7009)",
        tag="OAuth",
        cors=True,
        description="Form-encoded, client authentication as for the token endpoint. An access "
        "token ends alone; a refresh token ends its whole grant. Unknown tokens, other "
        "clients' tokens and API keys are left alone, with the same 200.",
        body=RevokeForm,
        body_media_type="application/x-www-form-urlencoded",
        replies={
            200: Reply("Done (empty body).", None, content_type=()),
            400: Reply("`invalid_request` (RFC 6749 shape).", OAuthErrorOut),
            401: Reply("`invalid_client`.", OAuthErrorOut, ("WWW-Authenticate",)),
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
            503: Reply("Not ready (`service_unavailable`).", NotReadyOut, ("Retry-After",)),
        },
    ),
    Route(
        "GET",
        "/metrics",
        probes.metrics,
        name="probes.metrics",
        summary="Prometheus metrics",
        tag="Operations",
        description=(
            "Request count and latency by route and status, idempotency replays and "
            "conflicts, write-budget rejections, storage outages, requests in flight. Needs "
            "`Authorization: Bearer <METRICS_TOKEN>` when that setting is given."
        ),
        replies={
            200: Reply("Prometheus text exposition format.", None, content_type="text/plain"),
            401: Reply("METRICS_TOKEN is set and was not sent.", ErrorOut, ("WWW-Authenticate",)),
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
    # --- HTML pages (oauth.md §5): names start with "pages." (security headers, CSRF checks) ---
    Route(
        "GET",
        "/login",
        login.login_page,
        name="pages.login",
        summary="Sign-in page",
        tag="Browser pages",
        query=LoginPageQuery,
        replies={200: _page("The sign-in form (sets `tp_session` for its CSRF token).")},
    ),
    Route(
        "POST",
        "/login",
        login.login,
        name="pages.login.submit",
        summary="Sign in",
        tag="Browser pages",
        body=LoginForm,
        body_media_type=FORM,
        replies={
            303: _see_other("Signed in: to `next` when it is a local path, else connected apps."),
            401: _page("`Invalid email or password.` (the same for every cause)."),
            403: CSRF_REJECTED,
            429: _page(
                "Too many failures for this email (5) or address (20) in 60 s.", ("Retry-After",)
            ),
        },
    ),
    Route(
        "POST",
        "/logout",
        login.logout,
        name="pages.logout",
        summary="Sign out",
        tag="Browser pages",
        body=CsrfForm,
        body_media_type=FORM,
        replies={303: _see_other("Signed out; to /login."), 403: CSRF_REJECTED},
    ),
    Route(
        "GET",
        "/api/oauth/authorize",
        authorize.authorize_page,
        name="pages.authorize",
        summary="OAuth 2.0 authorization endpoint (consent page)",
        tag="OAuth",
        query=AuthorizeQuery,
        description=(
            "Authorization code flow with PKCE (S256). Checked in this order: an unknown "
            "`client_id` or unregistered `redirect_uri` is a 400 page (never a redirect); "
            "without a session, a 303 to `/login?next=...`; any other fault is a 303 to the "
            "`redirect_uri` with `error`, `error_description`, `state` and `iss`. Otherwise the "
            "consent page, every time. Unknown parameters (`prompt` included) are ignored; a "
            "repeated one is `invalid_request`."
        ),
        replies={
            200: _page("The consent page."),
            303: _see_other("To the sign-in page, or to the client with an error."),
            400: _page("Unknown client, or a missing or unregistered redirect URI."),
        },
    ),
    Route(
        "POST",
        "/api/oauth/authorize",
        authorize.decide,
        name="pages.authorize.decide",
        summary="Consent decision",
        tag="OAuth",
        body=ConsentForm,
        body_media_type=FORM,
        description=(
            "The consent form posts the pending request back with the decision; the request is "
            "checked again as on GET. `approve`: 303 to the `redirect_uri` with `code`, `state` "
            "and `iss`. `deny`: with `error=access_denied`, `state` and `iss`."
        ),
        replies={
            303: _see_other("To the client with a code or an error, or to the sign-in page."),
            400: _page("Unknown client or redirect URI, a bad decision, or not your workspace."),
            403: CSRF_REJECTED,
        },
    ),
    Route(
        "GET",
        "/account/connected-apps",
        connected_apps.connected_apps_page,
        name="pages.connected_apps",
        summary="Connected apps (the signed-in user's grants)",
        tag="Browser pages",
        replies={200: _page("The list."), 303: _see_other("Not signed in: to /login.")},
    ),
    Route(
        "POST",
        "/account/connected-apps/{grant}/revoke",
        connected_apps.revoke,
        name="pages.connected_apps.revoke",
        summary="Revoke a connected app",
        tag="Browser pages",
        path_params=(PathParam("grant", "The grant's id.", None),),
        body=CsrfForm,
        body_media_type=FORM,
        description="Ends the grant and every token issued under it.",
        replies={
            303: _see_other("Revoked: back to the connected apps (or to /login)."),
            403: CSRF_REJECTED,
            404: _page("No such grant of yours."),
        },
    ),
]


def setup_routes(
    app: web.Application, *, public_base_path: str = "", page_sessions: Middleware
) -> None:
    """`public_base_path`: the path of PUBLIC_BASE_URL (`/dpp` for `https://x.example/dpp`);
    `page_sessions`: the session middleware that the `pages.*` routes alone run in."""
    for route in ROUTES:
        path = public_base_path + route.path if route.under_public_base_path else route.path
        handler = route.handler
        if route.name.startswith(PAGE_ROUTE_PREFIX):
            handler = page_route(handler, page_sessions)
        app.router.add_route(route.method, path, handler, name=route.name)
    for path in sorted({route.path for route in ROUTES if route.cors}):
        app.router.add_route("OPTIONS", path, oauth.preflight)
    app[ACCESS_RULES] = {route.name: route.access_rule for route in ROUTES if route.authenticated}
    app.router.add_static(docs.ASSETS, swagger_ui.static_path, name="docs.assets")
