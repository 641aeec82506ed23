"""One contract suite for both repository implementations: in-memory, and MongoDB through the
driver against the embedded server."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from app.domain.clock import utc_now
from app.domain.records import IdempotencyClaim, NewProduct, Plan, StoredResponse
from app.services.seeding import load_seed_plans, load_seed_templates
from app.storage.protocols import DuplicateModelError, DuplicateWorkspaceName, Storage
from tests.conftest import new_storage

WS_A = "6650a1b2c3d4e5f6a7b8c9d0"
WS_B = "6650a1b2c3d4e5f6a7b8c9d1"
TEMPLATE = "6650a1b2c3d4e5f6a7b8c9d2"


def new_product(workspace: str = WS_A, model: str = "M-1", key: str | None = None) -> NewProduct:
    return NewProduct(
        workspace_id=workspace,
        name="Pack",
        model=model,
        category="batteries",
        template_id=TEMPLATE,
        description=None,
        default_field_values={"nominalVoltage": 48, "place": {"city": "Berlin"}},
        image_urls=["https://cdn.example.com/a.png"],
        source_locale="en",
        created_at=utc_now(),
        idempotency_key=key,
    )


def claim(
    key: str = "k", owner: str = "o1", *, lease: float = 30, age: float = 0
) -> IdempotencyClaim:
    now = utc_now() - timedelta(seconds=age)
    return IdempotencyClaim(
        WS_A, key, "fp", owner, now + timedelta(seconds=lease), now, now + timedelta(hours=24)
    )


async def test_products_insert_get_round_trip(storage: Storage) -> None:
    created = await storage.products.insert(new_product(key="idem"))
    fetched = await storage.products.get(WS_A, created.id)
    assert fetched == created
    assert fetched.status == "active" and fetched.passport_count == 0
    assert fetched.created_at == fetched.updated_at and fetched.created_at.tzinfo is not None
    assert await storage.products.find_by_idempotency_key(WS_A, "idem") == created
    assert await storage.products.find_by_idempotency_key(WS_B, "idem") is None


async def test_products_are_tenant_scoped_and_malformed_ids_match_nothing(storage: Storage) -> None:
    created = await storage.products.insert(new_product())
    assert await storage.products.get(WS_B, created.id) is None
    for bad in ("nope", "", "z" * 24, created.id.upper() + "0"):
        assert await storage.products.get(WS_A, bad) is None


async def test_model_unique_per_workspace(storage: Storage) -> None:
    await storage.products.insert(new_product())
    with pytest.raises(DuplicateModelError):
        await storage.products.insert(new_product())
    await storage.products.insert(new_product(workspace=WS_B))
    await storage.products.insert(new_product(model="m-1"))


async def test_parallel_inserts_of_one_model_one_wins(storage: Storage) -> None:
    results = await asyncio.gather(
        *(storage.products.insert(new_product()) for _ in range(50)), return_exceptions=True
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, DuplicateModelError) for r in results if isinstance(r, Exception))


async def test_idempotency_claim_lifecycle(storage: Storage) -> None:
    repo = storage.idempotency
    assert await repo.claim(claim()) is None
    existing = await repo.claim(claim(owner="o2"))
    assert existing is not None and existing.owner == "o1" and not existing.completed
    await repo.complete(WS_A, "k", "o2", StoredResponse(201, b"{}"))  # not the owner: no effect
    assert not (await repo.claim(claim(owner="o3"))).completed  # type: ignore[union-attr]
    await repo.complete(WS_A, "k", "o1", StoredResponse(201, b'{"a":1}', "/x"))
    done = await repo.claim(claim(owner="o4"))
    assert done is not None and done.response == StoredResponse(201, b'{"a":1}', "/x")
    await repo.release(WS_A, "k", "o1")  # completed records are never released
    assert (await repo.claim(claim(owner="o5"))) is not None


async def test_idempotency_release_frees_the_key(storage: Storage) -> None:
    repo = storage.idempotency
    assert await repo.claim(claim()) is None
    await repo.release(WS_A, "k", "someone-else")
    assert await repo.claim(claim(owner="o2")) is not None
    await repo.release(WS_A, "k", "o1")
    assert await repo.claim(claim(owner="o2")) is None


async def test_idempotency_take_over_needs_an_expired_lease(storage: Storage) -> None:
    repo = storage.idempotency
    now = utc_now()
    assert await repo.claim(claim(lease=30)) is None
    assert not await repo.take_over(WS_A, "k", "o1", "o2", now + timedelta(seconds=30), now)
    assert await repo.claim(claim("old", lease=-1)) is None
    assert await repo.take_over(WS_A, "old", "o1", "o2", now + timedelta(seconds=30), now)
    # The second taker loses: the owner changed under it.
    assert not await repo.take_over(WS_A, "old", "o1", "o3", now + timedelta(seconds=30), now)


async def test_idempotency_replace_expired(storage: Storage) -> None:
    repo = storage.idempotency
    now = utc_now()
    fresh = claim("fresh")
    assert await repo.claim(fresh) is None
    assert not await repo.replace_expired(claim("fresh", owner="o2"), now)
    expired = IdempotencyClaim(
        WS_A, "gone", "fp", "o1", now, now - timedelta(hours=25), now - timedelta(seconds=1)
    )
    assert await repo.claim(expired) is None
    assert await repo.replace_expired(claim("gone", owner="o2"), now)
    again = await repo.claim(claim("gone", owner="o3"))
    assert again is not None and again.owner == "o2"


async def test_usage_reserve_is_capped_and_gives_back(storage: Storage) -> None:
    repo = storage.usage
    expires = utc_now() + timedelta(days=2)
    assert [await repo.reserve(WS_A, "2026-05-09", 3, expires) for _ in range(4)] == [1, 2, 3, None]
    assert await repo.used(WS_A, "2026-05-09") == 3
    await repo.give_back(WS_A, "2026-05-09")
    assert await repo.reserve(WS_A, "2026-05-09", 3, expires) == 3
    assert await repo.reserve(WS_B, "2026-05-09", 3, expires) == 1
    assert await repo.reserve(WS_A, "2026-05-10", 3, expires) == 1
    assert await repo.used(WS_B, "2026-01-01") == 0


async def test_usage_parallel_reserve_never_exceeds_the_limit(storage: Storage) -> None:
    expires = utc_now() + timedelta(days=2)
    results = await asyncio.gather(
        *(storage.usage.reserve(WS_A, "d", 100, expires) for _ in range(150))
    )
    assert sum(r is not None for r in results) == 100
    assert await storage.usage.used(WS_A, "d") == 100


async def test_usage_50_racing_first_reserves_of_a_day_grant_exactly_the_limit(
    storage: Storage,
) -> None:
    """The day's counter does not exist yet, 50 reserves race to create it, the limit is 30:
    every round grants units 1..30 once each and counts 30, none lost, none extra. (The
    embedded server's upsert race answered "full" for units it had granted; mongod's answers
    E11000 to concurrent upserts.)"""
    expires = utc_now() + timedelta(days=2)
    for round_ in range(8):
        day = f"2026-05-{round_ + 1:02d}"
        results = await asyncio.gather(
            *(storage.usage.reserve(WS_A, day, 30, expires) for _ in range(50))
        )
        granted = sorted(r for r in results if r is not None)
        assert granted == list(range(1, 31)), (round_, results)
        assert await storage.usage.used(WS_A, day) == 30


async def test_usage_racing_reserves_and_give_backs_balance(storage: Storage) -> None:
    expires = utc_now() + timedelta(days=2)

    async def reserve_then_give_back() -> int | None:
        used = await storage.usage.reserve(WS_A, "d", 30, expires)
        if used is not None:
            await storage.usage.give_back(WS_A, "d")
        return used

    results = await asyncio.gather(*(reserve_then_give_back() for _ in range(50)))
    assert all(r is None or 1 <= r <= 30 for r in results)
    assert await storage.usage.used(WS_A, "d") == 0


async def test_usage_limit_zero_grants_nothing(storage: Storage) -> None:
    expires = utc_now() + timedelta(days=2)
    assert await storage.usage.reserve(WS_A, "d", 0, expires) is None
    assert await storage.usage.used(WS_A, "d") == 0


async def test_workspaces_get_or_create_race_makes_one(storage: Storage) -> None:
    made = await asyncio.gather(
        *(storage.workspaces.get_or_create("Racing", "free", "en") for _ in range(30))
    )
    assert len({w.id for w in made}) == 1
    assert [w.name for w in await storage.workspaces.list_all()] == ["Racing"]


async def test_workspaces(storage: Storage) -> None:
    created = await storage.workspaces.create("Acme", "basic", "de")
    assert await storage.workspaces.get(created.id) == created
    with pytest.raises(DuplicateWorkspaceName):
        await storage.workspaces.create("Acme", "free", "en")
    same = await storage.workspaces.get_or_create("Acme", "free", "en")
    assert same == created
    other = await storage.workspaces.get_or_create("Beta", "free", "en")
    assert [w.name for w in await storage.workspaces.list_all()] == ["Acme", "Beta"]
    assert other.plan == "free"
    assert await storage.workspaces.get("bad-id") is None


async def test_api_keys(storage: Storage) -> None:
    ws = await storage.workspaces.create("Acme", "free", "en")
    key = await storage.api_keys.add(ws.id, "d" * 64, "tp_abcdefg", "ci")
    assert await storage.api_keys.add(ws.id, "d" * 64, "tp_abcdefg", "again") == key
    assert await storage.api_keys.find_by_digest("d" * 64) == key
    assert await storage.api_keys.find_by_digest("e" * 64) is None
    assert await storage.api_keys.list_for_workspace(ws.id) == [key]
    revoked = await storage.api_keys.revoke(key.id, utc_now())
    assert revoked is not None and revoked.revoked_at is not None
    assert (await storage.api_keys.find_by_digest("d" * 64)).revoked_at is not None  # type: ignore[union-attr]
    assert await storage.api_keys.revoke("bad", utc_now()) is None


async def test_templates_and_plans_upsert_idempotently(storage: Storage) -> None:
    templates = load_seed_templates()
    await storage.templates.upsert_many(templates)
    await storage.templates.upsert_many(templates)
    stored = await storage.templates.list_all()
    assert [t.slug for t in stored] == sorted(t.slug for t in templates)
    assert {t.slug: t.template_id for t in stored} == {t.slug: t.template_id for t in templates}
    assert sum(len(t.fields) for t in stored) == sum(len(t.fields) for t in templates)
    plans = load_seed_plans()
    await storage.plans.upsert_many(plans)
    await storage.plans.upsert_many([Plan("free", 150, None, False)])
    by_name = {p.plan: p for p in await storage.plans.list_all()}
    assert len(by_name) == 7 and by_name["free"].writes_per_day == 150
    assert by_name["enterprise"].writes_per_day is None


async def test_ping(storage: Storage) -> None:
    assert await storage.ping()


MONGO_INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    "products": [
        ([("workspaceId", 1), ("model", 1)], {"unique": True}),
        ([("workspaceId", 1), ("createdAt", -1), ("_id", -1)], {}),
        ([("workspaceId", 1), ("idempotencyKey", 1)], {}),
    ],
    "idempotency": [
        ([("workspaceId", 1), ("key", 1)], {"unique": True}),
        ([("expiresAt", 1)], {"expireAfterSeconds": 0}),
    ],
    "usage": [
        ([("workspaceId", 1), ("day", 1)], {"unique": True}),
        ([("expiresAt", 1)], {"expireAfterSeconds": 0}),
    ],
    "api_keys": [([("digest", 1)], {"unique": True}), ([("workspaceId", 1), ("createdAt", 1)], {})],
    "templates": [([("slug", 1)], {"unique": True})],
    "workspaces": [([("name", 1)], {"unique": True})],
}


async def test_mongo_indexes_are_created_idempotently() -> None:
    from app.storage.mongo.store import MongoStorage

    store = new_storage("mongo")
    assert isinstance(store, MongoStorage)
    await store.prepare()
    await store.prepare()
    for collection, expected in MONGO_INDEXES.items():
        info = await store.database[collection].index_information()
        present = [(list(v["key"]), v) for v in info.values()]
        for keys, options in expected:
            match = [v for k, v in present if [(f, int(d)) for f, d in k] == keys]
            assert match, (collection, keys)
            for option, value in options.items():
                assert match[0].get(option) == value, (collection, keys, option)
