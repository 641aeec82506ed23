"""Liveness and readiness probes (no auth)."""

from __future__ import annotations

import hmac

from aiohttp import web

from app.domain.errors import ServiceUnavailable, Unauthorized
from app.http.app_keys import METRICS, SERVICES, SETTINGS, STORAGE
from app.http.metrics import CONTENT_TYPE
from app.http.models import HealthOut, NotReadyOut
from app.http.responses import json_bytes


async def healthz(request: web.Request) -> web.Response:
    return json_bytes(200, HealthOut(status="ok").model_dump_json(exclude_none=True).encode())


async def readyz(request: web.Request) -> web.Response:
    storage_ok = await request.app[STORAGE].ping()
    templates_ok = len(request.app[SERVICES].catalog) > 0
    checks = {"storage": storage_ok, "templates": templates_ok}
    if storage_ok and templates_ok:
        return json_bytes(200, HealthOut(status="ready", checks=checks).model_dump_json().encode())
    # Not ready is a 503 like any other: it carries the common error members too.
    error = ServiceUnavailable()
    body = NotReadyOut(status="unavailable", checks=checks, **error.body())
    return json_bytes(error.status, body.model_dump_json().encode(), error.headers)


async def metrics(request: web.Request) -> web.Response:
    token = request.app[SETTINGS].metrics_token
    if token is not None:
        sent = request.headers.get("Authorization", "")
        expected = f"Bearer {token.get_secret_value()}"
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            raise Unauthorized()
    response = web.Response(body=request.app[METRICS].render())
    response.headers["Content-Type"] = CONTENT_TYPE
    return response
