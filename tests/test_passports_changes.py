"""Passport reads, field PATCH, lifecycle and delete (passports contract §2, §5-§9), through the
real app on both backends."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from app.domain.records import Plan
from tests.conftest import Api, AppFactory, add_tenant
from tests.passport_helpers import GTIN, create_passport, fill_required, gtin14, passport_body

PASSPORTS = "/api/v1/passports"
JEWELRY = {"name": "Ring", "model": "R-1", "category": "jewelry", "defaultFieldValues": {}}
JEWELRY_REQUIRED = {
    "productName": "Ring",
    "manufacturerName": "Acme",
    "manufacturerAddress": "Main St 1, Berlin",
}
NOT_FOUND = {"error": "Passport not found", "message": "Passport not found", "code": "not_found"}


async def jewelry_passport(api: Api, serial: str = "J-1", **product: Any) -> dict[str, Any]:
    made = await api.create_product(**{**JEWELRY, **product})
    return await create_passport(api, made["_id"], serial)


async def act(api: Api, passport_id: str, action: str, body: Any = None, **kw: Any) -> Any:
    return await api.call("POST", f"{PASSPORTS}/{passport_id}/{action}", body, **kw)


async def published(api: Api, serial: str = "J-1") -> dict[str, Any]:
    passport = await jewelry_passport(api, serial)
    await fill_required(api, passport["_id"], JEWELRY_REQUIRED)
    for action in ("submit", "approve", "publish"):
        response = await act(api, passport["_id"], action)
        assert response.status == 200, await response.text()
    return dict(await response.json())


async def plan_api(make_api: AppFactory, **terms: Any) -> Api:
    api = await make_api()
    plan = Plan("custom", None, None, True, **terms)
    await api.storage.plans.upsert_many([plan])
    api.tenant = await add_tenant(api.storage, name="Custom", plan="custom")
    return api


# -- GET -----------------------------------------------------------------------------------------


async def test_get_formats_and_lang(api: Api) -> None:
    passport = await jewelry_passport(api)
    summary = await (await api.call("GET", f"{PASSPORTS}/{passport['_id']}")).json()
    assert summary == passport
    full = await (await api.call("GET", f"{PASSPORTS}/{passport['_id']}?format=full")).json()
    assert {k: v for k, v in full.items() if k not in ("template", "fieldDefinitions")} == passport
    assert full["template"]["category"] == "jewelry"
    assert all(set(group) == {"key", "label"} for group in full["template"]["groups"])
    definitions = full["fieldDefinitions"]
    assert len(definitions) == 53  # every template key
    assert definitions["productName"] == {
        "label": definitions["productName"]["label"],
        "group": definitions["productName"]["group"],
        "dataType": "string",
        "unit": None,
        "required": True,
        "accessLevel": "public",
    }
    assert definitions["primaryMetal"]["enum"][0] == {"value": "gold", "label": "Gold"}
    localized = await (await api.call("GET", f"{PASSPORTS}/{passport['_id']}?lang=de")).json()
    assert localized["lang"] == "de" and "translations" not in localized
    assert localized["fields"] == passport["fields"]


@pytest.mark.parametrize("query", ["format=xml", "lang=xx", "lang=ja", "foo=1", "lang=de&lang=fr"])
async def test_get_rejects_bad_query(api: Api, query: str) -> None:
    passport = await jewelry_passport(api)
    response = await api.call("GET", f"{PASSPORTS}/{passport['_id']}?{query}")
    assert response.status == 400
    assert (await response.json())["code"] == "validation_error"


@pytest.mark.parametrize(
    "passport_id", ["0123456789abcdef01234567", "nope", "0123456789ABCDEF01234567"]
)
async def test_unknown_or_malformed_id_is_404(api: Api, passport_id: str) -> None:
    response = await api.call("GET", f"{PASSPORTS}/{passport_id}")
    assert response.status == 404
    assert await response.json() == NOT_FOUND


# -- by serial (§5.3) ---------------------------------------------------------------------------


async def test_by_serial_resolves_within_the_workspace(api: Api) -> None:
    product = await api.create_product()
    first = await create_passport(api, product["_id"], "X/1")
    found = await api.call("GET", f"{PASSPORTS}/by-serial/X%2F1")
    assert found.status == 200 and (await found.json())["_id"] == first["_id"]
    assert (await api.call("GET", f"{PASSPORTS}/by-serial/x%2F1")).status == 404
    second = await create_passport(api, product["_id"], "X/1", gtin14(5))
    ambiguous = await api.call("GET", f"{PASSPORTS}/by-serial/X%2F1")
    assert ambiguous.status == 409
    assert await ambiguous.json() == {
        "error": "Serial number exists under more than one GTIN; pass ?gtin= to choose",
        "message": "Serial number exists under more than one GTIN; pass ?gtin= to choose",
        "code": "ambiguous_serial",
        "details": {"gtins": sorted([GTIN, gtin14(5)])},
    }
    chosen = await api.call("GET", f"{PASSPORTS}/by-serial/X%2F1?gtin={gtin14(5)}&format=full")
    body = await chosen.json()
    assert body["_id"] == second["_id"] and "fieldDefinitions" in body
    short = await api.call("GET", f"{PASSPORTS}/by-serial/X%2F1?gtin={GTIN[1:]}")
    assert (await short.json())["_id"] == first["_id"]  # GTIN-13 spelling accepted
    bad = await api.call("GET", f"{PASSPORTS}/by-serial/X%2F1?gtin=04012345000015")
    assert bad.status == 400
    other = await add_tenant(api.storage, name="Other")
    hidden = await api.call("GET", f"{PASSPORTS}/by-serial/X%2F1?gtin={GTIN}", tenant=other)
    assert hidden.status == 404


async def test_by_serial_twins_of_writes(api: Api) -> None:
    passport = await jewelry_passport(api, "W 1".replace(" ", "-"))
    base = f"{PASSPORTS}/by-serial/W-1"
    patched = await api.call("PATCH", f"{base}/fields/productName", {"value": "Ring"})
    assert patched.status == 200
    assert (await patched.json())["fields"]["productName"] == "Ring"
    submitted = await api.call("POST", f"{base}/submit?gtin={GTIN}")
    assert (await submitted.json())["status"] == "in_review"
    assert (await api.call("POST", f"{base}/submit?foo=1")).status == 400
    deleted = await api.call("DELETE", base)
    assert deleted.status == 200
    assert (await api.call("GET", f"{PASSPORTS}/{passport['_id']}")).status == 404


# -- list (§5.1) ---------------------------------------------------------------------------------


async def test_list_filters_search_and_cursor(api: Api) -> None:
    ring = await api.create_product(**JEWELRY)
    battery = await api.create_product()
    made = [await create_passport(api, ring["_id"], f"R-{i}") for i in range(3)]
    made.append(await create_passport(api, battery["_id"], "B.*", gtin14(2)))
    await act(api, made[0]["_id"], "archive")
    await act(api, made[1]["_id"], "submit")

    async def listed(query: str) -> dict[str, Any]:
        response = await api.call("GET", f"{PASSPORTS}?{query}")
        assert response.status == 200, await response.text()
        return dict((await response.json())["data"])

    default = await listed("")
    assert [i["gs1"]["serialNumber"] for i in default["items"]] == ["B.*", "R-2", "R-1"]
    assert set(default["items"][0]) == {
        "_id", "productId", "gs1", "status", "completionPercentage", "publishedAt", "createdAt",
    }  # fmt: skip
    assert (await listed("showArchived=true"))["total"] == 4
    assert [i["_id"] for i in (await listed("status=archived"))["items"]] == [made[0]["_id"]]
    assert [i["_id"] for i in (await listed("status=in_review"))["items"]] == [made[1]["_id"]]
    assert (await listed(f"productId={ring['_id']}"))["total"] == 2
    assert (await listed(f"productId={ring['_id']}&status=draft"))["total"] == 1
    assert (await listed("productId=0123456789abcdef01234567"))["total"] == 0
    assert (await listed("search=r-"))["total"] == 2  # case-insensitive
    assert [i["gs1"]["serialNumber"] for i in (await listed("search=.*"))["items"]] == ["B.*"]
    assert (await listed(f"search={gtin14(2)[3:9]}"))["total"] == 1  # GTIN substring
    first = await listed("limit=2")
    assert first["totalPages"] == 2 and first["nextCursor"]
    rest = await listed(f"limit=2&cursor={first['nextCursor']}")
    assert [i["gs1"]["serialNumber"] for i in rest["items"]] == ["R-1"]
    assert rest["nextCursor"] is None


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "page=0", "page=1.0", "status=gone", "productId=xyz", "foo=1",
     "limit=1&limit=2", "cursor=zzz", "search=" + "a" * 201],
)  # fmt: skip
async def test_list_rejects_bad_queries(api: Api, query: str) -> None:
    response = await api.call("GET", f"{PASSPORTS}?{query}")
    assert response.status == 400
    assert (await response.json())["code"] == "validation_error"


# -- field PATCH (§6) ----------------------------------------------------------------------------


async def test_field_patch_sets_records_and_removes(api: Api) -> None:
    passport = await jewelry_passport(api)
    assert passport["completionPercentage"] == 0
    path = f"{PASSPORTS}/{passport['_id']}/fields"
    response = await api.call(
        "PATCH",
        f"{path}/manufacturer_name",
        {"value": "  Acme  ", "source": "supplier", "sourceLocale": "de"},
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["fields"]["manufacturerName"] == "Acme"  # stored camelCase, trimmed
    meta = body["fieldMeta"]["manufacturerName"]
    assert meta["source"] == "supplier" and meta["sourceLocale"] == "de"
    assert body["completionPercentage"] == 33
    assert body["updatedAt"] >= passport["updatedAt"]
    body = await fill_required(api, passport["_id"], {"productName": "Ring"})
    assert body["completionPercentage"] == 67  # round half up of 66.67
    assert body["fieldMeta"]["productName"]["source"] == "manual"
    assert body["fieldMeta"]["productName"]["sourceLocale"] == "en"
    removed = await api.call("PATCH", f"{path}/productName", {"value": None})
    body = await removed.json()
    assert "productName" not in body["fields"] and "productName" not in body["fieldMeta"]
    assert body["completionPercentage"] == 33
    # "" fits a string field without a minimum length, but is not a value for completion.
    empty = await (await api.call("PATCH", f"{path}/productName", {"value": ""})).json()
    assert empty["fields"]["productName"] == "" and empty["completionPercentage"] == 33
    stored = await (await api.call("GET", f"{PASSPORTS}/{passport['_id']}")).json()
    assert stored == empty


@pytest.mark.parametrize(
    ("key", "body", "error_path"),
    [
        ("noSuchField", {"value": 1}, "key"),
        ("productName", {}, "value"),
        ("productName", {"value": 5}, "value"),
        ("metalFineness", {"value": "750"}, "value"),
        ("primaryMetal", {"value": "tin"}, "value"),
    ],
)
async def test_field_patch_key_and_value_errors(
    api: Api, key: str, body: Any, error_path: str
) -> None:
    passport = await jewelry_passport(api)
    response = await api.call("PATCH", f"{PASSPORTS}/{passport['_id']}/fields/{key}", body)
    assert response.status == 400
    answer = await response.json()
    assert answer["code"] == "validation_error"
    assert error_path in answer["details"]["fieldErrors"]
    if error_path == "key":
        assert answer["details"]["fieldErrors"]["key"] == [
            "Unknown field for template jewelry: noSuchField"
        ]
    after = await (await api.call("GET", f"{PASSPORTS}/{passport['_id']}")).json()
    assert after == passport


@pytest.mark.parametrize(
    "body",
    [{"value": 1, "extra": 1}, {"value": 1, "source": "robot"}, {"value": 1, "sourceLocale": "ja"}],
)
async def test_field_patch_body_shape_errors(api: Api, body: Any) -> None:
    passport = await jewelry_passport(api)
    response = await api.call("PATCH", f"{PASSPORTS}/{passport['_id']}/fields/productName", body)
    assert response.status == 400


async def test_field_patch_order_body_then_404_then_409_then_key(api: Api) -> None:
    unknown = f"{PASSPORTS}/0123456789abcdef01234567/fields/noSuchField"
    assert (await api.call("PATCH", unknown, {"x": 1})).status == 400
    assert (await api.call("PATCH", unknown, {"value": 1})).status == 404
    passport = await jewelry_passport(api)
    await act(api, passport["_id"], "archive")
    locked = await api.call(
        "PATCH", f"{PASSPORTS}/{passport['_id']}/fields/noSuchField", {"value": 1}
    )
    assert locked.status == 409
    assert await locked.json() == {
        "error": "Passport is archived and can no longer be changed",
        "message": "Passport is archived and can no longer be changed",
        "code": "passport_locked",
    }


async def test_field_patch_allowed_while_published(api: Api) -> None:
    passport = await published(api)
    response = await api.call(
        "PATCH", f"{PASSPORTS}/{passport['_id']}/fields/retailerName", {"value": "Shop"}
    )
    body = await response.json()
    assert response.status == 200 and body["status"] == "published"


# -- lifecycle (§7) ------------------------------------------------------------------------------


async def test_the_whole_chain(api: Api) -> None:
    passport = await jewelry_passport(api)
    pid = passport["_id"]
    assert (await (await act(api, pid, "submit")).json())["status"] == "in_review"
    assert (await (await act(api, pid, "reject", {})).json())["status"] == "draft"
    await act(api, pid, "submit")
    assert (await (await act(api, pid, "approve")).json())["status"] == "approved"
    gate = await act(api, pid, "publish")
    assert gate.status == 409
    assert await gate.json() == {
        "error": "Required fields are missing",
        "message": "Required fields are missing",
        "code": "passport_incomplete",
        "details": {
            "missingFields": ["productName", "manufacturerName", "manufacturerAddress"],
            "completionPercentage": 0,
        },
    }
    forced = await (await act(api, pid, "publish", {"acceptIncomplete": True})).json()
    assert forced["status"] == "published" and forced["publishedAt"] is not None
    suspended = await (await act(api, pid, "suspend", {"reason": "  recall  "})).json()
    assert suspended["status"] == "suspended" and suspended["suspensionReason"] == "recall"
    assert suspended["suspendedAt"] is not None
    again = await (await act(api, pid, "suspend", {"reason": "other"})).json()
    assert again == suspended  # a repeat changes nothing, the first reason is kept
    back = await (await act(api, pid, "unsuspend")).json()
    assert back["status"] == "published" and back["suspendedAt"] is None
    assert back["suspensionReason"] is None and back["publishedAt"] == forced["publishedAt"]
    repeat = await (await act(api, pid, "publish")).json()
    assert repeat == back  # no gate, no change
    archived = await (await act(api, pid, "archive")).json()
    assert archived["status"] == "archived" and archived["archivedAt"] is not None
    assert await (await act(api, pid, "archive")).json() == archived
    refused = await act(api, pid, "submit")
    assert refused.status == 409
    assert await refused.json() == {
        "error": "Cannot submit a passport in status archived",
        "message": "Cannot submit a passport in status archived",
        "code": "invalid_transition",
        "details": {"status": "archived", "action": "submit", "allowedFrom": ["draft"]},
    }


@pytest.mark.parametrize(
    ("action", "allowed"),
    [("approve", ["in_review"]), ("publish", ["approved"]), ("suspend", ["published"]),
     ("unsuspend", ["suspended"])],
)  # fmt: skip
async def test_moves_outside_the_table_are_409(api: Api, action: str, allowed: list[str]) -> None:
    passport = await jewelry_passport(api)
    response = await act(api, passport["_id"], action)
    assert response.status == 409
    assert (await response.json())["details"] == {
        "status": "draft",
        "action": action,
        "allowedFrom": allowed,
    }


async def test_reject_on_a_draft_is_a_no_op(api: Api) -> None:
    passport = await jewelry_passport(api)
    response = await act(api, passport["_id"], "reject")
    assert response.status == 200 and await response.json() == passport


async def test_publish_gate_passes_when_complete(api: Api) -> None:
    body = await published(api)
    assert body["completionPercentage"] == 100


@pytest.mark.parametrize(
    ("action", "body"),
    [("submit", {"x": 1}), ("publish", {"acceptIncomplete": "yes"}), ("suspend", {"reason": 5}),
     ("suspend", {"reason": "r" * 501}), ("archive", [])],
)  # fmt: skip
async def test_action_body_errors(api: Api, action: str, body: Any) -> None:
    passport = await jewelry_passport(api)
    response = await act(api, passport["_id"], action, body)
    assert response.status == 400
    assert (await response.json())["code"] == "validation_error"


async def test_optional_bodies(api: Api) -> None:
    passport = await jewelry_passport(api)
    url = f"{PASSPORTS}/{passport['_id']}/submit"
    headers = api.tenant.auth
    no_body = await api.client.post(url, headers={**headers, "Idempotency-Key": "o-1"})
    assert no_body.status == 200
    # An empty body with any Content-Type is `{}`: the same fingerprint as `{}`.
    as_text = await api.client.post(
        url, data=b"", headers={**headers, "Content-Type": "text/plain", "Idempotency-Key": "o-1"}
    )
    assert as_text.status == 200 and as_text.headers["Idempotent-Replayed"] == "true"
    as_json = await api.call("POST", url, {}, key="o-1")
    assert as_json.headers["Idempotent-Replayed"] == "true"
    wrong_type = await api.client.post(
        url, data=b"{}", headers={**headers, "Content-Type": "text/plain"}
    )
    assert wrong_type.status == 415


async def test_suspend_reason_blank_is_null(api: Api) -> None:
    passport = await published(api)
    body = await (await act(api, passport["_id"], "suspend", {"reason": "   "})).json()
    assert body["status"] == "suspended" and body["suspensionReason"] is None


# -- expiry (§2) ---------------------------------------------------------------------------------


async def test_expired_in_every_read_and_only_archivable(make_api: AppFactory) -> None:
    # A lifetime of 0 days expires a passport at its creation instant: no clock games needed.
    api = await plan_api(make_api, max_dpps=5, dpp_lifetime_days=0)
    passport = await jewelry_passport(api)
    assert passport["expiresAt"] == passport["createdAt"]
    assert passport["status"] == "expired"
    got = await (await api.call("GET", f"{PASSPORTS}/{passport['_id']}")).json()
    assert got["status"] == "expired"
    listed = await (await api.call("GET", f"{PASSPORTS}?status=expired")).json()
    assert [i["_id"] for i in listed["data"]["items"]] == [passport["_id"]]
    assert listed["data"]["items"][0]["status"] == "expired"
    drafts = await (await api.call("GET", f"{PASSPORTS}?status=draft")).json()
    assert drafts["data"]["total"] == 0
    patch = await api.call(
        "PATCH", f"{PASSPORTS}/{passport['_id']}/fields/productName", {"value": "x"}
    )
    assert patch.status == 409 and (await patch.json())["code"] == "passport_locked"
    submit = await act(api, passport["_id"], "submit")
    assert (await submit.json())["details"]["status"] == "expired"
    deleted = await api.call("DELETE", f"{PASSPORTS}/{passport['_id']}")
    assert deleted.status == 409
    archived = await (await act(api, passport["_id"], "archive")).json()
    assert archived["status"] == "archived"
    assert await api.storage.dpp_usage.held(api.tenant.workspace.id) == 0


async def test_free_plan_passports_expire_after_30_days(make_api: AppFactory) -> None:
    api = await make_api(plan="free")
    passport = await jewelry_passport(api)
    created, expires = passport["createdAt"], passport["expiresAt"]

    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    assert parse(expires) - parse(created) == timedelta(days=30)
    assert passport["status"] == "draft"


# -- delete (§8) ---------------------------------------------------------------------------------


async def test_delete_a_draft(api: Api) -> None:
    product = await api.create_product(**JEWELRY)
    passport = await create_passport(api, product["_id"], "D-1")
    held = await api.storage.dpp_usage.held(api.tenant.workspace.id)
    response = await api.call("DELETE", f"{PASSPORTS}/{passport['_id']}")
    assert response.status == 200
    assert await response.json() == {
        "message": "Passport permanently deleted",
        "summary": {
            "passportId": passport["_id"],
            "serialNumber": "D-1",
            "gtin": GTIN,
            "dppsActiveDelta": -1,
        },
    }
    assert await api.storage.dpp_usage.held(api.tenant.workspace.id) == held - 1
    after = await (await api.call("GET", f"/api/v1/products/{product['_id']}")).json()
    assert after["passportCount"] == 0
    assert (await api.call("DELETE", f"{PASSPORTS}/{passport['_id']}")).status == 404
    # The serial may be reused; the GTIN claim stays.
    await create_passport(api, product["_id"], "D-1")
    assert await api.storage.gtins.owner(GTIN) == api.tenant.workspace.id
    # With no passports left the product can go.
    await api.call("DELETE", f"{PASSPORTS}/by-serial/D-1")
    assert (await api.call("DELETE", f"/api/v1/products/{product['_id']}")).status == 200


async def test_published_once_is_not_deletable(api: Api) -> None:
    passport = await published(api)
    await act(api, passport["_id"], "suspend")
    await act(api, passport["_id"], "unsuspend")
    response = await api.call("DELETE", f"{PASSPORTS}/{passport['_id']}")
    assert response.status == 409
    assert await response.json() == {
        "error": "Only passports that were never published can be deleted",
        "message": "Only passports that were never published can be deleted",
        "code": "passport_not_deletable",
        "reason": "Passport is published; archive it instead",
        "details": {"status": "published"},
    }
    approved = await jewelry_passport(api, "J-2", model="R-2")
    await act(api, approved["_id"], "submit")
    await act(api, approved["_id"], "approve")
    assert (await api.call("DELETE", f"{PASSPORTS}/{approved['_id']}")).status == 409


async def test_free_plan_cannot_delete_passports(make_api: AppFactory) -> None:
    api = await make_api(plan="free")
    passport = await jewelry_passport(api)
    for target in (passport["_id"], "0123456789abcdef01234567"):  # 403 comes before 404
        response = await api.call("DELETE", f"{PASSPORTS}/{target}")
        assert response.status == 403
        message = "Your plan does not allow deleting passports. Archive the passport instead."
        assert await response.json() == {
            "error": message,
            "message": message,
            "code": "plan_forbidden",
            "reason": message,
        }


async def test_writes_count_and_replay(api: Api) -> None:
    passport = await jewelry_passport(api)
    url = f"{PASSPORTS}/{passport['_id']}/fields/productName"
    first = await api.call("PATCH", url, {"value": "A"}, key="f-1")
    second = await api.call("PATCH", url, {"value": "A"}, key="f-1")
    assert second.headers["Idempotent-Replayed"] == "true"
    assert await first.read() == await second.read()
    assert "RateLimit" in first.headers
    other_body = await api.call("PATCH", url, {"value": "B"}, key="f-1")
    assert other_body.status == 422


async def test_passport_count_covers_every_status(api: Api) -> None:
    product = await api.create_product(**JEWELRY)
    one = await create_passport(api, product["_id"], "C-1")
    await create_passport(api, product["_id"], "C-2")
    await act(api, one["_id"], "archive")
    after = await (await api.call("GET", f"/api/v1/products/{product['_id']}")).json()
    assert after["passportCount"] == 2
    body = passport_body(product["_id"], "C-3")
    assert (await api.call("POST", PASSPORTS, body)).status == 201
