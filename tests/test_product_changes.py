"""GET / PATCH / archive / DELETE of one product through the real app, on both backends."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.http.models import ProductHasPassportsOut, ProductOut
from tests.conftest import SEED_BODY, Api, AppFactory, add_tenant, error_body

NOT_FOUND = error_body("Product not found", "not_found")
MISSING_ID = "0123456789abcdef01234567"
MALFORMED_IDS = ["nope", "0123456789abcdef0123456", "0123456789abcdef012345678", "%20"]


def path(product: dict[str, Any], suffix: str = "") -> str:
    return f"/api/v1/products/{product['_id']}{suffix}"


async def fetch(api: Api, product: dict[str, Any]) -> dict[str, Any]:
    response = await api.call("GET", path(product))
    assert response.status == 200
    return dict(await response.json())


async def patch(api: Api, product: dict[str, Any], body: Any, **kwargs: Any) -> Any:
    return await api.call("PATCH", path(product), body, **kwargs)


async def expect_400(response: Any, field: str | None = None) -> dict[str, Any]:
    body = dict(await response.json())
    assert response.status == 400, body
    assert body["code"] == "validation_error"
    if field is not None:
        assert field in body["details"]["fieldErrors"], body
    return body


# -- GET -------------------------------------------------------------------------------------


async def test_upper_case_spelling_of_an_id_is_404(api: Api) -> None:
    created = await api.create_product()
    response = await api.call("GET", f"/api/v1/products/{created['_id'].upper()}")
    assert response.status == 404


async def test_get_returns_the_full_product(api: Api) -> None:
    created = await api.create_product(description="Long text")
    response = await api.call("GET", path(created))
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert await response.json() == created
    ProductOut.model_validate(created)  # the documented shape
    assert "RateLimit" not in response.headers  # reads are not writes


@pytest.mark.parametrize("product_id", [MISSING_ID, *MALFORMED_IDS])
async def test_get_unknown_or_malformed_id_is_404(api: Api, product_id: str) -> None:
    """Ids are issued in lowercase hex; no other spelling names a product."""
    response = await api.call("GET", f"/api/v1/products/{product_id}")
    assert response.status == 404
    assert await response.json() == NOT_FOUND


# -- PATCH -----------------------------------------------------------------------------------


async def test_patch_changes_only_what_is_sent(api: Api) -> None:
    created = await api.create_product(description="Old")
    await asyncio.sleep(0.002)  # timestamps have millisecond resolution
    response = await patch(api, created, {"name": "  Renamed pack  "})
    assert response.status == 200
    updated = await response.json()
    assert updated["name"] == "Renamed pack"
    assert updated["updatedAt"] > created["updatedAt"]
    unchanged = {k: v for k, v in created.items() if k not in ("name", "updatedAt")}
    assert {k: updated[k] for k in unchanged} == unchanged
    assert await fetch(api, created) == updated


async def test_patch_description_null_clears(api: Api) -> None:
    created = await api.create_product(description="Old")
    response = await patch(api, created, {"description": None})
    assert response.status == 200
    assert (await response.json())["description"] is None
    response = await patch(api, created, {"description": "New"})
    assert (await response.json())["description"] == "New"


@pytest.mark.parametrize("field", ["name", "model", "defaultFieldValues", "imageUrls", "status"])
async def test_patch_null_for_non_nullable_field_is_400(api: Api, field: str) -> None:
    created = await api.create_product()
    await expect_400(await patch(api, created, {field: None}), field)
    assert await fetch(api, created) == created


async def test_patch_replaces_default_field_values_wholesale_against_the_template(api: Api) -> None:
    created = await api.create_product()  # batteryChemistry + nominalVoltage
    response = await patch(api, created, {"defaultFieldValues": {"nominal_voltage": 12}})
    assert response.status == 200
    assert (await response.json())["defaultFieldValues"] == {"nominalVoltage": 12}
    bad = await patch(api, created, {"defaultFieldValues": {"nominalVoltage": "48"}})
    await expect_400(bad, "defaultFieldValues.nominalVoltage")
    textile_only = await patch(api, created, {"defaultFieldValues": {"fiberComposition": []}})
    await expect_400(textile_only, "defaultFieldValues.fiberComposition")
    assert (await fetch(api, created))["defaultFieldValues"] == {"nominalVoltage": 12}


async def test_patch_replaces_image_urls_wholesale(api: Api) -> None:
    created = await api.create_product(imageUrls=["https://cdn.example.com/a.png"])
    urls = ["https://cdn.example.com/b.png", "https://cdn.example.com/a.png"]
    response = await patch(api, created, {"imageUrls": urls})
    assert (await response.json())["imageUrls"] == urls
    response = await patch(api, created, {"imageUrls": []})
    assert (await response.json())["imageUrls"] == []
    await expect_400(
        await patch(api, created, {"imageUrls": ["http://cdn.example.com/x.png"]}), "imageUrls.0"
    )
    await expect_400(
        await patch(api, created, {"imageUrls": ["https://10.0.0.1/x.png"]}), "imageUrls.0"
    )
    await expect_400(
        await patch(api, created, {"imageUrls": ["https://cdn.example.com/x.png"] * 21}),
        "imageUrls",
    )


async def test_patch_model_is_rechecked_for_uniqueness(api: Api) -> None:
    first = await api.create_product(model="A-1")
    await api.create_product(model="B-1")
    response = await patch(api, first, {"model": "B-1"})
    assert response.status == 409
    assert (await response.json())["code"] == "duplicate_model"
    assert (await patch(api, first, {"model": "A-1"})).status == 200  # its own model
    assert (await patch(api, first, {"model": "C-1"})).status == 200
    await api.create_product(model="A-1")  # the old model is free again


async def test_parallel_patches_to_one_model_one_wins(api: Api) -> None:
    products = [await api.create_product(model=f"P-{n}") for n in range(50)]
    responses = await asyncio.gather(*(patch(api, p, {"model": "TAKEN"}) for p in products))
    statuses = sorted(r.status for r in responses)
    assert statuses.count(200) == 1 and statuses.count(409) == 49


@pytest.mark.parametrize("category", ["textiles", "batteries", "battery"])
async def test_patch_category_is_400_even_unchanged(api: Api, category: str) -> None:
    created = await api.create_product()
    body = await expect_400(await patch(api, created, {"category": category}), "category")
    assert "cannot be changed" in body["details"]["fieldErrors"]["category"][0]
    assert await fetch(api, created) == created


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, None),
        ([], None),
        ("name", None),
        ({"unknown": 1}, "unknown"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": 5}, "name"),
        ({"status": "deleted"}, "status"),
        ({"sourceLocale": "xx"}, "sourceLocale"),
        ({"passportCount": 3}, "passportCount"),
        ({"_id": MISSING_ID}, "_id"),
        ({"description": "x" * 2001}, "description"),
    ],
)
async def test_patch_bad_bodies_are_400_and_change_nothing(
    api: Api, body: Any, field: str | None
) -> None:
    created = await api.create_product()
    result = await expect_400(await patch(api, created, body), field)
    if field is None:
        assert result["details"]["formErrors"]
    assert await fetch(api, created) == created


async def test_patch_status_archives_and_reactivates(api: Api) -> None:
    created = await api.create_product()
    response = await patch(api, created, {"status": "archived"})
    assert (await response.json())["status"] == "archived"
    listed = await (await api.call("GET", "/api/v1/products")).json()
    assert listed["data"]["total"] == 0
    response = await patch(api, created, {"status": "active", "sourceLocale": "de"})
    body = await response.json()
    assert (body["status"], body["sourceLocale"]) == ("active", "de")


async def test_patch_transport_errors(api: Api) -> None:
    created = await api.create_product()
    headers = {**api.tenant.auth, "Content-Type": "text/plain"}
    response = await api.client.patch(path(created), data=b'{"name": "x"}', headers=headers)
    assert response.status == 415
    headers["Content-Type"] = "application/json"
    response = await api.client.patch(path(created), data=b'{"name": ', headers=headers)
    assert (await response.json())["code"] == "invalid_json"
    assert await fetch(api, created) == created


@pytest.mark.parametrize("product_id", [MISSING_ID, *MALFORMED_IDS[:3]])
async def test_patch_unknown_product_is_404(api: Api, product_id: str) -> None:
    response = await api.call("PATCH", f"/api/v1/products/{product_id}", {"name": "x"})
    assert response.status == 404
    assert await response.json() == NOT_FOUND


# -- archive ---------------------------------------------------------------------------------


async def test_archive_is_idempotent_and_hides_from_the_list(api: Api) -> None:
    created = await api.create_product()
    await asyncio.sleep(0.002)
    first = await api.call("POST", path(created, "/archive"))
    assert first.status == 200
    archived = await first.json()
    assert archived["status"] == "archived" and archived["updatedAt"] > created["updatedAt"]
    again = await api.call("POST", path(created, "/archive"))
    assert again.status == 200
    assert await again.json() == archived  # nothing changed the second time
    assert (await (await api.call("GET", "/api/v1/products")).json())["data"]["items"] == []


@pytest.mark.parametrize("product_id", [MISSING_ID, "nope"])
async def test_archive_unknown_product_is_404(api: Api, product_id: str) -> None:
    response = await api.call("POST", f"/api/v1/products/{product_id}/archive")
    assert response.status == 404
    assert await response.json() == NOT_FOUND


# -- DELETE ----------------------------------------------------------------------------------


async def test_delete_answers_the_summary_and_frees_the_model(api: Api) -> None:
    created = await api.create_product()
    response = await api.call("DELETE", path(created))
    assert response.status == 200
    assert await response.json() == {
        "message": "Product permanently deleted",
        "summary": {"productId": created["_id"], "name": created["name"]},
    }
    assert (await api.call("GET", path(created))).status == 404
    assert (await api.call("DELETE", path(created))).status == 404
    await api.create_product()  # same model again: 201


async def test_delete_on_the_free_plan_is_403(make_api: AppFactory) -> None:
    api = await make_api(plan="free")
    created = await api.create_product()
    response = await api.call("DELETE", path(created))
    assert response.status == 403
    body = await response.json()
    assert body["code"] == "plan_forbidden" and body["error"]
    assert "RateLimit" not in response.headers
    assert await fetch(api, created) == created
    used = await api.storage.usage.used(api.tenant.workspace.id, created["createdAt"][:10])
    assert used == 1  # only the create


async def test_delete_with_passports_is_409_with_reason(api: Api) -> None:
    created = await api.create_product()
    await api.storage.products.add_passports(api.tenant.workspace.id, created["_id"], 3)
    response = await api.call("DELETE", path(created))
    assert response.status == 409
    body = await response.json()
    assert body["code"] == "product_has_passports"
    assert "archive" in body["reason"] and body["details"] == {"passportCount": 3}
    ProductHasPassportsOut.model_validate(body)  # the documented shape
    assert (await fetch(api, created))["passportCount"] == 3


async def test_parallel_deletes_delete_once(api: Api) -> None:
    created = await api.create_product()
    responses = await asyncio.gather(*(api.call("DELETE", path(created)) for _ in range(50)))
    statuses = sorted(r.status for r in responses)
    assert statuses.count(200) == 1 and statuses.count(404) == 49


# -- budget and idempotency across the write routes -----------------------------------------

WRITES = [
    ("PATCH", "", {"name": "Renamed"}),
    ("POST", "/archive", None),
    ("DELETE", "", None),
]


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES)
async def test_each_write_counts_once_and_failures_give_it_back(
    make_api: AppFactory, method: str, suffix: str, body: Any
) -> None:
    api = await make_api(plan="tiny", plan_limit=3)
    created = await api.create_product()  # 1 used
    missing = await api.call(method, f"/api/v1/products/{MISSING_ID}{suffix}", body)
    assert missing.status == 404  # given back
    response = await api.call(method, path(created, suffix), body)
    assert response.status == 200
    assert response.headers["RateLimit"].startswith('"writes";r=1;')
    assert response.headers["RateLimit-Policy"] == '"writes";q=3;w=86400'


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES)
async def test_replays_are_byte_identical_and_free(
    make_api: AppFactory, method: str, suffix: str, body: Any
) -> None:
    api = await make_api(plan="tiny", plan_limit=2)
    created = await api.create_product()
    first = await api.call(method, path(created, suffix), body, key="k-1")
    assert first.status == 200
    raw = await first.read()
    for _ in range(3):
        again = await api.call(method, path(created, suffix), body, key="k-1")
        assert again.status == 200
        assert again.headers["Idempotent-Replayed"] == "true"
        assert await again.read() == raw
    # Two writes used (create + first); replays spent nothing, so one more write is refused.
    other = await api.create({**SEED_BODY, "model": "OTHER"})
    assert other.status == 429


async def test_patch_key_reused_with_another_body_is_422(api: Api) -> None:
    created = await api.create_product()
    assert (await patch(api, created, {"name": "A"}, key="k")).status == 200
    response = await patch(api, created, {"name": "B"}, key="k")
    assert response.status == 422
    assert (await response.json())["code"] == "idempotency_key_reused"
    # The same key on another product's path is another request too.
    other = await api.create_product(model="OTHER")
    assert (await patch(api, other, {"name": "A"}, key="k")).status == 422


async def test_404_outcome_is_stored_under_its_key(api: Api) -> None:
    response = await api.call("POST", f"/api/v1/products/{MISSING_ID}/archive", key="k404")
    assert response.status == 404
    again = await api.call("POST", f"/api/v1/products/{MISSING_ID}/archive", key="k404")
    assert again.status == 404 and again.headers["Idempotent-Replayed"] == "true"


async def test_parallel_patches_under_one_key_execute_once(api: Api) -> None:
    created = await api.create_product()
    responses = await asyncio.gather(
        *(patch(api, created, {"description": "once"}, key="same") for _ in range(60))
    )
    statuses = [r.status for r in responses]
    replayed = [r for r in responses if r.headers.get("Idempotent-Replayed") == "true"]
    assert statuses.count(200) + statuses.count(409) == 60
    assert statuses.count(200) - len(replayed) == 1  # exactly one execution
    used = await api.storage.usage.used(api.tenant.workspace.id, created["createdAt"][:10])
    assert used == 2


async def test_patch_of_another_workspace_product_is_404(api: Api) -> None:
    created = await api.create_product()
    intruder = await add_tenant(api.storage, name="Other")
    for method, suffix, body in WRITES:
        response = await api.call(method, path(created, suffix), body, tenant=intruder)
        assert response.status == 404
    assert await fetch(api, created) == created
