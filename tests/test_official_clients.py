"""TracePass's two official clients, replayed request for request (issue 9).

The MCP server (`malinoto/tracepass-mcp-server` v1.4.4) and the n8n node
(`malinoto/n8n-nodes-tracepass`) were run unchanged against this service. These tests send the
exact request shapes they send (headers, bodies, query strings) through the real app on both
backends and assert what their users get back: the status, a `message` to display (both
clients read `message`, not `error`), what is stored, and the `source` the access log records.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

import pytest

from tests.conftest import SESSION_LOG, Api, AppFactory, error_body, logged_request

PRODUCTS = "/api/v1/products"
NOTHING_TO_UPDATE = error_body(
    "Validation error",
    "validation_error",
    details={"fieldErrors": {}, "formErrors": ["Provide at least one field to update"]},
)


class McpClient:
    """`Accept: application/json`; `Content-Type` on writes only; a fresh
    `Idempotency-Key: mcp-<uuid4>` on every write; `X-Source: mcp`."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def headers(self, *, write: bool, key: str | None = None) -> dict[str, str]:
        headers = {**self.api.tenant.auth, "Accept": "application/json", "X-Source": "mcp"}
        if write:
            headers["Content-Type"] = "application/json"
            headers["Idempotency-Key"] = key or f"mcp-{uuid.uuid4()}"
        return headers

    async def create(
        self, name: str, model: str, category: str, description: str | None = None
    ) -> Any:
        body = {"name": name, "model": model, "category": category}
        if description is not None:  # an optional tool argument the user left out is omitted
            body["description"] = description
        return await self.api.client.post(
            PRODUCTS, data=json.dumps(body), headers=self.headers(write=True)
        )

    async def update(self, product_id: str, *, key: str | None = None, **fields: Any) -> Any:
        """Only the fields the user gave."""
        return await self.api.client.patch(
            f"{PRODUCTS}/{product_id}",
            data=json.dumps(fields),
            headers=self.headers(write=True, key=key),
        )

    async def get(self, product_id: str) -> Any:
        return await self.api.client.get(
            f"{PRODUCTS}/{product_id}", headers=self.headers(write=False)
        )


class N8nClient:
    """`Content-Type: application/json` on every request, GETs included; no Idempotency-Key;
    `X-Source: n8n`."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.headers = {
            **api.tenant.auth,
            "Content-Type": "application/json",
            "X-Source": "n8n",
        }

    async def credential_test(self) -> Any:
        return await self.api.client.get(f"{PRODUCTS}?limit=1", headers=self.headers)

    async def create(self, name: str, model: str, category: str, description: str = "") -> Any:
        body = {"name": name, "model": model, "category": category, "description": description}
        return await self.api.client.post(PRODUCTS, data=json.dumps(body), headers=self.headers)

    async def update(self, product_id: str, **fields: Any) -> Any:
        """An "Update" with no fields filled in sends PATCH without a body."""
        data = json.dumps(fields) if fields else None
        return await self.api.client.patch(
            f"{PRODUCTS}/{product_id}", data=data, headers=self.headers
        )

    async def list(self, category: str, search: str) -> Any:
        return await self.api.client.get(
            f"{PRODUCTS}?category={category}&search={search}&limit=50", headers=self.headers
        )

    async def get(self, product_id: str) -> Any:
        return await self.api.client.get(f"{PRODUCTS}/{product_id}", headers=self.headers)


def logged_source(response: Any) -> Any:
    """The access log's `source` for this response (found by its request id)."""
    return logged_request(response.headers["X-Request-Id"])["source"]


async def stored_description(api: Api, product_id: str) -> Any:
    product = await api.storage.products.get(api.tenant.workspace.id, product_id)
    assert product is not None
    return product.description


def remaining_writes(response: Any) -> int:
    match = re.fullmatch(r'"writes";r=(\d+);t=\d+', response.headers["RateLimit"])
    assert match, response.headers["RateLimit"]
    return int(match[1])


async def assert_displayable_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """What both clients show their user: `message`, the same sentence as `error`."""
    body = dict(await response.json())
    assert response.status == status, body
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert body["message"] == body["error"]
    return body


# -- MCP server ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"), [("battery", "batteries"), ("textile", "textiles"), ("steel", "iron-steel")]
)
async def test_mcp_create_with_a_singular_category_and_no_description(
    api: Api, sent: str, stored: str
) -> None:
    mcp = McpClient(api)
    response = await mcp.create("Pack", f"MCP-{sent}", sent)
    product = await response.json()
    assert response.status == 201, product
    assert product["category"] == stored
    assert product["description"] is None
    assert await stored_description(api, product["_id"]) is None
    assert logged_source(response) == "mcp"


async def test_mcp_sees_our_409_reason_as_message(api: Api) -> None:
    mcp = McpClient(api)
    assert (await mcp.create("Pack", "BP-1", "battery")).status == 201
    response = await mcp.create("Other pack", "BP-1", "battery")
    body = await assert_displayable_error(response, 409, "duplicate_model")
    assert body == error_body(
        "A product with this model already exists for your company", "duplicate_model"
    )
    assert logged_source(response) == "mcp"


