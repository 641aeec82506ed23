"""Passport creation (passports contract §3, §4, §9) through the real app, on both backends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.domain.clock import utc_now
from app.domain.fingerprint import request_fingerprint
from app.domain.gtin import (
    digital_link_uri,
    encode_serial,
    gs1_check_digit,
    gtin_problem,
    normalize_gtin,
)
from app.domain.records import IdempotencyClaim, Plan
from app.http.app_keys import SERVICES
from app.services.passports import CreatePassportInput
from tests.conftest import Api, AppFactory, add_tenant
from tests.passport_helpers import GTIN, create_passport, gtin14, passport_body

PASSPORTS = "/api/v1/passports"
NOT_FOUND = {"error": "Passport not found", "message": "Passport not found", "code": "not_found"}
PARTY = {"legalName": "Acme GmbH", "gln": "4012345000009", "country": "DE"}


async def on_plan(make_api: AppFactory, plan: Plan) -> Api:
    """An app whose tenant is on `plan` (stored before the tenant is created)."""
    api = await make_api(plan="pro")
    await api.storage.plans.upsert_many([plan])
    tenant = await add_tenant(api.storage, name=f"On {plan.plan}", plan=plan.plan)
    api.tenant = tenant
    return api


def small_plan(max_dpps: int | None, *, overage: bool = True, writes: int | None = None) -> Plan:
    return Plan(
        "small",
        writes,
        None,
        True,
        max_dpps=max_dpps,
        overage_allowed=overage,
        dpp_lifetime_days=None,
        can_delete_passports=True,
    )


async def passport_total(api: Api, *query: str) -> int:
    response = await api.call("GET", PASSPORTS + "?showArchived=true" + "".join(query))
    assert response.status == 200
    return int((await response.json())["data"]["total"])


# -- GS1 rules (domain) ------------------------------------------------------------------------


def test_check_digit_and_normalisation() -> None:
    assert gs1_check_digit("0401234500001") == 6
    assert gtin_problem("04012345000016") is None
    assert gtin_problem("04012345000015") == "GTIN check digit is invalid"  # TracePass's example
    assert normalize_gtin("4012345000016") == "04012345000016"  # GTIN-13 (EAN)
    assert normalize_gtin("96385074") == "00000096385074"  # GTIN-8
    assert normalize_gtin("036000291452") == "00036000291452"  # GTIN-12 (UPC-A)
    for bad in ["", "1234567", "123456789", "0401234500001 ", " 04012345000016", "٠٤٠١٢٣٤٥٠٠٠٠١٦"]:
        assert normalize_gtin(bad) is None, bad


def test_digital_link_uri_encodes_like_encode_uri_component() -> None:
    assert encode_serial("AB-12_x.y") == "AB-12_x.y"
    assert encode_serial("A/B%C&D?E") == "A%2FB%25C%26D%3FE"
    assert encode_serial("!'()*") == "!'()*"  # left alone by encodeURIComponent
    assert encode_serial('"+,:;<=>') == "%22%2B%2C%3A%3B%3C%3D%3E"
    assert (
        digital_link_uri("https://dpp.example.com/", GTIN, "BP/1")
        == "https://dpp.example.com/01/04012345000016/21/BP%2F1"
    )


# -- create --------------------------------------------------------------------------------------


async def test_create_answers_the_full_passport(api: Api) -> None:
    product = await api.create_product()
    response = await api.call(
        "POST",
        PASSPORTS,
        passport_body(product["_id"], "BP-48V-100-000001", parties={"manufacturer": PARTY}),
    )
    assert response.status == 201, await response.text()
    body = await response.json()
    assert response.headers["Location"] == f"/api/v1/passports/{body['_id']}"
    assert body["productId"] == product["_id"]
    assert body["category"] == "batteries" and body["templateId"] == product["templateId"]
    assert body["gs1"] == {
        "gtin": GTIN,
        "serialNumber": "BP-48V-100-000001",
        "digitalLinkUri": f"http://127.0.0.1:8080/01/{GTIN}/21/BP-48V-100-000001",
    }
    assert body["status"] == "draft"
    assert body["fields"] == {"batteryChemistry": "NMC", "nominalVoltage": 48}
    meta = body["fieldMeta"]["nominalVoltage"]
    assert meta["source"] == "product_default" and meta["sourceLocale"] == "en"
    assert body["completionPercentage"] == 4  # 2 of 54 required battery fields
    assert body["parties"] == {"manufacturer": PARTY}
    assert body["expiresAt"] is None and body["publishedAt"] is None
    assert "workspaceId" not in body and "overage" not in body
    stored = await (await api.call("GET", f"{PASSPORTS}/{body['_id']}")).json()
    assert stored == body
    product_after = await (await api.call("GET", f"/api/v1/products/{product['_id']}")).json()
    assert product_after["passportCount"] == 1


async def test_short_gtins_are_stored_as_14_digits(api: Api) -> None:
    product = await api.create_product()
    created = await create_passport(api, product["_id"], "S-13", "4012345000016")
    assert created["gs1"]["gtin"] == GTIN
    # The same serial under the 14-digit spelling is the same (gtin, serial).
    again = await api.call("POST", PASSPORTS, passport_body(product["_id"], "S-13", GTIN))
    assert again.status == 409


async def test_serial_is_percent_encoded_in_the_uri(api: Api) -> None:
    product = await api.create_product()
    created = await create_passport(api, product["_id"], "A/B%1")
    assert created["gs1"]["digitalLinkUri"].endswith(f"/01/{GTIN}/21/A%2FB%251")
    assert created["gs1"]["serialNumber"] == "A/B%1"


async def test_public_base_url_is_used(make_api: AppFactory) -> None:
    api = await make_api(public_base_url="https://dpp.example.com")
    product = await api.create_product()
    created = await create_passport(api, product["_id"])
    assert created["gs1"]["digitalLinkUri"] == f"https://dpp.example.com/01/{GTIN}/21/SN-1"


S = {"gtin": GTIN, "serialNumber": "S"}


def _with(**changes: Any) -> dict[str, Any]:
    return {"productId": "P", "gs1": S, **changes}


def _party(**changes: Any) -> dict[str, Any]:
    return _with(parties={"importer": {**PARTY, **changes}})


BAD_BODIES: list[tuple[Any, str]] = [
    ({"gs1": S}, "productId"),
    ({"productId": "xyz", "gs1": S}, "productId"),
    ({"productId": "P"}, "gs1"),
    (_with(gs1={**S, "gtin": "04012345000015"}), "gs1.gtin"),
    (_with(gs1={**S, "gtin": " 04012345000016"}), "gs1.gtin"),
    (_with(gs1={**S, "gtin": 4012345000016}), "gs1.gtin"),
    (_with(gs1={**S, "gtin": "1234567890"}), "gs1.gtin"),
    (_with(gs1={**S, "serialNumber": ""}), "gs1.serialNumber"),
    (_with(gs1={**S, "serialNumber": " S"}), "gs1.serialNumber"),
    (_with(gs1={**S, "serialNumber": "S" * 101}), "gs1.serialNumber"),
    (_with(gs1={**S, "serialNumber": "Ä"}), "gs1.serialNumber"),
    (_with(gs1={**S, "foo": 1}), "gs1.foo"),
    (_with(x=1), "x"),
    (_with(confirmOverage="yes"), "confirmOverage"),
    (_with(parties={"owner": PARTY}), "parties.owner"),
    (_with(parties={"importer": {}}), "parties.importer.legalName"),
    (_party(gln="4012345000008"), "parties.importer.gln"),
    (_party(country="XX"), "parties.importer.country"),
    (_party(url="http://a.example"), "parties.importer.url"),
    (_party(legacyOperatorId="x" * 101), "parties.importer.legacyOperatorId"),
]


@pytest.mark.parametrize(("body", "path"), BAD_BODIES)
async def test_invalid_bodies_are_400_at_their_path(api: Api, body: Any, path: str) -> None:
    product = await api.create_product()
    if body.get("productId") == "P":
        body = {**body, "productId": product["_id"]}
    response = await api.call("POST", PASSPORTS, body)
    assert response.status == 400, await response.text()
    answer = await response.json()
    assert answer["code"] == "validation_error"
    assert path in answer["details"]["fieldErrors"], answer
    assert await passport_total(api) == 0


async def test_unknown_and_foreign_products_are_404(api: Api) -> None:
    response = await api.call("POST", PASSPORTS, passport_body("0123456789abcdef01234567"))
    assert response.status == 404
    assert await response.json() == {
        "error": "Product not found",
        "message": "Product not found",
        "code": "not_found",
    }
    other = await add_tenant(api.storage, name="Other")
    theirs = await api.create_product()
    response = await api.call("POST", PASSPORTS, passport_body(theirs["_id"]), tenant=other)
    assert response.status == 404


async def test_archived_product_refuses_new_passports_until_reactivated(api: Api) -> None:
    product = await api.create_product()
    await api.call("POST", f"/api/v1/products/{product['_id']}/archive")
    response = await api.call("POST", PASSPORTS, passport_body(product["_id"]))
    assert response.status == 409
    assert await response.json() == {
        "error": "Product is archived; new passports cannot be created for it",
        "message": "Product is archived; new passports cannot be created for it",
        "code": "product_archived",
    }
    await api.call("PATCH", f"/api/v1/products/{product['_id']}", {"status": "active"})
    await create_passport(api, product["_id"])


async def test_gtin_belongs_to_the_first_workspace(api: Api) -> None:
    mine = await api.create_product()
    await create_passport(api, mine["_id"], "S-1")
    other = await add_tenant(api.storage, name="Other")
    theirs = await api.create({"name": "X", "model": "X", "category": "toys"}, tenant=other)
    theirs_id = (await theirs.json())["_id"]
    response = await api.call("POST", PASSPORTS, passport_body(theirs_id, "S-2"), tenant=other)
    assert response.status == 409
    assert await response.json() == {
        "error": "GTIN is registered to another workspace",
        "message": "GTIN is registered to another workspace",
        "code": "gtin_taken",
    }
    # The owner keeps using it, under any serial and product.
    second = await api.create_product(model="M-2")
    await create_passport(api, second["_id"], "S-2")


async def test_duplicate_serial_is_409_and_case_sensitive(api: Api) -> None:
    product = await api.create_product()
    await create_passport(api, product["_id"], "sn-1")
    response = await api.call("POST", PASSPORTS, passport_body(product["_id"], "sn-1"))
    assert response.status == 409
    assert await response.json() == {
        "error": "Serial number already exists for this GTIN",
        "message": "Serial number already exists for this GTIN",
        "code": "duplicate_serial",
    }
    await create_passport(api, product["_id"], "SN-1")
    await create_passport(api, product["_id"], "sn-1", gtin14(7))  # same serial, other GTIN


async def test_order_of_checks(make_api: AppFactory) -> None:
    api = await on_plan(make_api, small_plan(0, overage=False, writes=2))
    other = await add_tenant(api.storage, name="Owner")
    owner_product = await api.create({"name": "O", "model": "O", "category": "toys"}, tenant=other)
    await api.storage.gtins.claim(gtin14(9), other.workspace.id, utc_now())
    product = await api.create_product()  # write 1 of 2
    assert owner_product.status == 201
    # GTIN taken (4) answers before quota (6) — nothing may be created on this plan anyway.
    taken = await api.call("POST", PASSPORTS, passport_body(product["_id"], "A", gtin14(9)))
    assert (await taken.json())["code"] == "gtin_taken"
    # The 409 gave its write back; the quota (0 slots) answers for a free GTIN.
    quota = await api.call("POST", PASSPORTS, passport_body(product["_id"], "A"))
    assert quota.status == 402 and (await quota.json())["code"] == "dpp_quota_exhausted"
    # A bad body answers 400 before anything else.
    bad = await api.call("POST", PASSPORTS, {"productId": "0123456789abcdef01234567"})
    assert bad.status == 400
    # Budget: one write left; spend it, then 429 comes before 404.
    await api.call("PATCH", f"/api/v1/products/{product['_id']}", {"name": "Renamed"})
    limited = await api.call("POST", PASSPORTS, passport_body("0123456789abcdef01234567"))
    assert limited.status == 429


# -- DPP quota and overage (§3.2) -----------------------------------------------------------------


async def test_overage_needs_confirmation(make_api: AppFactory) -> None:
    api = await on_plan(make_api, small_plan(2, overage=True))
    product = await api.create_product()
    for serial in ("A", "B"):
        await create_passport(api, product["_id"], serial)
    response = await api.call("POST", PASSPORTS, passport_body(product["_id"], "C"))
    assert response.status == 402
    text = (
        "Plan includes 2 passports and all are in use. Retry with confirmOverage: true "
        "to accept the overage charge."
    )
    assert await response.json() == {
        "error": text,
        "message": text,
        "code": "overage_required",
        "details": {"plan": "small", "maxDpps": 2, "held": 2, "requested": 1},
    }
    created = await create_passport(api, product["_id"], "C", confirmOverage=True)
    assert "overage" not in created
    stored = await api.storage.passports.get(api.tenant.workspace.id, created["_id"])
    assert stored is not None and stored.overage is True
    assert await api.storage.dpp_usage.held(api.tenant.workspace.id) == 3


async def test_free_plan_has_no_overage(make_api: AppFactory) -> None:
    api = await make_api(plan="free")
    product = await api.create_product()
    for serial in ("A", "B", "C"):
        created = await create_passport(api, product["_id"], serial)
    assert created["expiresAt"] is not None  # 30 days on free
    for confirm in (False, True):
        response = await api.call(
            "POST", PASSPORTS, passport_body(product["_id"], "D", confirmOverage=confirm)
        )
        assert response.status == 402
        text = (
            "Plan includes 3 passports and all are in use. Upgrade the plan or archive a passport."
        )
        assert await response.json() == {
            "error": text,
            "message": text,
            "code": "dpp_quota_exhausted",
            "details": {"plan": "free", "maxDpps": 3, "held": 3, "requested": 1},
        }
    # Archiving frees a slot (once).
    first = (await (await api.call("GET", PASSPORTS + "?limit=1")).json())["data"]["items"][0]
    for _ in range(2):
        assert (await api.call("POST", f"{PASSPORTS}/{first['_id']}/archive")).status == 200
    await create_passport(api, product["_id"], "D")
    blocked = await api.call("POST", PASSPORTS, passport_body(product["_id"], "E"))
    assert blocked.status == 402


async def test_a_402_is_not_stored_and_releases_the_key(make_api: AppFactory) -> None:
    api = await on_plan(make_api, small_plan(0, overage=True))
    product = await api.create_product()
    body = passport_body(product["_id"])
    first = await api.call("POST", PASSPORTS, body, key="k402")
    assert first.status == 402
    # The client retries with a changed body under the same key: not a 422.
    confirmed = await api.call("POST", PASSPORTS, {**body, "confirmOverage": True}, key="k402")
    assert confirmed.status == 201


async def test_below_quota_confirm_overage_changes_nothing(make_api: AppFactory) -> None:
    api = await on_plan(make_api, small_plan(5))
    product = await api.create_product()
    created = await create_passport(api, product["_id"], confirmOverage=True)
    stored = await api.storage.passports.get(api.tenant.workspace.id, created["_id"])
    assert stored is not None and stored.overage is False


# -- idempotency and budget --------------------------------------------------------------------


async def test_create_replays_under_its_key(api: Api) -> None:
    product = await api.create_product()
    body = passport_body(product["_id"])
    first = await api.call("POST", PASSPORTS, body, key="p-1")
    second = await api.call("POST", PASSPORTS, body, key="p-1")
    assert first.status == second.status == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert await first.read() == await second.read()
    assert await passport_total(api) == 1
    conflict = await api.call("POST", PASSPORTS, body, key="p-2")
    assert conflict.status == 409
    replay = await api.call("POST", PASSPORTS, body, key="p-2")
    assert replay.status == 409 and replay.headers["Idempotent-Replayed"] == "true"


async def test_create_counts_one_write(make_api: AppFactory) -> None:
    api = await on_plan(make_api, small_plan(None, writes=3))
    product = await api.create_product()
    response = await api.call("POST", PASSPORTS, passport_body(product["_id"]))
    assert response.headers["RateLimit"].startswith('"writes";r=1;')
    failed = await api.call("POST", PASSPORTS, passport_body(product["_id"]))
    assert failed.status == 409
    assert failed.headers["RateLimit"].startswith('"writes";r=1;')  # given back


async def test_product_delete_sees_the_passports(api: Api) -> None:
    product = await api.create_product()
    await create_passport(api, product["_id"])
    response = await api.call("DELETE", f"/api/v1/products/{product['_id']}")
    assert response.status == 409
    assert (await response.json())["code"] == "product_has_passports"


# -- batch (§4) ----------------------------------------------------------------------------------


async def test_batch_creates_in_index_order_and_reports_each_item(make_api: AppFactory) -> None:
    api = await on_plan(make_api, small_plan(10, writes=20))
    product = await api.create_product()  # write 1
    items = [
        passport_body(product["_id"], "A"),
        passport_body(product["_id"], "A"),  # the first of two equal items wins
        {"productId": product["_id"], "gs1": {"gtin": "04012345000015", "serialNumber": "B"}},
        passport_body("0123456789abcdef01234567", "C"),
        "not an object",
        passport_body(product["_id"], "D", gtin14(3)),
    ]
    response = await api.call("POST", f"{PASSPORTS}/batch", {"passports": items})
    assert response.status == 200, await response.text()
    body = await response.json()
    results = body["results"]
    assert [r["index"] for r in results] == list(range(6))
    assert [r["status"] for r in results] == [
        "created",
        "error",
        "error",
        "error",
        "error",
        "created",
    ]
    assert results[0]["data"]["gs1"]["serialNumber"] == "A"
    assert results[1] == {
        "index": 1,
        "status": "error",
        "error": "Serial number already exists for this GTIN",
        "message": "Serial number already exists for this GTIN",
        "code": "duplicate_serial",
    }
    assert results[2]["code"] == "validation_error"
    assert "gs1.gtin" in results[2]["details"]["fieldErrors"]
    assert results[3]["code"] == "not_found" and results[3]["error"] == "Product not found"
    assert results[4]["code"] == "validation_error"
    assert body["summary"] == {"created": 2, "failed": 4}
    # Six reserved, four given back: 1 + 2 writes spent.
    assert response.headers["RateLimit"].startswith('"writes";r=17;')
    assert await api.storage.dpp_usage.held(api.tenant.workspace.id) == 2
    product_after = await (await api.call("GET", f"/api/v1/products/{product['_id']}")).json()
    assert product_after["passportCount"] == 2


@pytest.mark.parametrize(
    "body",
    [
        [],
        {},
        {"passports": []},
        {"passports": "x"},
        {"passports": [{}] * 101},
        {"passports": [{}], "extra": 1},
        {"passports": [{}], "confirmOverage": "yes"},
    ],
)
async def test_batch_shape_errors_are_400_for_the_whole_batch(api: Api, body: Any) -> None:
    response = await api.call("POST", f"{PASSPORTS}/batch", body)
    assert response.status == 400
    assert (await response.json())["code"] == "validation_error"


async def test_batch_budget_is_reserved_up_front(make_api: AppFactory) -> None:
    api = await on_plan(make_api, small_plan(None, writes=3))
    product = await api.create_product()
    items = [passport_body(product["_id"], f"S{i}") for i in range(3)]
    response = await api.call("POST", f"{PASSPORTS}/batch", {"passports": items})
    assert response.status == 429
    assert (await response.json())["details"]["used"] == 1
    assert await passport_total(api) == 0
    ok = await api.call("POST", f"{PASSPORTS}/batch", {"passports": items[:2]})
    assert ok.status == 200


async def test_batch_quota_is_checked_for_every_item(make_api: AppFactory) -> None:
    api = await on_plan(make_api, small_plan(2))
    product = await api.create_product()
    items = [passport_body(product["_id"], f"S{i}") for i in range(3)]
    response = await api.call("POST", f"{PASSPORTS}/batch", {"passports": items})
    assert response.status == 402
    assert (await response.json())["details"] == {
        "plan": "small",
        "maxDpps": 2,
        "held": 0,
        "requested": 3,
    }
    assert await passport_total(api) == 0
    # Confirmed on any item (TracePass documents both places).
    items[1] = {**items[1], "confirmOverage": True}
    response = await api.call("POST", f"{PASSPORTS}/batch", {"passports": items})
    assert (await response.json())["summary"] == {"created": 3, "failed": 0}
    flags = []
    for result in (await response.json())["results"]:
        stored = await api.storage.passports.get(api.tenant.workspace.id, result["data"]["_id"])
        assert stored is not None
        flags.append(stored.overage)
    assert flags == [False, False, True]


async def test_batch_replays_and_survives_a_lease_takeover(api: Api) -> None:
    product = await api.create_product()
    body = {"passports": [passport_body(product["_id"], f"S{i}") for i in range(3)]}
    first = await api.call("POST", f"{PASSPORTS}/batch", body, key="b-1")
    replay = await api.call("POST", f"{PASSPORTS}/batch", body, key="b-1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert await first.read() == await replay.read()
    # A run that died after creating item 0 under key b-2 (its lease ran out): the next try
    # reports item 0 as created and runs the rest.
    retried = {"passports": [passport_body(product["_id"], f"T{i}") for i in range(3)]}
    now = utc_now()
    await api.storage.idempotency.claim(
        IdempotencyClaim(
            api.tenant.workspace.id,
            "b-2",
            request_fingerprint("POST", f"{PASSPORTS}/batch", retried),
            "dead-process",
            now - timedelta(seconds=1),
            now - timedelta(seconds=5),
            now + timedelta(hours=1),
        )
    )
    service = api.client.server.app[SERVICES].passports
    earlier = await service.create(
        api.tenant.workspace,
        CreatePassportInput(product["_id"], GTIN, "T0", {}),
        "b-2",
        batch_index=0,
    )
    taken_over = await api.call("POST", f"{PASSPORTS}/batch", retried, key="b-2")
    assert taken_over.status == 200
    results = (await taken_over.json())["results"]
    assert [r["status"] for r in results] == ["created"] * 3
    assert results[0]["data"]["_id"] == earlier.id
    assert await passport_total(api) == 6  # 3 + 3, nothing duplicated


async def test_single_create_survives_a_lease_takeover(api: Api) -> None:
    product = await api.create_product()
    body = passport_body(product["_id"], "L-1")
    now = utc_now()
    await api.storage.idempotency.claim(
        IdempotencyClaim(
            api.tenant.workspace.id,
            "c-1",
            request_fingerprint("POST", PASSPORTS, body),
            "dead-process",
            now - timedelta(seconds=1),
            now - timedelta(seconds=5),
            now + timedelta(hours=1),
        )
    )
    service = api.client.server.app[SERVICES].passports
    earlier = await service.create(
        api.tenant.workspace, CreatePassportInput(product["_id"], GTIN, "L-1", {}), "c-1"
    )
    response = await api.call("POST", PASSPORTS, body, key="c-1")
    assert response.status == 201
    assert (await response.json())["_id"] == earlier.id
    assert await passport_total(api) == 1
