"""The committed OpenAPI document is fresh, valid, and covers every route and status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openapi_spec_validator import validate

from app.domain.passports import ACTIONS
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


def test_catalogue_routes_are_documented() -> None:
    paths = build_openapi()["paths"]
    listing = paths["/api/v1/products"]["get"]
    query = {p["name"]: p for p in listing["parameters"] if "name" in p}
    assert set(query) == {
        "page",
        "limit",
        "category",
        "status",
        "search",
        "showArchived",
        "cursor",
    }
    assert query["limit"]["schema"]["maximum"] == 100 and query["page"]["schema"]["minimum"] == 1
    assert query["status"]["schema"]["enum"] == ["active", "archived"]
    one = paths["/api/v1/products/{id}"]
    assert set(one) == {"get", "patch", "delete"}
    assert {"200", "400", "404", "409", "422", "429"} <= set(one["patch"]["responses"])
    assert {"200", "403", "404", "409"} <= set(one["delete"]["responses"])
    upload = paths["/api/v1/products/{id}/images"]["post"]
    body = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["$ref"].endswith("/ImageUploadBody")
    assert {"201", "404", "409", "413", "415", "429"} <= set(upload["responses"])
    assert "IdempotencyKey" not in upload.get("parameters", [])
    image = paths["/media/images/{name}"]["get"]
    assert image["security"] == []
    assert set(image["responses"]["200"]["content"]) == {"image/png", "image/jpeg", "image/webp"}
    assert "content" not in image["responses"]["304"]
    assert {"/api/v1/templates", "/api/v1/templates/{category}"} <= set(paths)
    patch_schema = build_openapi()["components"]["schemas"]["UpdateProductBody"]
    assert "category" not in patch_schema["properties"]
    assert patch_schema["additionalProperties"] is False
    # Only description is nullable in a PATCH.
    nullable = {
        name
        for name, prop in patch_schema["properties"].items()
        if {"type": "null"} in prop.get("anyOf", [])
    }
    assert nullable == {"description"}


def test_schemas_use_json_schema_keywords_only() -> None:
    """pydantic can leak its own constraint names (`ge`, `le`) into a schema it cannot express;
    validators ignore unknown keywords, so such a bound would silently vanish from the docs."""
    leaked: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in {"ge", "le", "gt", "lt", "multiple_of", "min_length", "max_length"}:
                    leaked.append(f"{where}.{key}")
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for n, value in enumerate(node):
                walk(value, f"{where}[{n}]")

    walk(build_openapi(), "$")
    assert leaked == []


def test_passport_routes_are_documented_with_links() -> None:
    document = json.loads(render_openapi())
    paths = document["paths"]
    base = "/api/v1/passports"
    for suffix in ("/{id}", "/{id}/fields/{key}", *(f"/{{id}}/{a}" for a in ACTIONS)):
        assert base + suffix in paths
        assert base + suffix.replace("{id}", "by-serial/{serial}") in paths
    create = paths[base]["post"]
    assert {"201", "400", "402", "404", "409", "429"} <= set(create["responses"])
    links = create["responses"]["201"]["links"]
    assert links["GetPassport"]["parameters"] == {"id": "$response.body#/_id"}
    assert links["SetField"]["operationId"] == "v1.passports.fields.update"
    submit = paths[base + "/{id}/submit"]["post"]
    assert submit["requestBody"]["required"] is False  # optional bodies
    assert "Approve" in submit["responses"]["200"]["links"]
    product_links = paths["/api/v1/products"]["post"]["responses"]["201"]["links"]
    assert product_links["CreatePassport"]["operationId"] == "v1.passports.create"
    by_serial = paths[base + "/by-serial/{serial}"]["get"]
    assert {p.get("name") for p in by_serial["parameters"]} >= {
        "serial",
        "gtin",
        "format",
        "lang",
    }
    listed = {p.get("name") for p in paths[base]["get"]["parameters"]} - {None}
    assert listed == {
        "page", "limit", "productId", "status", "search", "showArchived", "cursor",
    }  # fmt: skip


def _schema_branches(schema: dict[str, Any], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    if "$ref" in schema:
        return _schema_branches(schemas[schema["$ref"].rsplit("/", 1)[-1]], schemas)
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            return [b for part in schema[combinator] for b in _schema_branches(part, schemas)]
    return [schema]


def test_every_error_schema_requires_message_and_error() -> None:
    document = build_openapi()
    schemas = document["components"]["schemas"]
    checked = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                for media, content in response.get("content", {}).items():
                    if media == "text/html":
                        # The browser pages (oauth.md §5) answer their errors as pages, and the
                        # resolver its notices for browsers.
                        assert "pages." in operation["operationId"] or path.startswith("/01/"), path
                        continue
                    if media != "application/json" and not media.endswith("+json"):
                        continue
                    if content["schema"].get("$ref", "").endswith("/OAuthErrorOut"):
                        # OAuth endpoints answer RFC 6749/7591 errors (oauth.md §6.1, §10).
                        assert path.startswith("/api/oauth/"), path
                        continue
                    for branch in _schema_branches(content["schema"], schemas):
                        assert {"error", "message", "code"} <= set(branch.get("required", ())), (
                            path,
                            method,
                            status,
                            media,
                        )
                        checked += 1
    assert checked > 50  # every route's error replies were looked at
