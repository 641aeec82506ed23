"""Repository contract for passports, GTIN claims and DPP slots, run against both backends."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta

import pytest

from app.domain.clock import utc_now
from app.domain.passports import (
    DELETABLE_STATUSES,
    LIVE_STATUSES,
    NewPassport,
    Passport,
    PassportListQuery,
    StatusChange,
)
from app.storage.protocols import DuplicateSerialError, Storage
from tests.test_storage_contract import WS_A, WS_B

PRODUCT = "6650a1b2c3d4e5f6a7b8c9d0"
TEMPLATE = "6650a1b2c3d4e5f6a7b8c9d1"
GTIN_A, GTIN_B = "04012345000016", "04012345000023"
OTHER_ID = "0123456789abcdef01234567"


def new_passport(
    workspace: str = WS_A,
    serial: str = "S-1",
    gtin: str = GTIN_A,
    *,
    created_at: datetime | None = None,
    expires_at: datetime | None = None,
    key: str | None = None,
    batch_index: int | None = None,
    product: str = PRODUCT,
) -> NewPassport:
    at = created_at or utc_now()
    return NewPassport(
        workspace_id=workspace,
        product_id=product,
        category="batteries",
        template_id=TEMPLATE,
        gtin=gtin,
        serial_number=serial,
        digital_link_uri=f"https://x.example/01/{gtin}/21/{serial}",
        fields={"nominalVoltage": 48},
        field_meta={
            "nominalVoltage": {"source": "product_default", "sourceLocale": "en", "updatedAt": at}
        },
        source_locale="en",
        parties={},
        expires_at=expires_at,
        created_at=at,
        created_by_key=key,
        batch_index=batch_index,
    )


async def test_insert_and_get_are_scoped_by_workspace(storage: Storage) -> None:
    made = await storage.passports.insert(new_passport())
    assert made.stored_status == "draft" and made.revision == 0
    assert await storage.passports.get(WS_A, made.id) == made
    assert await storage.passports.get(WS_B, made.id) is None
    assert await storage.passports.get(WS_A, "not-an-id") is None
    assert await storage.passports.get(WS_A, OTHER_ID) is None


async def test_gtin_and_serial_are_unique_across_workspaces(storage: Storage) -> None:
    await storage.passports.insert(new_passport())
    with pytest.raises(DuplicateSerialError):
        await storage.passports.insert(new_passport())
    with pytest.raises(DuplicateSerialError):
        await storage.passports.insert(new_passport(WS_B))
    await storage.passports.insert(new_passport(serial="s-1"))  # case-sensitive
    await storage.passports.insert(new_passport(gtin=GTIN_B))


async def test_parallel_inserts_of_one_serial_store_one(storage: Storage) -> None:
    outcomes = await asyncio.gather(
        *(storage.passports.insert(new_passport()) for _ in range(20)), return_exceptions=True
    )
    assert sum(isinstance(o, Passport) for o in outcomes) == 1
    assert sum(isinstance(o, DuplicateSerialError) for o in outcomes) == 19


async def test_lookups_by_serial_global_and_key(storage: Storage) -> None:
    a = await storage.passports.insert(new_passport(gtin=GTIN_B, key="k", batch_index=1))
    b = await storage.passports.insert(new_passport(gtin=GTIN_A, key="k", batch_index=0))
    await storage.passports.insert(new_passport(WS_B, serial="S-2"))
    found = await storage.passports.find_by_serial(WS_A, "S-1", None, 10)
    assert [p.id for p in found] == [b.id, a.id]  # by GTIN
    assert [p.id for p in await storage.passports.find_by_serial(WS_A, "S-1", None, 1)] == [b.id]
    assert [p.id for p in await storage.passports.find_by_serial(WS_A, "S-1", GTIN_B, 10)] == [a.id]
    assert await storage.passports.find_by_serial(WS_B, "S-1", None, 10) == []
    assert (await storage.passports.find_global(GTIN_B, "S-1")) == a
    assert await storage.passports.find_global(GTIN_B, "S-2") is None
    assert [p.id for p in await storage.passports.created_under_key(WS_A, "k")] == [b.id, a.id]
    assert await storage.passports.created_under_key(WS_B, "k") == []


async def test_list_page_filters_orders_and_cuts(storage: Storage) -> None:
    now = utc_now()
    base = now - timedelta(hours=1)
    made = []
    for n in range(7):
        made.append(
            await storage.passports.insert(
                new_passport(
                    serial=f"S.{n}",
                    created_at=base + timedelta(seconds=n // 2),  # ties: the id decides
                    expires_at=now - timedelta(seconds=1) if n == 6 else None,
                    product=OTHER_ID if n % 2 else PRODUCT,
                )
            )
        )
    await storage.passports.insert(new_passport(WS_B, serial="S.x"))
    archived = made[0]
    await storage.passports.change_status(
        WS_A, archived.id, 0, StatusChange("archived", {"archived_at": now}), now
    )
    newest_first = sorted(made, key=lambda p: (p.created_at, p.id), reverse=True)

    async def ids(**changes: object) -> tuple[list[str], int, bool]:
        query = dataclasses.replace(PassportListQuery(WS_A, now), **changes)  # type: ignore[arg-type]
        page = await storage.passports.list_page(query)
        return [p.id for p in page.items], page.total, page.has_more

    live = [p.id for p in newest_first if p.id != archived.id]
    assert await ids() == (live, 6, False)
    assert await ids(stored_statuses=(*LIVE_STATUSES, "archived")) == (
        [p.id for p in newest_first],
        7,
        False,
    )
    assert await ids(stored_statuses=("archived",)) == ([archived.id], 1, False)
    assert await ids(expiry="expired") == ([made[6].id], 1, False)
    assert (await ids(stored_statuses=("draft",), expiry="live"))[1] == 5
    assert (await ids(product_id=OTHER_ID))[1] == 3
    assert (await ids(product_id=OTHER_ID, stored_statuses=("draft",), expiry="live"))[1] == 3
    assert (await ids(search="s.3"))[0] == [made[3].id]  # literal, case-insensitive
    assert (await ids(search=".*"))[1] == 0
    assert (await ids(search="0401234"))[1] == 6  # the GTIN matches too
    first, total, more = await ids(limit=2)
    assert (first, total, more) == (live[:2], 6, True)
    last = next(p for p in made if p.id == first[-1])
    rest = await ids(limit=10, after=(last.created_at, last.id))
    assert rest == (live[2:], 6, False)
    assert await ids(page=2, limit=4) == (live[4:], 6, False)


async def test_set_field_sets_unsets_and_respects_locks(storage: Storage) -> None:
    now = utc_now()
    made = await storage.passports.insert(new_passport())
    meta = {"source": "manual", "sourceLocale": "de", "updatedAt": now}
    after = await storage.passports.set_field(WS_A, made.id, "ratedCapacity", 100, meta, now, now)
    assert after is not None and after.fields == {"nominalVoltage": 48, "ratedCapacity": 100}
    assert after.field_meta["ratedCapacity"]["sourceLocale"] == "de"
    assert after.revision == 1
    assert await storage.passports.get(WS_A, made.id) == after
    removed = await storage.passports.set_field(
        WS_A, made.id, "nominalVoltage", None, None, now, now
    )
    assert removed is not None and removed.fields == {"ratedCapacity": 100}
    assert "nominalVoltage" not in removed.field_meta
    assert await storage.passports.set_field(WS_B, made.id, "x", 1, meta, now, now) is None
    expired = await storage.passports.insert(new_passport(serial="E", expires_at=now))
    assert await storage.passports.set_field(WS_A, expired.id, "x", 1, meta, now, now) is None
    await storage.passports.change_status(
        WS_A, made.id, removed.revision, StatusChange("archived"), now
    )
    assert await storage.passports.set_field(WS_A, made.id, "x", 1, meta, now, now) is None


async def test_change_status_is_compare_and_set(storage: Storage) -> None:
    now = utc_now()
    made = await storage.passports.insert(new_passport())
    change = StatusChange("published", {"published_at": now})
    assert await storage.passports.change_status(WS_A, made.id, 5, change, now) is None
    assert await storage.passports.change_status(WS_B, made.id, 0, change, now) is None
    moved = await storage.passports.change_status(WS_A, made.id, 0, change, now)
    assert moved is not None and moved.stored_status == "published"
    assert moved.published_at == now and moved.revision == 1
    assert await storage.passports.get(WS_A, made.id) == moved
    # Of parallel moves from one revision, one lands.
    outcomes = await asyncio.gather(
        *(
            storage.passports.change_status(WS_A, made.id, 1, StatusChange("archived"), now)
            for _ in range(10)
        )
    )
    assert sum(o is not None for o in outcomes) == 1


async def test_delete_if_only_never_published_live_drafts(storage: Storage) -> None:
    now = utc_now()
    made = await storage.passports.insert(new_passport())
    published = await storage.passports.insert(new_passport(serial="P"))
    await storage.passports.change_status(
        WS_A, published.id, 0, StatusChange("draft", {"published_at": now}), now
    )
    expired = await storage.passports.insert(new_passport(serial="E", expires_at=now))
    assert await storage.passports.delete_if(WS_B, made.id, DELETABLE_STATUSES, now) is None
    assert await storage.passports.delete_if(WS_A, published.id, DELETABLE_STATUSES, now) is None
    assert await storage.passports.delete_if(WS_A, expired.id, DELETABLE_STATUSES, now) is None
    deleted = await storage.passports.delete_if(WS_A, made.id, DELETABLE_STATUSES, now)
    assert deleted is not None and deleted.id == made.id
    assert await storage.passports.get(WS_A, made.id) is None
    assert await storage.passports.find_global(GTIN_A, "S-1") is None
    await storage.passports.insert(new_passport())  # the serial is free again


async def test_gtin_claims(storage: Storage) -> None:
    now = utc_now()
    assert await storage.gtins.owner(GTIN_A) is None
    assert await storage.gtins.claim(GTIN_A, WS_A, now) is True
    assert await storage.gtins.claim(GTIN_A, WS_A, now) is True  # held before counts as won
    assert await storage.gtins.claim(GTIN_A, WS_B, now) is False
    assert await storage.gtins.owner(GTIN_A) == WS_A
    won = await asyncio.gather(*(storage.gtins.claim(GTIN_B, ws, now) for ws in [WS_A, WS_B] * 10))
    owner = await storage.gtins.owner(GTIN_B)
    assert sum(won) == 10 and owner in (WS_A, WS_B)


async def test_dpp_slots(storage: Storage) -> None:
    usage = storage.dpp_usage
    assert await usage.held(WS_A) == 0
    assert await usage.take(WS_A, 3, 2) is None  # more than the limit: no counter is started
    assert await usage.held(WS_A) == 0
    assert await usage.take(WS_A, 2, 2) == 2
    assert await usage.take(WS_A, 1, 2) is None
    assert await usage.take(WS_A, 1, None) == 3  # a confirmed overage
    await usage.give_back(WS_A, 2)
    assert await usage.held(WS_A) == 1
    assert await usage.held(WS_B) == 0
    taken = await asyncio.gather(*(usage.take(WS_B, 1, 5) for _ in range(20)))
    assert sum(t is not None for t in taken) == 5
    assert await usage.held(WS_B) == 5


async def test_usage_reserves_several_units_at_once(storage: Storage) -> None:
    expires = utc_now() + timedelta(days=2)
    assert await storage.usage.reserve(WS_A, "2026-01-01", 5, expires, 6) is None
    assert await storage.usage.used(WS_A, "2026-01-01") == 0
    assert await storage.usage.reserve(WS_A, "2026-01-01", 5, expires, 3) == 3
    assert await storage.usage.reserve(WS_A, "2026-01-01", 5, expires, 3) is None
    assert await storage.usage.reserve(WS_A, "2026-01-01", 5, expires, 2) == 5
    await storage.usage.give_back(WS_A, "2026-01-01", 4)
    assert await storage.usage.used(WS_A, "2026-01-01") == 1
