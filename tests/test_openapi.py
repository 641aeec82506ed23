"""The committed OpenAPI document is fresh, valid, and covers every route and status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openapi_spec_validator import validate

from app.http.openapi import build_openapi, render_openapi
from app.http.routes import ROUTES
from tests.conftest import Api

COMMITTED = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def test_committed_document_is_fresh() -> None:
    assert COMMITTED.read_bytes() == render_openapi(), "run `make openapi` and commit the result"


def test_document_is_valid_openapi_3_1() -> None:
    document = build_openapi()
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_route_and_status_is_documented() -> None:
    paths = build_openapi()["paths"]
    for route in ROUTES:
        operation = paths[route.path][route.method.lower()]
        assert set(operation["responses"]) == {str(s) for s in route.replies}
    create = paths["/api/v1/products"]["post"]
    assert {"201", "400", "401", "409", "413", "415", "422", "429", "503"} <= set(
        create["responses"]
    )
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/CreateProductBody"
    )


async def test_served_document_is_the_committed_one(api: Api) -> None:
    response = await api.client.get("/api/v1/openapi.json")
    assert response.status == 200
    served: Any = await response.json()
    assert served == json.loads(COMMITTED.read_text())
