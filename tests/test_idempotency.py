"""Idempotency-Key (contract §3) through the real app, on both backends, sequential and parallel."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from app.domain.clock import utc_now
from app.domain.errors import ServiceUnavailable
from app.domain.fingerprint import request_fingerprint
from app.domain.records import IdempotencyClaim, NewProduct
from app.services.seeding import load_seed_templates
from tests.conftest import SEED_BODY, Api, add_tenant, error_body
from tests.test_create_product import product_count

REUSED = error_body(
    "Idempotency-Key has already been used with a different request body. "
    "Use a new key for the new request, or reuse the original body.",
    "idempotency_key_reused",
)


async def plant_claim(
    api: Api, key: str, *, lease_left: float, age: float, expires_in: float, fingerprint: str = ""
) -> None:
    """A claim left by another process: its lease and expiry relative to now, in seconds."""
    now = utc_now()
    await api.storage.idempotency.claim(
        IdempotencyClaim(
            api.tenant.workspace.id,
            key,
            fingerprint or request_fingerprint("POST", "/api/v1/products", SEED_BODY),
            "other-process",
            now + timedelta(seconds=lease_left),
            now - timedelta(seconds=age),
            now + timedelta(seconds=expires_in),
        )
    )


async def test_same_key_other_body_is_422(api: Api) -> None:
    assert (await api.create(SEED_BODY, key="k-1")).status == 201
    response = await api.create({**SEED_BODY, "name": "Changed"}, key="k-1")
    assert response.status == 422
    assert await response.json() == REUSED
    assert await product_count(api) == 1


async def test_fingerprint_ignores_key_order_and_white_space(api: Api) -> None:
    first = await api.post_raw(b'{"name":"A","model":"M","category":"toys"}', key="o")
    second = await api.post_raw(b'{ "category" : "toys",\n "model":"M", "name":"A" }', key="o")
    assert first.status == second.status == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert await first.read() == await second.read()


@pytest.mark.parametrize("key", ["mcp-6f1c2a34-1b2c-4d5e-8f90-123456789abc", "x", "a" * 255, "a b"])
async def test_accepted_key_shapes(api: Api, key: str) -> None:
    assert (await api.create(SEED_BODY, key=key)).status == 201


async def test_quoted_key_is_unwrapped(api: Api) -> None:
    first = await api.create(SEED_BODY, key='"abc"')
    second = await api.create(SEED_BODY, key="abc")
    assert first.status == second.status == 201
    assert second.headers["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("key", ["", "a" * 256, "ключ", "tab\there", '""'])
async def test_invalid_key_is_400(api: Api, key: str) -> None:
    response = await api.create(SEED_BODY, key=key)
    assert response.status == 400
    assert (await response.json())["code"] == "invalid_idempotency_key"
    assert await product_count(api) == 0


async def test_scope_is_per_workspace(api: Api) -> None:
    other = await add_tenant(api.storage, name="Other")
    assert (await api.create(SEED_BODY, key="shared")).status == 201
    response = await api.create(SEED_BODY, key="shared", tenant=other)
    assert response.status == 201
    assert "Idempotent-Replayed" not in response.headers


async def test_409_duplicate_outcome_is_stored_and_replayed(api: Api) -> None:
    assert (await api.create(SEED_BODY)).status == 201
    first = await api.create({**SEED_BODY, "name": "dup"}, key="dup-key")
    assert first.status == 409
    second = await api.create({**SEED_BODY, "name": "dup"}, key="dup-key")
    assert second.status == 409
    assert second.headers["Idempotent-Replayed"] == "true"
    assert await second.read() == await first.read()


async def test_400_is_not_stored_so_a_fixed_retry_runs(api: Api) -> None:
    bad = await api.create({**SEED_BODY, "category": "nope"}, key="fix-me")
    assert bad.status == 400
    # Same key, corrected body: not a 422, since the 400 released the claim.
    good = await api.create(SEED_BODY, key="fix-me")
    assert good.status == 201
    assert "Idempotent-Replayed" not in good.headers


async def test_in_flight_claim_answers_409_with_retry_after(api: Api) -> None:
    await plant_claim(api, "busy", lease_left=30, age=0, expires_in=86400)
    response = await api.create(SEED_BODY, key="busy")
    assert response.status == 409
    assert response.headers["Retry-After"] == "1"
    assert await response.json() == error_body(
        "A request with this Idempotency-Key is still being processed", "idempotency_key_in_use"
    )
    assert await product_count(api) == 0


async def test_expired_lease_is_taken_over_and_answers_the_inserted_product(api: Api) -> None:
    # A process claimed the key, inserted the product, and died before finalizing.
    await plant_claim(api, "orphan", lease_left=-1, age=40, expires_in=23 * 3600)
    now = utc_now()
    batteries = next(t for t in load_seed_templates() if t.slug == "batteries")
    inserted = await api.storage.products.insert(
        NewProduct(
            workspace_id=api.tenant.workspace.id,
            name=SEED_BODY["name"],
            model=SEED_BODY["model"],
            category="batteries",
            template_id=batteries.template_id,
            description=None,
            default_field_values=SEED_BODY["defaultFieldValues"],
            image_urls=[],
            source_locale="en",
            created_at=now - timedelta(seconds=40),
            idempotency_key="orphan",
        )
    )
    response = await api.create(SEED_BODY, key="orphan")
    assert response.status == 201
    assert (await response.json())["_id"] == inserted.id
    assert await product_count(api) == 1
    replay = await api.create(SEED_BODY, key="orphan")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert await replay.read() == await response.read()


async def test_expired_lease_without_a_product_executes_again(api: Api) -> None:
    await plant_claim(api, "crashed-early", lease_left=-1, age=40, expires_in=23 * 3600)
    response = await api.create(SEED_BODY, key="crashed-early")
    assert response.status == 201
    assert await product_count(api) == 1


async def test_record_older_than_24h_is_ignored_on_read(api: Api) -> None:
    await plant_claim(
        api, "old", lease_left=-90000, age=90000, expires_in=-1, fingerprint="other-fingerprint"
    )
    # Another fingerprint would be a 422 if the record still counted.
    response = await api.create(SEED_BODY, key="old")
    assert response.status == 201


async def test_5xx_releases_the_claim_and_gives_the_unit_back(make_api: Any) -> None:
    api = await make_api(plan="free")
    real_insert = api.storage.products.insert
    calls = Counter[str]()

    async def flaky_insert(new: NewProduct) -> Any:
        calls["insert"] += 1
        if calls["insert"] == 1:
            raise ServiceUnavailable()
        return await real_insert(new)

    api.storage.products.insert = flaky_insert  # type: ignore[method-assign]
    first = await api.create(SEED_BODY, key="retry-after-503")
    assert first.status == 503
    assert first.headers["Retry-After"]
    assert (await first.json())["code"] == "service_unavailable"
    second = await api.create(SEED_BODY, key="retry-after-503")
    assert second.status == 201
    assert "Idempotent-Replayed" not in second.headers
    # One unit used in all: the failed attempt's unit came back.
    assert second.headers["RateLimit"].startswith('"writes";r=99;')


async def test_replay_uses_no_quota(make_api: Any) -> None:
    api = await make_api(plan="free")
    first = await api.create(SEED_BODY, key="q")
    assert first.headers["RateLimit"].startswith('"writes";r=99;')
    for _ in range(3):
        assert (await api.create(SEED_BODY, key="q")).status == 201
    nxt = await api.create({**SEED_BODY, "model": "next"})
    assert nxt.headers["RateLimit"].startswith('"writes";r=98;')


async def test_parallel_same_key_creates_exactly_one_product(api: Api) -> None:
    responses = await asyncio.gather(*(api.create(SEED_BODY, key="same") for _ in range(60)))
    statuses = Counter(r.status for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] >= 1
    for r in responses:
        if r.status == 409:
            assert (await r.json())["code"] == "idempotency_key_in_use"
            assert r.headers["Retry-After"] == "1"
    ids = {(await r.json())["_id"] for r in responses if r.status == 201}
    assert len(ids) == 1
    assert await product_count(api) == 1


async def test_parallel_same_model_different_keys_exactly_one_201(api: Api) -> None:
    responses = await asyncio.gather(*(api.create(SEED_BODY, key=f"key-{i}") for i in range(60)))
    statuses = Counter(r.status for r in responses)
    assert statuses == Counter({201: 1, 409: 59}), statuses
    codes = {(await r.json())["code"] for r in responses if r.status == 409}
    assert codes == {"duplicate_model"}
    assert await product_count(api) == 1
