"""Repository contract for the catalogue operations, run against both implementations."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from app.domain.clock import utc_now
from app.domain.records import (
    PRODUCT_STATUSES,
    UNSET,
    Product,
    ProductChanges,
    ProductListQuery,
    StoredImage,
)
from app.storage.protocols import (
    DuplicateModelError,
    ImageLimitError,
    PassportsExistError,
    Storage,
)
from tests.test_storage_contract import WS_A, WS_B, new_product

OTHER_ID = "0123456789abcdef01234567"


async def insert_many(storage: Storage, count: int, workspace: str = WS_A) -> list[Product]:
    base = utc_now() - timedelta(hours=1)
    made = []
    for n in range(count):
        new = dataclasses.replace(
            new_product(workspace, model=f"M-{n:03d}"),
            name=f"Pack {n}",
            category="batteries" if n % 2 else "textiles",
            created_at=base + timedelta(seconds=n // 3),  # ties on createdAt: the id decides
        )
        made.append(await storage.products.insert(new))
    return made


def newest_first(products: list[Product]) -> list[str]:
    return [p.id for p in sorted(products, key=lambda p: (p.created_at, p.id), reverse=True)]


async def test_list_pages_newest_first_with_id_tiebreak(storage: Storage) -> None:
    made = await insert_many(storage, 25)
    await insert_many(storage, 3, WS_B)
    seen: list[str] = []
    for page in (1, 2, 3):
        result = await storage.products.list_page(ProductListQuery(WS_A, page=page, limit=10))
        assert result.total == 25
        seen += [p.id for p in result.items]
    assert seen == newest_first(made)
    beyond = await storage.products.list_page(ProductListQuery(WS_A, page=4, limit=10))
    assert beyond.items == [] and beyond.total == 25


async def test_list_filters_category_status_and_search(storage: Storage) -> None:
    made = await insert_many(storage, 12)
    archived = await storage.products.archive(WS_A, made[1].id, utc_now())
    assert archived is not None and archived.status == "archived"

    def ids(*wanted: Product) -> list[str]:
        return newest_first(list(wanted))

    active = await storage.products.list_page(ProductListQuery(WS_A, limit=100))
    assert [p.id for p in active.items] == ids(*[p for p in made if p.id != made[1].id])
    everything = await storage.products.list_page(
        ProductListQuery(WS_A, limit=100, statuses=PRODUCT_STATUSES)
    )
    assert [p.id for p in everything.items] == newest_first(made)
    only_archived = await storage.products.list_page(ProductListQuery(WS_A, statuses=("archived",)))
    assert [p.id for p in only_archived.items] == [made[1].id]
    batteries = await storage.products.list_page(
        ProductListQuery(WS_A, limit=100, category="batteries", statuses=PRODUCT_STATUSES)
    )
    assert [p.id for p in batteries.items] == ids(*[p for p in made if p.category == "batteries"])
    searched = await storage.products.list_page(ProductListQuery(WS_A, search="pack 1"))
    # "Pack 1" matches too but is archived, so the default (active) list leaves it out.
    assert {p.name for p in searched.items} == {"Pack 10", "Pack 11"}
    assert searched.total == 2


async def test_search_is_literal(storage: Storage) -> None:
    await storage.products.insert(dataclasses.replace(new_product(model="a.*b"), name="x"))
    await storage.products.insert(dataclasses.replace(new_product(model="aXXb"), name="y"))
    for needle, expected in ((".*", 1), ("A.*B", 1), ("(", 0), ("a", 2), ("[", 0)):
        result = await storage.products.list_page(ProductListQuery(WS_A, search=needle))
        assert result.total == expected, needle


async def test_update_changes_only_given_fields(storage: Storage) -> None:
    made = await storage.products.insert(new_product())
    later = utc_now() + timedelta(seconds=5)
    result = await storage.products.update(
        WS_A, made.id, ProductChanges(name="Renamed", description="Now described"), later
    )
    assert result is not None
    before, after = result
    assert before == made
    assert (after.name, after.description, after.model) == ("Renamed", "Now described", "M-1")
    assert after.updated_at == later and after.created_at == made.created_at
    assert await storage.products.get(WS_A, made.id) == after
    cleared = await storage.products.update(WS_A, made.id, ProductChanges(description=None), later)
    assert cleared is not None and cleared[1].description is None
    assert ProductChanges(description=UNSET).as_fields() == {}


async def test_update_model_is_unique_and_frees_the_old_one(storage: Storage) -> None:
    first = await storage.products.insert(new_product(model="A"))
    await storage.products.insert(new_product(model="B"))
    with pytest.raises(DuplicateModelError):
        await storage.products.update(WS_A, first.id, ProductChanges(model="B"), utc_now())
    assert (await storage.products.get(WS_A, first.id)) == first
    await storage.products.update(WS_A, first.id, ProductChanges(model="C"), utc_now())
    await storage.products.insert(new_product(model="A"))  # "A" is free again


async def test_update_status_moves_between_lists(storage: Storage) -> None:
    made = await storage.products.insert(new_product())
    await storage.products.update(WS_A, made.id, ProductChanges(status="archived"), utc_now())
    assert (await storage.products.list_page(ProductListQuery(WS_A))).total == 0
    await storage.products.update(WS_A, made.id, ProductChanges(status="active"), utc_now())
    assert (await storage.products.list_page(ProductListQuery(WS_A))).total == 1


async def test_writes_are_tenant_scoped(storage: Storage) -> None:
    made = await storage.products.insert(new_product())
    now = utc_now()
    assert await storage.products.update(WS_B, made.id, ProductChanges(name="x"), now) is None
    assert await storage.products.archive(WS_B, made.id, now) is None
    assert await storage.products.delete(WS_B, made.id) is None
    assert await storage.products.push_image_url(WS_B, made.id, "u", 20, now) is None
    assert await storage.products.remove_image_url(WS_B, made.id, 0, now) is None
    for bad in ("nope", OTHER_ID):
        assert await storage.products.update(WS_A, bad, ProductChanges(name="x"), now) is None
        assert await storage.products.delete(WS_A, bad) is None
    assert await storage.products.get(WS_A, made.id) == made


async def test_archive_is_idempotent(storage: Storage) -> None:
    made = await storage.products.insert(new_product())
    first = await storage.products.archive(WS_A, made.id, utc_now())
    second = await storage.products.archive(WS_A, made.id, utc_now() + timedelta(seconds=3))
    assert first is not None and first == second  # the second changes nothing


async def test_delete_needs_zero_passports(storage: Storage) -> None:
    made = await storage.products.insert(new_product(key="k1"))
    await storage.products.add_passports(WS_A, made.id, 2)
    with pytest.raises(PassportsExistError) as raised:
        await storage.products.delete(WS_A, made.id)
    assert raised.value.passport_count == 2
    await storage.products.add_passports(WS_A, made.id, -2)
    deleted = await storage.products.delete(WS_A, made.id)
    assert deleted is not None and deleted.id == made.id
    assert await storage.products.get(WS_A, made.id) is None
    assert await storage.products.find_by_idempotency_key(WS_A, "k1") is None
    assert (await storage.products.list_page(ProductListQuery(WS_A))).total == 0
    await storage.products.insert(new_product())  # the model is free again


async def test_push_image_url_is_capped_under_concurrency(storage: Storage) -> None:
    made = await storage.products.insert(new_product())  # holds one URL already
    results = await asyncio.gather(
        *(storage.products.push_image_url(WS_A, made.id, f"u{n}", 5, utc_now()) for n in range(12)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Product) for r in results) == 4
    assert sum(isinstance(r, ImageLimitError) for r in results) == 8
    stored = await storage.products.get(WS_A, made.id)
    assert stored is not None and len(stored.image_urls) == 5


async def test_remove_image_url_by_index(storage: Storage) -> None:
    made = await storage.products.insert(new_product())
    for url in ("u1", "u2"):
        await storage.products.push_image_url(WS_A, made.id, url, 20, utc_now())
    result = await storage.products.remove_image_url(WS_A, made.id, 1, utc_now())
    assert result is not None
    product, removed = result
    assert removed == "u1" and product.image_urls == ["https://cdn.example.com/a.png", "u2"]
    with pytest.raises(IndexError):
        await storage.products.remove_image_url(WS_A, made.id, 2, utc_now())


async def test_parallel_removals_each_remove_one_element(storage: Storage) -> None:
    made = await storage.products.insert(dataclasses.replace(new_product(), image_urls=[]))
    for n in range(10):
        await storage.products.push_image_url(WS_A, made.id, f"u{n}", 20, utc_now())
    results = await asyncio.gather(
        *(storage.products.remove_image_url(WS_A, made.id, 0, utc_now()) for _ in range(10))
    )
    removed = [r[1] for r in results if r is not None]
    assert sorted(removed) == sorted(f"u{n}" for n in range(10))  # none twice, none lost
    stored = await storage.products.get(WS_A, made.id)
    assert stored is not None and stored.image_urls == []


def image(image_id: str, product_id: str, workspace: str = WS_A) -> StoredImage:
    return StoredImage(
        id=image_id,
        workspace_id=workspace,
        product_id=product_id,
        content_type="image/png",
        etag='"abc"',
        data=b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 2000,
        created_at=utc_now(),
    )


async def test_images_round_trip_and_owned_deletes(storage: Storage) -> None:
    product_a, product_b = "6650a1b2c3d4e5f6a7b8c9e0", "6650a1b2c3d4e5f6a7b8c9e1"
    await storage.images.put(image("a" * 32, product_a))
    await storage.images.put(image("b" * 32, product_a))
    await storage.images.put(image("c" * 32, product_b))
    fetched = await storage.images.get("a" * 32)
    assert fetched is not None
    assert fetched.data == image("a" * 32, product_a).data
    assert (fetched.content_type, fetched.etag, fetched.product_id) == (
        "image/png",
        '"abc"',
        product_a,
    )
    assert not await storage.images.delete(WS_B, product_a, "a" * 32)  # not B's image
    assert not await storage.images.delete(WS_A, product_b, "a" * 32)  # not that product's
    assert await storage.images.delete(WS_A, product_a, "a" * 32)
    assert await storage.images.get("a" * 32) is None
    assert await storage.images.delete_for_product(WS_A, product_a) == 1
    assert await storage.images.get("b" * 32) is None
    assert await storage.images.get("c" * 32) is not None


async def test_cursor_walk_ignores_newer_inserts(storage: Storage) -> None:
    made = await insert_many(storage, 23)
    seen: list[str] = []
    after = None
    while True:
        page = await storage.products.list_page(ProductListQuery(WS_A, limit=5, after=after))
        assert page.total >= 23
        seen += [p.id for p in page.items]
        # Newer products land at the head of the order, never after the cursor.
        await storage.products.insert(new_product(model=f"late-{len(seen)}"))
        if not page.has_more:
            break
        last = page.items[-1]
        after = (last.created_at, last.id)
    assert seen == newest_first(made)


class CountingDict(dict[str, Product]):
    reads = 0

    def __getitem__(self, key: str) -> Product:
        CountingDict.reads += 1
        return super().__getitem__(key)


async def test_embedded_list_reads_only_the_page() -> None:
    """The embedded store keeps per-workspace order: page 1 of 3,000 products reads ~limit
    products, not the workspace (a substring search has to look at each candidate)."""
    from app.storage.memory.products import MemoryProductRepository

    repository = MemoryProductRepository()
    repository._by_id = CountingDict()  # instrumenting the store under test
    base = utc_now()
    for n in range(3000):
        await repository.insert(
            dataclasses.replace(
                new_product(model=f"M-{n}"), created_at=base + timedelta(milliseconds=n)
            )
        )
    for query in (
        ProductListQuery(WS_A, limit=20),
        ProductListQuery(WS_A, limit=20, statuses=PRODUCT_STATUSES),
        ProductListQuery(WS_A, limit=20, category="batteries"),
        ProductListQuery(WS_A, page=3, limit=20),
    ):
        CountingDict.reads = 0
        page = await repository.list_page(query)
        assert page.total == 3000 and len(page.items) == 20
        assert CountingDict.reads <= 21, (query, CountingDict.reads)
