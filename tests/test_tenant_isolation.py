"""A key of workspace B never reads or changes workspace A's products, on any route."""

from __future__ import annotations

from typing import Any

import aiohttp

from app.http.routes import ROUTES
from tests.conftest import CHALLENGE_NO_CREDENTIALS, SEED_BODY, Api, add_tenant

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def request_for(method: str, path: str) -> dict[str, Any]:
    if path.endswith("/images") and method == "POST":
        form = aiohttp.FormData()
        form.add_field("file", PNG, filename="a.png", content_type="image/png")
        return {"data": form}
    if method == "PATCH":
        return {"json": {"name": "Hijacked", "model": "HIJACKED"}}
    return {}


async def test_every_product_route_hides_other_workspaces(api: Api) -> None:
    product = await api.create_product(imageUrls=["https://cdn.example.com/a.png"])
    before = await (await api.call("GET", f"/api/v1/products/{product['_id']}")).json()
    intruder = await add_tenant(api.storage, name="Intruder")
    checked = set()
    for route in ROUTES:
        if not route.authenticated or "{id}" not in route.path:
            continue
        path = route.path.replace("{id}", product["_id"]).replace("{index}", "0")
        response = await api.client.request(
            route.method, path, headers=intruder.auth, **request_for(route.method, route.path)
        )
        assert response.status == 404, (route.name, response.status)
        assert (await response.json())["code"] == "not_found"
        checked.add(route.name)
    assert checked == {
        "v1.products.get",
        "v1.products.update",
        "v1.products.delete",
        "v1.products.archive",
        "v1.products.images.upload",
        "v1.products.images.delete",
    }
    after = await (await api.call("GET", f"/api/v1/products/{product['_id']}")).json()
    assert after == before


async def test_lists_and_creates_are_per_workspace(api: Api) -> None:
    await api.create_product()
    intruder = await add_tenant(api.storage, name="Intruder")
    listed = await (await api.call("GET", "/api/v1/products", tenant=intruder)).json()
    assert listed["data"]["total"] == 0 and listed["data"]["items"] == []
    # The same model and the same Idempotency-Key are independent in another workspace.
    mine = await api.create(SEED_BODY, key="shared-key")
    theirs = await api.create(SEED_BODY, key="shared-key", tenant=intruder)
    assert mine.status == 409  # duplicate model in A (created above)
    assert theirs.status == 201
    assert "Idempotent-Replayed" not in theirs.headers


async def test_every_authenticated_route_needs_a_key(api: Api) -> None:
    product = await api.create_product()
    for route in ROUTES:
        if not route.authenticated:
            continue
        path = route.path.replace("{id}", product["_id"]).replace("{index}", "0")
        path = path.replace("{category}", "batteries")
        response = await api.client.request(route.method, path)
        assert response.status == 401, route.name
        assert response.headers["WWW-Authenticate"] == CHALLENGE_NO_CREDENTIALS
