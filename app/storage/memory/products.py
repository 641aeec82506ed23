"""Embedded product repository.

Hash indexes on id, (workspace, model) and (workspace, key), plus per-workspace ordered lists
keyed by (workspace, status) and (workspace, category, status) — the embedded twins of the
Mongo list indexes — so a page is read from the end of a list instead of scanning the workspace.
Every method is free of awaits between its reads and writes, so each is atomic on the event loop.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import itertools
from datetime import datetime

from app.domain.records import (
    NewProduct,
    Product,
    ProductChanges,
    ProductListQuery,
    ProductPage,
)
from app.storage.memory.ids import ObjectIdSequence
from app.storage.memory.product_order import ProductOrder, SortKey
from app.storage.protocols import DuplicateModelError, ImageLimitError, PassportsExistError

OrderKey = tuple[str, str | None, str]  # (workspace, category or None for all, status)


def _sort_key(product: Product) -> SortKey:
    return (
        product.created_at,
        product.id,
        f"{product.name.casefold()}\x00{product.model.casefold()}",
    )


def _order_keys(product: Product) -> tuple[OrderKey, OrderKey]:
    return (
        (product.workspace_id, None, product.status),
        (product.workspace_id, product.category, product.status),
    )


_ENTRY_SEPARATORS = frozenset("\x00\n")  # they delimit the texts in a ProductOrder


class MemoryProductRepository:
    def __init__(self) -> None:
        self._ids = ObjectIdSequence()
        self._by_id: dict[str, Product] = {}
        self._by_model: dict[tuple[str, str], str] = {}
        self._by_idempotency_key: dict[tuple[str, str], str] = {}
        self._order: dict[OrderKey, ProductOrder] = {}

    # -- index maintenance -------------------------------------------------------------------

    def _index(self, product: Product) -> None:
        self._by_id[product.id] = product
        self._by_model[(product.workspace_id, product.model)] = product.id
        sort_key = _sort_key(product)  # one tuple, shared by both lists
        for key in _order_keys(product):
            order = self._order.get(key)
            if order is None:
                order = self._order[key] = ProductOrder()
            order.add(sort_key)

    def _unindex(self, product: Product) -> None:
        del self._by_id[product.id]
        del self._by_model[(product.workspace_id, product.model)]
        sort_key = _sort_key(product)
        for key in _order_keys(product):
            self._order[key].remove(sort_key)

    def _replace(self, before: Product, after: Product) -> None:
        self._unindex(before)
        self._index(after)

    def _owned(self, workspace_id: str, product_id: str) -> Product | None:
        product = self._by_id.get(product_id)
        if product is None or product.workspace_id != workspace_id:
            return None
        return product

    # -- protocol ----------------------------------------------------------------------------

    async def insert(self, new: NewProduct) -> Product:
        if (new.workspace_id, new.model) in self._by_model:
            raise DuplicateModelError(new.model)
        product = Product.from_new(self._ids.new(), new)
        self._index(product)
        if new.idempotency_key is not None:
            self._by_idempotency_key[(new.workspace_id, new.idempotency_key)] = product.id
        return product

    async def get(self, workspace_id: str, product_id: str) -> Product | None:
        return self._owned(workspace_id, product_id)

    async def find_by_idempotency_key(self, workspace_id: str, key: str) -> Product | None:
        product_id = self._by_idempotency_key.get((workspace_id, key))
        return None if product_id is None else self._owned(workspace_id, product_id)

    async def list_page(self, query: ProductListQuery) -> ProductPage:
        orders = [
            order
            for status in query.statuses
            if (order := self._order.get((query.workspace_id, query.category, status)))
        ]
        # Each list ascends by (createdAt, id); a cursor cuts it at its position.
        stop = query.offset + query.limit + 1  # one extra item tells whether more follow
        if query.search is None:
            lists = [order.keys for order in orders]
            total = sum(len(ordered) for ordered in lists)
            cuts = [
                len(ordered) if query.after is None else bisect.bisect_left(ordered, query.after)
                for ordered in lists
            ]
            if len(lists) == 1:  # one ordered list: slice the page straight off its end
                ordered, cut = lists[0], cuts[0]
                page = ordered[max(cut - stop, 0) : max(cut - query.offset, 0)]
                keys = list(reversed(page))
            else:
                merged = heapq.merge(
                    *(reversed(ordered[:cut]) for ordered, cut in zip(lists, cuts, strict=True)),
                    reverse=True,
                )
                keys = list(itertools.islice(merged, query.offset, stop))
        else:
            # A substring search has to look at every candidate (Mongo does the same in its
            # index); total counts every match, the cursor only cuts the page.
            needle = query.search.casefold()
            if _ENTRY_SEPARATORS.isdisjoint(needle):
                matching = [key for order in orders for key in order.matching(needle)]
            else:  # never from the API (control characters are refused): test each field
                matching = [
                    key
                    for order in orders
                    for key in order.keys
                    if self._holds(self._by_id[key[1]], needle)
                ]
            if len(orders) > 1:
                matching.sort()
            total = len(matching)
            if query.after is not None:
                matching = matching[: bisect.bisect_left(matching, query.after)]
            end = max(len(matching) - query.offset, 0)
            keys = list(reversed(matching[max(len(matching) - stop, 0) : end]))
        window = [self._by_id[key[1]] for key in keys]
        return ProductPage(window[: query.limit], total, has_more=len(window) > query.limit)

    @staticmethod
    def _holds(product: Product, needle: str) -> bool:
        return needle in product.name.casefold() or needle in product.model.casefold()

    async def update(
        self, workspace_id: str, product_id: str, changes: ProductChanges, at: datetime
    ) -> tuple[Product, Product] | None:
        before = self._owned(workspace_id, product_id)
        if before is None:
            return None
        after = dataclasses.replace(before, **changes.as_fields(), updated_at=at)
        if after.model != before.model and (workspace_id, after.model) in self._by_model:
            raise DuplicateModelError(after.model)
        self._replace(before, after)
        return before, after

    async def archive(self, workspace_id: str, product_id: str, at: datetime) -> Product | None:
        before = self._owned(workspace_id, product_id)
        if before is None or before.status == "archived":
            return before
        after = dataclasses.replace(before, status="archived", updated_at=at)
        self._replace(before, after)
        return after

    async def delete(self, workspace_id: str, product_id: str) -> Product | None:
        product = self._owned(workspace_id, product_id)
        if product is None:
            return None
        if product.passport_count > 0:
            raise PassportsExistError(product.passport_count)
        self._unindex(product)
        if product.idempotency_key is not None:
            self._by_idempotency_key.pop((workspace_id, product.idempotency_key), None)
        return product

    async def push_image_url(
        self, workspace_id: str, product_id: str, url: str, max_images: int, at: datetime
    ) -> Product | None:
        before = self._owned(workspace_id, product_id)
        if before is None:
            return None
        if len(before.image_urls) >= max_images:
            raise ImageLimitError()
        after = dataclasses.replace(before, image_urls=[*before.image_urls, url], updated_at=at)
        self._by_id[product_id] = after  # order keys are unchanged
        return after

    async def remove_image_url(
        self, workspace_id: str, product_id: str, index: int, at: datetime
    ) -> tuple[Product, str] | None:
        before = self._owned(workspace_id, product_id)
        if before is None:
            return None
        if not 0 <= index < len(before.image_urls):
            raise IndexError(index)
        urls = list(before.image_urls)
        removed = urls.pop(index)
        after = dataclasses.replace(before, image_urls=urls, updated_at=at)
        self._by_id[product_id] = after
        return after, removed

    async def add_passports(
        self, workspace_id: str, product_id: str, count: int, *, only_active: bool = False
    ) -> bool:
        product = self._owned(workspace_id, product_id)
        if product is None or (only_active and product.status != "active"):
            return False
        self._by_id[product_id] = dataclasses.replace(
            product, passport_count=product.passport_count + count
        )
        return True
