"""Middlewares: request id + access log + error mapping (outermost), then authentication."""

from __future__ import annotations

import logging
import re
import time

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from app.domain.api_keys import looks_like_api_key
from app.domain.distinct_ids import distinct_id
from app.domain.errors import (
    ApiError,
    InternalError,
    MethodNotAllowed,
    PayloadTooLarge,
    RouteNotFound,
)
from app.http.app_keys import (
    ACCESS_LOG,
    ACCESS_RULES,
    IN_FLIGHT,
    METRICS,
    PRINCIPAL,
    REQUEST_ID,
    SERVICES,
    WORKSPACE,
)
from app.http.client_source import client_source
from app.http.header_names import IDEMPOTENT_REPLAYED
from app.http.header_names import REQUEST_ID as REQUEST_ID_HEADER
from app.http.responses import json_bytes

error_log = logging.getLogger("app.errors")
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
AUTHENTICATED_ROUTE_PREFIX = "v1."  # route names that require an API key


def error_response(error: ApiError) -> web.Response:
    return json_bytes(error.status, error.body_bytes(), error.headers)


def _from_http_exception(exc: web.HTTPException) -> ApiError:
    if exc.status == 404:
        return RouteNotFound()
    if exc.status == 405:
        allowed: set[str] = set(getattr(exc, "allowed_methods", ()))
        return MethodNotAllowed(headers={"Allow": ", ".join(sorted(allowed))})
    if exc.status == 413:
        return PayloadTooLarge()
    error = ApiError(exc.reason)
    error.status = exc.status
    error.code = re.sub(r"[^a-z0-9]+", "_", exc.reason.lower()).strip("_") or "error"
    return error


def _route_template(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(unmatched)"


@web.middleware
async def request_context_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    sent_id = request.headers.get(REQUEST_ID_HEADER)
    # A sane client id is echoed, unless it looks like an API key: ids are logged, keys never.
    if sent_id and _SANE_REQUEST_ID.match(sent_id) and not looks_like_api_key(sent_id):
        request_id = sent_id
    else:
        request_id = distinct_id()
    request[REQUEST_ID] = request_id
    started = time.perf_counter()
    app = request.app  # a property chain through the match info: looked up once
    in_flight = app[IN_FLIGHT]
    in_flight.started()
    response: web.StreamResponse
    error: ApiError | None = None
    try:
        response = await handler(request)
    except ApiError as raised:
        error = raised
    except web.HTTPException as exc:
        error = _from_http_exception(exc)
    except Exception:
        error_log.exception("unhandled error in %s %s", request.method, request.path)
        error = InternalError(request_id)
    finally:
        in_flight.finished()
    if error is not None:
        response = error_response(error)
    if in_flight.draining:
        response.force_close()  # shutting down: no more requests on this connection
    response.headers[REQUEST_ID_HEADER] = request_id
    seconds = time.perf_counter() - started
    route = _route_template(request)
    app[METRICS].observe(
        method=request.method,
        route=route,
        status=response.status,
        seconds=seconds,
        error_code=None if error is None else error.code,
        replayed=response.headers.get(IDEMPOTENT_REPLAYED) == "true",
    )
    access_log = app[ACCESS_LOG]
    if access_log.enabled:  # the fields are built only when the line is written
        workspace = request.get(WORKSPACE)
        principal = request.get(PRINCIPAL)
        access_log.request(
            {
                "event": "request",
                "request_id": request_id,
                "method": request.method,
                "route": route,
                "status": response.status,
                "duration_ms": round(seconds * 1000, 2),
                "workspace_id": None if workspace is None else workspace.id,
                "user_id": None if principal is None else principal.user_id,
                "client_id": None if principal is None else principal.client_id,
                "source": client_source(request.headers),
            }
        )
    return response


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    name = request.match_info.route.name
    if name is None or not name.startswith(AUTHENTICATED_ROUTE_PREFIX):
        return await handler(request)
    services = request.app[SERVICES]
    principal = await services.authenticator.authenticate(request.headers.get(hdrs.AUTHORIZATION))
    request[PRINCIPAL] = principal
    workspace = request[WORKSPACE] = principal.workspace
    # Scope, then role, for access tokens (the route table's rule); before any budget or claim.
    services.authenticator.authorize(principal, request.app[ACCESS_RULES][name])
    if request.method != "GET":
        return await handler(request)
    # Reads count against the plan's read cap, when it has one (none of the seeded plans does;
    # then this costs no storage round trip).
    reservation = await services.reads.reserve(workspace)
    response = await handler(request)
    if reservation is not None:
        response.headers.update(reservation.state.headers())
    return response
