"""Response helpers: JSON bytes with the contract's media type, and write-outcome headers."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web
from pydantic import BaseModel

from app.http.header_names import IDEMPOTENT_REPLAYED
from app.services.write_pipeline import WriteOutcome

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def json_bytes(status: int, body: bytes, headers: Mapping[str, str] | None = None) -> web.Response:
    response = web.Response(status=status, body=body, headers=headers)
    response.headers["Content-Type"] = JSON_CONTENT_TYPE
    return response


def model_bytes(model: BaseModel) -> bytes:
    return model.model_dump_json().encode()


def write_outcome_response(outcome: WriteOutcome) -> web.Response:
    headers: dict[str, str] = {}
    stored = outcome.response
    if stored.location:
        headers["Location"] = stored.location
    if outcome.replayed:
        headers[IDEMPOTENT_REPLAYED] = "true"
    if outcome.budget is not None:
        headers.update(outcome.budget.headers())
    return json_bytes(stored.status, stored.body, headers)
