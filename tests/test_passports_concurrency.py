"""Proof under concurrency (passports contract §3, §3.2, §4, §9): requests really run in parallel
(asyncio.gather of 20+), then the outcomes are counted and the counters recounted."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from app.domain.clock import utc_day, utc_now
from app.domain.records import Plan
from app.services.seeding import load_seed_templates
from tests.conftest import Api, AppFactory, add_tenant
from tests.passport_helpers import GTIN, gtin14, passport_body

PASSPORTS = "/api/v1/passports"


async def on_plan(make_api: AppFactory, **terms: Any) -> Api:
    api = await make_api()
    writes = terms.pop("writes", None)
    await api.storage.plans.upsert_many([Plan("race", writes, None, True, **terms)])
    api.tenant = await add_tenant(api.storage, name="Racer", plan="race")
    return api


async def statuses(responses: list[Any]) -> Counter[tuple[int, str | None]]:
    counted: Counter[tuple[int, str | None]] = Counter()
    for response in responses:
        body = await response.json()
        counted[(response.status, body.get("code") if response.status >= 400 else None)] += 1
    return counted


async def all_passports(api: Api) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        query = "?showArchived=true&limit=100" + (f"&cursor={cursor}" if cursor else "")
        data = (await (await api.call("GET", PASSPORTS + query)).json())["data"]
        items.extend(data["items"])
        cursor = data["nextCursor"]
        if not cursor:
            return items


async def test_twenty_parallel_creates_of_one_serial_make_one_passport(api: Api) -> None:
    product = await api.create_product()
    body = passport_body(product["_id"], "ONE")
    responses = await asyncio.gather(*(api.call("POST", PASSPORTS, body) for _ in range(20)))
    assert await statuses(responses) == Counter({(201, None): 1, (409, "duplicate_serial"): 19})
    assert len(await all_passports(api)) == 1
    assert await api.storage.dpp_usage.held(api.tenant.workspace.id) == 1  # 19 slots given back
    after = await (await api.call("GET", f"/api/v1/products/{product['_id']}")).json()
    assert after["passportCount"] == 1


async def test_two_workspaces_racing_for_a_gtin_leave_one_owner(api: Api) -> None:
    other = await add_tenant(api.storage, name="Rival")
    mine = await api.create_product()
    theirs_response = await api.create(
        {"name": "Rival", "model": "R", "category": "toys"}, tenant=other
    )
    theirs = await theirs_response.json()
    gtin = gtin14(42)
    calls = []
    for i in range(12):
        calls.append(api.call("POST", PASSPORTS, passport_body(mine["_id"], f"A{i}", gtin)))
        calls.append(
            api.call("POST", PASSPORTS, passport_body(theirs["_id"], f"B{i}", gtin), tenant=other)
        )
    responses = await asyncio.gather(*calls)
    mine_outcomes = await statuses(list(responses[0::2]))
    theirs_outcomes = await statuses(list(responses[1::2]))
    owner = await api.storage.gtins.owner(gtin)
    winner, loser = (
        (mine_outcomes, theirs_outcomes)
        if owner == api.tenant.workspace.id
        else (theirs_outcomes, mine_outcomes)
    )
    assert owner in (api.tenant.workspace.id, other.workspace.id)
    assert winner == Counter({(201, None): 12})
    assert loser == Counter({(409, "gtin_taken"): 12})
    loser_tenant = other if owner == api.tenant.workspace.id else api.tenant
    assert await api.storage.dpp_usage.held(loser_tenant.workspace.id) == 0


async def test_ten_parallel_creates_with_two_slots_left(make_api: AppFactory) -> None:
    api = await on_plan(make_api, max_dpps=5, overage_allowed=True)
    product = await api.create_product()
    for i in range(3):
        assert (
            await api.call("POST", PASSPORTS, passport_body(product["_id"], f"P{i}"))
        ).status == 201
    responses = await asyncio.gather(
        *(api.call("POST", PASSPORTS, passport_body(product["_id"], f"R{i}")) for i in range(10))
    )
    assert await statuses(responses) == Counter({(201, None): 2, (402, "overage_required"): 8})
    assert await api.storage.dpp_usage.held(api.tenant.workspace.id) == 5


async def test_batches_racing_single_creates_never_overspend(make_api: AppFactory) -> None:
    api = await on_plan(make_api, writes=41, max_dpps=25, overage_allowed=False)
    product = await api.create_product()  # 40 writes left, 25 slots
    calls = []
    for i in range(6):  # 6 batches of 5 and 20 singles: 50 writes and 50 slots wanted
        items = [passport_body(product["_id"], f"B{i}-{j}", gtin14(i)) for j in range(5)]
        calls.append(api.call("POST", f"{PASSPORTS}/batch", {"passports": items}))
    for i in range(20):
        calls.append(api.call("POST", PASSPORTS, passport_body(product["_id"], f"S{i}")))
    responses = await asyncio.gather(*calls)
    created = 0
    for response in responses:
        body = await response.json()
        if response.status == 200:
            created += body["summary"]["created"]
        elif response.status == 201:
            created += 1
        else:
            assert response.status in (402, 429), body
    passports = await all_passports(api)
    assert created == len(passports) <= 25
    assert created == 25  # the slots are the tighter limit and every failure gave its units back
    workspace = api.tenant.workspace.id
    assert await api.storage.dpp_usage.held(workspace) == len(passports)
    used = await api.storage.usage.used(workspace, utc_day(utc_now()))
    assert used == 1 + created <= 41
    after = await (await api.call("GET", f"/api/v1/products/{product['_id']}")).json()
    assert after["passportCount"] == len(passports)


async def test_counters_match_a_recount_after_a_mixed_parallel_run(api: Api) -> None:
    products = [await api.create_product(model=f"M{i}") for i in range(3)]
    seeded = []
    for i in range(12):
        response = await api.call("POST", PASSPORTS, passport_body(products[i % 3]["_id"], f"X{i}"))
        seeded.append(await response.json())
    calls = []
    for i in range(12):
        calls.append(
            api.call("POST", PASSPORTS, passport_body(products[i % 3]["_id"], f"N{i % 8}"))
        )
    for passport in seeded[:4]:
        calls.append(api.call("DELETE", f"{PASSPORTS}/{passport['_id']}"))
        calls.append(api.call("DELETE", f"{PASSPORTS}/{passport['_id']}"))
    for passport in seeded[4:8]:
        calls.append(api.call("POST", f"{PASSPORTS}/{passport['_id']}/archive"))
        calls.append(api.call("POST", f"{PASSPORTS}/{passport['_id']}/archive"))
        calls.append(api.call("DELETE", f"{PASSPORTS}/{passport['_id']}"))
    batch = [passport_body(products[0]["_id"], f"N{i}") for i in range(4, 12)]
    calls.append(api.call("POST", f"{PASSPORTS}/batch", {"passports": batch}))
    responses = await asyncio.gather(*calls)
    for response in responses:
        assert response.status < 500, await response.text()
    passports = await all_passports(api)
    serials = [p["gs1"]["serialNumber"] for p in passports]
    assert len(serials) == len(set(serials))
    held = sum(1 for p in passports if p["status"] != "archived")
    assert await api.storage.dpp_usage.held(api.tenant.workspace.id) == held
    for product in products:
        count = sum(1 for p in passports if p["productId"] == product["_id"])
        after = await (await api.call("GET", f"/api/v1/products/{product['_id']}")).json()
        assert after["passportCount"] == count, product["model"]


async def test_product_delete_racing_passport_creates(api: Api) -> None:
    for round_ in range(5):
        product = await api.create_product(model=f"D{round_}")
        create = api.call("POST", PASSPORTS, passport_body(product["_id"], f"D{round_}"))
        delete = api.call("DELETE", f"/api/v1/products/{product['_id']}")
        created, deleted = await asyncio.gather(create, delete)
        # Exactly one wins: a passport without its product, or a product kept by none, never.
        assert (created.status == 201) != (deleted.status == 200), (
            created.status,
            deleted.status,
        )
        if created.status == 201:
            assert deleted.status == 409
        else:
            assert created.status == 404
    passports = await all_passports(api)
    for passport in passports:
        product = await api.call("GET", f"/api/v1/products/{passport['productId']}")
        assert product.status == 200


async def test_parallel_patches_of_different_keys_all_land(api: Api) -> None:
    product = await api.create_product()
    created = await (await api.call("POST", PASSPORTS, passport_body(product["_id"], "F-1"))).json()
    template = next(t for t in load_seed_templates() if t.slug == "batteries")
    values: dict[str, Any] = {}
    for f in template.fields:
        if f.key in ("nominalVoltage", "batteryChemistry"):
            continue  # the product's defaults stay as they are
        if f.data_type == "string" and f.pattern is None:
            values[f.key] = f"value of {f.key}"
        elif f.data_type == "number":
            values[f.key] = f.minimum if f.minimum is not None else 1
    values = dict(list(values.items())[:24])
    assert len(values) == 24
    responses = await asyncio.gather(
        *(
            api.call("PATCH", f"{PASSPORTS}/{created['_id']}/fields/{key}", {"value": value})
            for key, value in values.items()
        )
    )
    bad = [await r.text() for r in responses if r.status != 200]
    assert not bad, bad[:3]
    final = await (await api.call("GET", f"{PASSPORTS}/{created['_id']}")).json()
    for key, value in values.items():
        assert final["fields"][key] == value, key
    assert final["fields"]["nominalVoltage"] == 48  # the product default is untouched
    assert final["gs1"]["gtin"] == GTIN