async def test_mcp_sees_404_and_401_as_message(api: Api) -> None:
    mcp = McpClient(api)
    missing = await mcp.get("0123456789abcdef01234567")
    body = await assert_displayable_error(missing, 404, "not_found")
    assert body["message"] == "Product not found"
    headers = {**mcp.headers(write=False), "Authorization": "Bearer tp_" + "x" * 40}
    unauthorized = await api.client.get(PRODUCTS, headers=headers)
    body = await assert_displayable_error(unauthorized, 401, "unauthorized")
    assert body["message"] == "Missing or invalid API key"
    assert logged_source(unauthorized) == "mcp"


async def test_mcp_update_changes_only_the_given_fields_and_replays_by_key(api: Api) -> None:
    mcp = McpClient(api)
    created = await (await mcp.create("Pack", "BP-2", "textile", "Woven")).json()
    key = f"mcp-{uuid.uuid4()}"
    response = await mcp.update(created["_id"], key=key, name="Renamed")
    updated = await response.json()
    assert response.status == 200, updated
    assert updated["name"] == "Renamed"
    assert {k: v for k, v in updated.items() if k not in ("name", "updatedAt")} == {
        k: v for k, v in created.items() if k not in ("name", "updatedAt")
    }
    retried = await mcp.update(created["_id"], key=key, name="Renamed")
    assert retried.status == 200
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert await retried.json() == updated


# -- n8n node ---------------------------------------------------------------------------------


async def test_n8n_credential_test_and_list_with_a_json_content_type_on_get(api: Api) -> None:
    n8n = N8nClient(api)
    check = await n8n.credential_test()
    assert check.status == 200, await check.text()
    assert (await check.json())["data"]["limit"] == 1
    assert logged_source(check) == "n8n"
    created = await (await n8n.create("Cotton shirt", "TS-1", "textile")).json()
    await n8n.create("Steel beam", "SB-1", "steel")
    listed = await n8n.list("textile", "shirt")
    assert listed.status == 200, await listed.text()
    data = (await listed.json())["data"]
    assert [item["_id"] for item in data["items"]] == [created["_id"]]
    assert data["limit"] == 50


async def test_n8n_blank_description_is_stored_as_null(api: Api) -> None:
    n8n = N8nClient(api)
    response = await n8n.create("Pack", "BP-3", "battery", description="")
    product = await response.json()
    assert response.status == 201, product
    assert product["description"] is None
    assert await stored_description(api, product["_id"]) is None
    assert (await (await n8n.get(product["_id"])).json())["description"] is None
    assert logged_source(response) == "n8n"


async def test_blank_text_is_null_whichever_client_sends_it(api: Api) -> None:
    mcp, n8n = McpClient(api), N8nClient(api)
    from_mcp = await (await mcp.create("A", "BLANK-1", "battery")).json()
    from_n8n = await (await n8n.create("B", "BLANK-2", "battery", description="")).json()
    from_spaces = await (await n8n.create("C", "BLANK-3", "battery", description=" \n\t ")).json()
    kept = await (await n8n.create("D", "BLANK-4", "battery", description="  Woven  ")).json()
    assert [p["description"] for p in (from_mcp, from_n8n, from_spaces, kept)] == [
        None,
        None,
        None,
        "Woven",
    ]


@pytest.mark.parametrize("blank", ["", "   "])
async def test_patching_a_blank_description_clears_it_like_null(api: Api, blank: str) -> None:
    n8n = N8nClient(api)
    created = await (await n8n.create("Pack", "BP-4", "battery", description="Old text")).json()
    assert created["description"] == "Old text"
    response = await n8n.update(created["_id"], description=blank)
    updated = await response.json()
    assert response.status == 200, updated
    assert updated["description"] is None
    assert await stored_description(api, created["_id"]) is None


async def test_n8n_sees_our_404_and_409_as_message(api: Api) -> None:
    n8n = N8nClient(api)
    missing = await n8n.get("0123456789abcdef01234567")
    assert (await assert_displayable_error(missing, 404, "not_found"))[
        "message"
    ] == "Product not found"
    assert (await n8n.create("Pack", "BP-5", "battery")).status == 201
    duplicate = await n8n.create("Pack", "BP-5", "battery")
    await assert_displayable_error(duplicate, 409, "duplicate_model")
    assert logged_source(duplicate) == "n8n"


# -- an update with nothing to update ----------------------------------------------------------


async def test_n8n_update_with_no_fields_is_a_validation_error_that_changes_nothing(
    make_api: AppFactory,
) -> None:
    api = await make_api(plan="basic")
    n8n = N8nClient(api)
    response = await n8n.create("Pack", "BP-6", "battery", description="Kept")
    created = await response.json()
    before = remaining_writes(response)
    no_body = await n8n.update(created["_id"])
    empty_object = await api.call("PATCH", f"{PRODUCTS}/{created['_id']}", {})
    for answer in (no_body, empty_object):
        assert answer.status == 400
        assert await answer.json() == NOTHING_TO_UPDATE
        assert "RateLimit" not in answer.headers  # failed before the budget step
    assert logged_source(no_body) == "n8n"
    assert await (await n8n.get(created["_id"])).json() == created  # same updatedAt too
    real = await n8n.update(created["_id"], name="Renamed")
    assert real.status == 200
    assert remaining_writes(real) == before - 1  # the empty updates counted no write


