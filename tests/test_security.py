"""Security properties, checked on the real code path: key storage, key echoes, error bodies."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from bson import json_util

from app.domain.api_keys import key_digest
from app.domain.clock import utc_now
from app.storage.mongo.store import MongoStorage
from tests.conftest import SEED_BODY, Api, AppFactory, error_body


async def stored_bytes(api: Api) -> bytes:
    """Everything the storage holds, as bytes: every Mongo collection, or the embedded store."""
    storage = api.storage
    if isinstance(storage, MongoStorage):
        database = storage.database
        dump: dict[str, Any] = {}
        for name in await database.list_collection_names():
            dump[name] = [doc async for doc in database[name].find({})]
        return json_util.dumps(dump).encode()
    return pickle.dumps(storage)


async def test_only_a_digest_and_a_short_prefix_of_a_key_are_stored(api: Api) -> None:
    await api.create_product()  # the key was used, so it sits in every cache it could reach
    held = await stored_bytes(api)
    key = api.tenant.key
    assert key.encode() not in held
    assert key[:11].encode() not in held  # not even a prefix longer than the display one
    assert key_digest(key).encode() in held
    assert key[:10].encode() in held  # the display prefix


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer tp_" + "u" * 43,  # well-formed, unknown
        "Basic dHBfc2VjcmV0",
        "tp_" + "u" * 43,  # without the scheme
        "Bearer " + "tp_" + "u" * 43 + " extra",
    ],
)
async def test_401_never_echoes_what_was_sent(api: Api, authorization: str) -> None:
    response = await api.client.get("/api/v1/products", headers={"Authorization": authorization})
    assert response.status == 401
    body = await response.text()
    assert "tp_" not in body and "dHBf" not in body
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


async def test_revoked_key_gets_the_same_401(make_api: AppFactory) -> None:
    api = await make_api(auth_cache_seconds=0)
    record = await api.storage.api_keys.find_by_digest(key_digest(api.tenant.key))
    assert record is not None
    await api.storage.api_keys.revoke(record.id, utc_now())
    response = await api.call("GET", "/api/v1/products")
    assert response.status == 401
    assert await response.json() == error_body("Missing or invalid API key", "unauthorized")


@pytest.mark.parametrize(
    ("method", "path", "body", "headers"),
    [
        ("POST", "/api/v1/products", {**SEED_BODY, "category": "KEY"}, {}),
        ("POST", "/api/v1/products", {**SEED_BODY, "name": "KEY" * 100}, {}),
        ("POST", "/api/v1/products", {**SEED_BODY, "KEY": 1}, {}),
        ("POST", "/api/v1/products", SEED_BODY, {"Idempotency-Key": "KEY\t"}),
        ("GET", "/api/v1/products?search=KEY&limit=0", None, {}),
        ("GET", "/api/v1/templates/KEY", None, {}),
        ("GET", "/api/v1/products/KEY", None, {}),
        ("GET", "/api/v1/products", None, {"X-Request-Id": "KEY"}),
    ],
)
async def test_error_bodies_never_echo_a_key(
    api: Api, method: str, path: str, body: Any, headers: dict[str, str]
) -> None:
    """A client that pastes its key into the wrong place does not get it back in an error
    body (which ends up in ERP logs and support tickets) or a response header."""
    key = api.tenant.key

    def place(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("KEY", key)
        if isinstance(value, dict):
            return {place(k): place(v) for k, v in value.items()}
        return value

    response = await api.call(method, place(path), place(body), headers=place(headers))
    text = await response.text()
    assert key not in text, (response.status, text[:200])
    assert all(key not in value for value in response.headers.values())
