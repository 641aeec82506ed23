"""The embedded store's search buffer (app/storage/memory/product_order.py) stays right.

Searches run between the writes, so the buffer is built, extended by appends, dropped by
renames, archives, deletes and out-of-order inserts, and rebuilt; after every step each search
is compared with a brute-force answer computed from the products themselves.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

from app.domain.clock import utc_now
from app.domain.records import (
    PRODUCT_STATUSES,
    Product,
    ProductChanges,
    ProductListQuery,
    ProductStatus,
)
from app.storage.memory.products import MemoryProductRepository
from tests.test_storage_contract import WS_A, WS_B, new_product

NAMES = ["Straße 1", "STRASSE 2", "strasse", "Pack ß", "İstanbul Cell", "Ǆemal", "ΣΊΣΥΦΟΣ", "café"]
NEEDLES = [
    "strasse",
    "STRAßE",
    "ß",
    "ss",
    "pack",
    "a",
    "İ",
    "i̇",
    "ǆ",
    "σίσυφος",
    "CAFÉ",
    "m-1",
    "x",
]


def expected(
    products: dict[str, Product], needle: str, statuses: tuple[ProductStatus, ...]
) -> list[str]:
    folded = needle.casefold()
    hits = [
        p
        for p in products.values()
        if p.workspace_id == WS_A
        and p.status in statuses
        and (folded in p.name.casefold() or folded in p.model.casefold())
    ]
    return [p.id for p in sorted(hits, key=lambda p: (p.created_at, p.id), reverse=True)]


async def searched(
    repository: MemoryProductRepository, needle: str, statuses: tuple[ProductStatus, ...]
) -> tuple[list[str], int]:
    """Every page of the search, walked by cursor, and the total of the first page."""
    query = ProductListQuery(WS_A, limit=7, statuses=statuses, search=needle)
    first = await repository.list_page(query)
    ids, page = [p.id for p in first.items], first
    while page.has_more:
        last = page.items[-1]
        page = await repository.list_page(
            dataclasses.replace(query, after=(last.created_at, last.id))
        )
        assert page.total == first.total
        ids += [p.id for p in page.items]
    return ids, first.total


async def check_all(repository: MemoryProductRepository, products: dict[str, Product]) -> None:
    for needle in NEEDLES:
        for statuses in (("active",), ("archived",), PRODUCT_STATUSES):
            want = expected(products, needle, statuses)
            got, total = await searched(repository, needle, statuses)
            assert (got, total) == (want, len(want)), (needle, statuses)


async def test_search_follows_inserts_renames_archives_and_deletes() -> None:
    rng = random.Random(12)
    repository = MemoryProductRepository()
    products: dict[str, Product] = {}
    base = utc_now()
    for step in range(160):
        action = rng.random()
        live = [p for p in products.values() if p.workspace_id == WS_A]
        if action < 0.55 or not live:
            # Mostly appends (newest createdAt), sometimes an older createdAt (lands mid-list).
            minutes = step if rng.random() < 0.8 else rng.randrange(step + 1)
            workspace = WS_A if rng.random() < 0.9 else WS_B
            new = dataclasses.replace(
                new_product(workspace, model=f"M-{step}"),
                name=rng.choice(NAMES) + f" {step}",
                created_at=base + timedelta(minutes=minutes),
            )
            product = await repository.insert(new)
            products[product.id] = product
        elif action < 0.75:
            target = rng.choice(live)
            changes = ProductChanges(name=rng.choice(NAMES), model=f"{rng.choice(NAMES)}-{step}")
            changed = await repository.update(WS_A, target.id, changes, utc_now())
            assert changed is not None
            products[target.id] = changed[1]
        elif action < 0.9:
            archived = await repository.archive(WS_A, rng.choice(live).id, utc_now())
            assert archived is not None
            products[archived.id] = archived
        else:
            newest = max(live, key=lambda p: (p.created_at, p.id))
            target = newest if rng.random() < 0.5 else rng.choice(live)  # the tail, or mid-list
            assert await repository.delete(WS_A, target.id) is not None
            del products[target.id]
        if step % 4 == 0:
            await check_all(repository, products)
    await check_all(repository, products)


async def test_unicode_case_folding_matches_both_ways() -> None:
    repository = MemoryProductRepository()
    made = {}
    for n, name in enumerate(["Straße", "STRASSE", "Strand"]):
        new = dataclasses.replace(new_product(model=f"M-{n}"), name=name)
        made[name] = (await repository.insert(new)).id
    for needle in ("straße", "STRASSE", "sSe"):
        page = await repository.list_page(ProductListQuery(WS_A, search=needle))
        assert {p.id for p in page.items} == {made["Straße"], made["STRASSE"]}
        assert page.total == 2
    renamed = await repository.update(WS_A, made["Straße"], ProductChanges(name="Gasse"), utc_now())
    assert renamed is not None
    page = await repository.list_page(ProductListQuery(WS_A, search="STRASSE"))
    assert [p.id for p in page.items] == [made["STRASSE"]]
    page = await repository.list_page(ProductListQuery(WS_A, search="gaße"))
    assert [p.id for p in page.items] == [made["Straße"]]


async def test_broad_and_narrow_searches_agree_with_each_entry_tested() -> None:
    """A needle in nearly every product takes the per-entry path, a rare one the buffer path;
    both count each product once even when name and model both hold the needle."""
    repository = MemoryProductRepository()
    base = utc_now()
    for n in range(300):
        new = dataclasses.replace(
            new_product(model=f"pack-{n:03d}"),
            name=f"Pack {n}",
            created_at=base + timedelta(seconds=n),
        )
        await repository.insert(new)
    broad = await repository.list_page(ProductListQuery(WS_A, limit=5, search="PACK"))
    assert broad.total == 300
    assert [p.model for p in broad.items] == [f"pack-{n}" for n in range(299, 294, -1)]
    narrow = await repository.list_page(ProductListQuery(WS_A, limit=5, search="pack-01"))
    assert narrow.total == 10
    assert [p.model for p in narrow.items] == [f"pack-01{d}" for d in (9, 8, 7, 6, 5)]
    deep = await repository.list_page(ProductListQuery(WS_A, page=2, limit=5, search="pack-01"))
    assert [p.model for p in deep.items] == [f"pack-01{d}" for d in (4, 3, 2, 1, 0)]
    assert not deep.has_more


async def test_needle_with_a_separator_character_matches_only_real_text() -> None:
    """NUL and NL delimit the buffer's entries; a needle holding one is answered from the
    products' own fields, so it never matches across the name/model boundary."""
    repository = MemoryProductRepository()
    await repository.insert(dataclasses.replace(new_product(model="B-1"), name="A"))
    for needle in ("a\x00b", "a\nb", "\x00"):
        page = await repository.list_page(ProductListQuery(WS_A, search=needle))
        assert page.items == [] and page.total == 0
