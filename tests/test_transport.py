"""Transport rules of contract §1: auth, error shape, media type, size, JSON, ids, probes, docs."""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.clock import utc_now
from tests.conftest import (
    CHALLENGE_INVALID_TOKEN,
    CHALLENGE_NO_CREDENTIALS,
    SEED_BODY,
    SESSION_ACCESS_LOG,
    Api,
    MongoTier,
    error_body,
)

UNAUTHORIZED = error_body("Missing or invalid API key", "unauthorized")


async def assert_unauthorized(response: Any) -> None:
    assert response.status == 401
    assert await response.json() == UNAUTHORIZED
    assert response.headers["WWW-Authenticate"] in (
        CHALLENGE_NO_CREDENTIALS,
        CHALLENGE_INVALID_TOKEN,
    )
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-tp-key",
        "Bearer tp_short",
        "Bearer tp_" + "A" * 43,  # well formed, unknown
        "Token tp_" + "A" * 43,
    ],
)
async def test_every_auth_failure_gets_the_same_401(api: Api, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    await assert_unauthorized(
        await api.client.post("/api/v1/products", json=SEED_BODY, headers=headers)
    )


async def test_revoked_key_is_401_once_the_cache_entry_expires(make_api: Any) -> None:
    api = await make_api(auth_cache_seconds=0)
    assert (await api.create(SEED_BODY)).status == 201
    record = await api.storage.api_keys.find_by_digest(
        __import__("app.domain.api_keys", fromlist=["key_digest"]).key_digest(api.tenant.key)
    )
    assert record is not None
    await api.storage.api_keys.revoke(record.id, utc_now())
    await assert_unauthorized(await api.create({**SEED_BODY, "model": "other"}))


async def test_bearer_scheme_is_case_insensitive(api: Api) -> None:
    response = await api.client.post(
        "/api/v1/products", json=SEED_BODY, headers={"Authorization": f"bearer {api.tenant.key}"}
    )
    assert response.status == 201


async def test_auth_comes_before_body_checks(api: Api) -> None:
    response = await api.client.post(
        "/api/v1/products", data=b"{broken", headers={"Content-Type": "text/plain"}
    )
    await assert_unauthorized(response)


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b'{"name": "x",}',
        b'{"name": "x"',
        b"{'name': 'x'}",
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": -Infinity}',
        b'{"a": 1e999}',
        b'{"name": "a", "name": "b"}',
        b"\xff\xfe{}",
        b'{"name": "\xc3\x28"}',
        b"[" * 5000 + b"]" * 5000,
        b"",
    ],
)
async def test_malformed_json_is_invalid_json(api: Api, raw: bytes) -> None:
    response = await api.post_raw(raw)
    assert response.status == 400
    data = await response.json()
    assert data["code"] == "invalid_json"
    assert data == error_body("Request body is not valid JSON", "invalid_json")


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        # Near misses of the spelling the service accepts without parsing the header.
        "application/jsonx",
        "application/json-seq",
        "text/json",
        "application/json+xml",
    ],
)
async def test_wrong_content_type_is_415(api: Api, content_type: str) -> None:
    response = await api.post_raw(b'{"name": "x"}', content_type)
    assert response.status == 415
    assert (await response.json())["code"] == "unsupported_media_type"
    listed = await api.client.get("/api/v1/products", headers=api.tenant.auth)
    assert (await listed.json())["data"]["total"] == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",  # taken as is, without aiohttp's header parse
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/json ; charset=UTF-8",
        "application/merge-patch+json",
    ],
)
async def test_json_media_types_are_accepted(api: Api, content_type: str) -> None:
    import json

    response = await api.client.post(
        "/api/v1/products",
        data=json.dumps(SEED_BODY).encode(),
        headers={**api.tenant.auth, "Content-Type": content_type},
    )
    assert response.status == 201


async def test_body_over_1_mib_is_413(api: Api) -> None:
    big = {**SEED_BODY, "description": "x" * (1024 * 1024)}
    response = await api.create(big)
    assert response.status == 413
    assert (await response.json())["code"] == "payload_too_large"


