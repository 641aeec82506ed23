"""Liveness and readiness probes (no auth)."""

from __future__ import annotations

from aiohttp import web

from app.http.app_keys import SERVICES, STORAGE
from app.http.models import HealthOut
from app.http.responses import json_bytes


async def healthz(request: web.Request) -> web.Response:
    return json_bytes(200, HealthOut(status="ok").model_dump_json(exclude_none=True).encode())


async def readyz(request: web.Request) -> web.Response:
    storage_ok = await request.app[STORAGE].ping()
    templates_ok = len(request.app[SERVICES].catalog) > 0
    ready = storage_ok and templates_ok
    body = HealthOut(
        status="ready" if ready else "unavailable",
        checks={"storage": storage_ok, "templates": templates_ok},
    )
    headers = None if ready else {"Retry-After": "5"}
    return json_bytes(200 if ready else 503, body.model_dump_json().encode(), headers)
