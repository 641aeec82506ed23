"""Running a write route through the write pipeline (idempotency, budget) and answering it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from app.domain.records import StoredResponse
from app.http.app_keys import SERVICES, WORKSPACE
from app.http.idempotency_header import idempotency_key
from app.http.responses import write_outcome_response
from app.services.write_pipeline import PartlySpent, WriteRequest

T = TypeVar("T")


async def run_write(
    request: web.Request,
    *,
    body: Any,
    prepare: Callable[[], Awaitable[T]],
    execute: Callable[[T, str | None], Awaitable[StoredResponse | PartlySpent]],
    recover: Callable[[str], Awaitable[StoredResponse | None]] | None = None,
    honours_idempotency_key: bool = True,
    units: Callable[[T], int] | None = None,
) -> web.Response:
    key = idempotency_key(request.headers) if honours_idempotency_key else None
    outcome = await request.app[SERVICES].writes.run(
        WriteRequest(request[WORKSPACE], request.method, request.path, body, key),
        prepare=prepare,
        execute=execute,
        recover=recover,
        units=units,
    )
    return write_outcome_response(outcome)