async def test_an_empty_patch_without_content_type_is_the_same_400(api: Api) -> None:
    product = await api.create_product()
    response = await api.client.patch(
        f"{PRODUCTS}/{product['_id']}",
        headers=api.tenant.auth,
        skip_auto_headers={"Content-Type"},
    )
    assert response.status == 400
    assert await response.json() == NOTHING_TO_UPDATE


async def test_an_empty_patch_of_an_unknown_product_is_the_same_400(api: Api) -> None:
    response = await N8nClient(api).update("0123456789abcdef01234567")
    assert response.status == 400
    assert await response.json() == NOTHING_TO_UPDATE


@pytest.mark.parametrize("empty", [None, {}], ids=["no body", "{}"])
async def test_an_empty_patch_claims_no_idempotency_key(api: Api, empty: Any) -> None:
    mcp = McpClient(api)
    product = await (await mcp.create("Pack", "BP-7", "battery")).json()
    path = f"{PRODUCTS}/{product['_id']}"
    key = f"mcp-{uuid.uuid4()}"
    headers = mcp.headers(write=True, key=key)
    data = None if empty is None else json.dumps(empty)

    async def empty_patch() -> Any:
        return await api.client.patch(path, data=data, headers=headers)

    # 20 in parallel, all with the key: none is answered as "in flight" (nothing was claimed).
    answers = await asyncio.gather(*(empty_patch() for _ in range(20)))
    assert [a.status for a in answers] == [400] * 20
    assert all([await a.json() == NOTHING_TO_UPDATE for a in answers])
    # The key is still free: the real update executes under it, then replays.
    real = await mcp.update(product["_id"], key=key, name="Renamed")
    assert real.status == 200
    assert "Idempotent-Replayed" not in real.headers
    updated = await real.json()
    assert updated["name"] == "Renamed"
    # An empty PATCH after it is still the 400 (not the stored 200, not a 422)...
    again = await empty_patch()
    assert again.status == 400
    assert await again.json() == NOTHING_TO_UPDATE
    # ...and did not disturb what is stored under the key.
    retried = await mcp.update(product["_id"], key=key, name="Renamed")
    assert retried.status == 200
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert await retried.json() == updated


# -- sources in the access log -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "logged"),
    [
        ({"X-Source": "mcp"}, "mcp"),
        ({"X-TracePass-Source": "n8n-node/1.0"}, "n8n-node/1.0"),
        ({"X-Source": "n8n", "X-TracePass-Source": "n8n-node/1.0"}, "n8n"),
        ({"X-Source": "   ", "X-TracePass-Source": "n8n-node/1.0"}, "n8n-node/1.0"),
        ({"X-Source": "  mcp  "}, "mcp"),
        ({"X-Source": "m" * 300}, "m" * 200),
        ({}, None),
    ],
    ids=["x-source", "old name", "both", "blank x-source", "padded", "long", "none"],
)
async def test_source_is_logged_from_either_header(
    api: Api, headers: dict[str, str], logged: str | None
) -> None:
    response = await api.call("GET", "/api/v1/templates", headers=headers)
    assert response.status == 200
    assert logged_source(response) == logged


async def test_x_source_never_carries_a_key_into_the_log(api: Api) -> None:
    key_like = "tp_" + "q" * 40
    whole = await api.call("GET", PRODUCTS, headers={"X-Source": f"mcp {key_like}"})
    assert logged_source(whole) == "mcp tp_[redacted]"
    # A key straddling the length limit is redacted before the cut: no fragment survives.
    straddling = await api.call("GET", PRODUCTS, headers={"X-Source": "s" * 190 + key_like})
    source = logged_source(straddling)
    assert len(source) == 200 and source.startswith("s" * 190 + "tp_[")
    assert "qqq" not in source
    assert key_like not in SESSION_LOG.getvalue()


# -- message on every error kind -----------------------------------------------------------------


async def test_transport_level_errors_carry_message(api: Api) -> None:
    product = await api.create_product()
    answers = {
        "unknown route": (await api.call("GET", "/api/v1/nothing-here"), 404, "not_found"),
        "wrong method": (await api.call("PUT", PRODUCTS), 405, "method_not_allowed"),
        "broken JSON": (await api.post_raw(b"{"), 400, "invalid_json"),
        "not JSON": (
            await api.post_raw(b"{}", content_type="text/plain"),
            415,
            "unsupported_media_type",
        ),
        "too large": (await api.post_raw(b" " * (2 * 1024 * 1024)), 413, "payload_too_large"),
        "bad key header": (
            await api.call("PATCH", f"{PRODUCTS}/{product['_id']}", {"name": "x"}, key="k" * 256),
            400,
            "invalid_idempotency_key",
        ),
    }
    for name, (response, status, code) in answers.items():
        body = await assert_displayable_error(response, status, code)
        assert body["message"], name