async def test_chunked_body_over_1_mib_is_413(api: Api) -> None:
    async def chunks() -> Any:
        for _ in range(20):
            yield b" " * (64 * 1024)

    response = await api.post_raw(chunks())
    assert response.status == 413
    assert (await response.json())["code"] == "payload_too_large"


async def test_unknown_route_is_json_404(api: Api) -> None:
    for path in ("/nope", "/api/v1/nope", "/api/v2/products"):
        response = await api.client.get(path, headers=api.tenant.auth)
        assert response.status == 404
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert (await response.json())["code"] == "not_found"


async def test_wrong_method_is_json_405(api: Api) -> None:
    response = await api.client.put("/api/v1/products", json={}, headers=api.tenant.auth)
    assert response.status == 405
    assert (await response.json())["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


async def test_request_id_is_echoed_when_sane_and_generated_otherwise(api: Api) -> None:
    echoed = await api.client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert echoed.headers["X-Request-Id"] == "abc-123"
    for bad in ("", "a b", "x" * 200, "<script>"):
        generated = await api.client.get("/healthz", headers={"X-Request-Id": bad})
        assert generated.headers["X-Request-Id"] != bad
        assert len(generated.headers["X-Request-Id"]) == 32
    error = await api.client.post("/api/v1/products", json={})
    assert error.headers.get("X-Request-Id")


async def test_source_header_is_accepted(api: Api) -> None:
    response = await api.create(SEED_BODY, headers={"X-TracePass-Source": "n8n-node/1.0"})
    assert response.status == 201


async def test_probes(api: Api) -> None:
    health = await api.client.get("/healthz")
    assert health.status == 200 and (await health.json())["status"] == "ok"
    ready = await api.client.get("/readyz")
    assert ready.status == 200
    assert await ready.json() == {"status": "ready", "checks": {"storage": True, "templates": True}}


async def test_docs_page_and_its_assets_are_served_locally(api: Api) -> None:
    page = await api.client.get("/api/docs")
    assert page.status == 200
    html = await page.text()
    assert "swagger-ui-bundle.js" in html and "/api/v1/openapi.json" in html
    assert "http://" not in html and "https://" not in html  # no CDN
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        response = await api.client.get(f"/api/docs/assets/{asset}")
        assert response.status == 200, asset
        assert len(await response.read()) > 1000


async def test_no_stack_trace_or_driver_text_in_500(make_api: Any) -> None:
    api = await make_api()

    async def broken_insert(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("driver said: secret connection string mongodb://u:p@h")

    api.storage.products.insert = broken_insert  # type: ignore[method-assign]
    response = await api.create(SEED_BODY)
    assert response.status == 500
    data = await response.json()
    assert data == error_body(
        "Internal server error", "internal_error", requestId=response.headers["X-Request-Id"]
    )


async def test_readyz_is_503_when_storage_is_unreachable(
    aiohttp_client: Any, mongo: MongoTier
) -> None:
    from app.http.app import create_app
    from app.storage.mongo.store import MongoStorage
    from tests.conftest import app_settings
    from tests.mongo_faults import DATA_COMMANDS, FailPoints

    async with FailPoints(mongo.client()) as failpoints:
        storage = MongoStorage(mongo.database(appname=failpoints.app_name))
        client = await aiohttp_client(
            create_app(
                access_log=SESSION_ACCESS_LOG,
                settings=app_settings(),
                storage=storage,
                on_first_access=lambda settings, access: None,
            )
        )
        assert (await client.get("/readyz")).status == 200
        await failpoints.outage(DATA_COMMANDS, closeConnection=True)
        response = await client.get("/readyz")
        assert response.status == 503
        assert response.headers["Retry-After"]
        assert await response.json() == {
            "status": "unavailable",
            "checks": {"storage": False, "templates": True},
            "error": "Service temporarily unavailable",
            "message": "Service temporarily unavailable",
            "code": "service_unavailable",
        }
        assert (await client.get("/healthz")).status == 200
