"""Embedded product repository: hash indexes on id, (workspace, model) and (workspace, key)."""

from __future__ import annotations

from app.domain.records import NewProduct, Product
from app.storage.memory.ids import new_id
from app.storage.protocols import DuplicateModelError


class MemoryProductRepository:
    def __init__(self) -> None:
        self._by_id: dict[str, Product] = {}
        self._by_model: dict[tuple[str, str], str] = {}
        self._by_idempotency_key: dict[tuple[str, str], str] = {}

    async def insert(self, new: NewProduct) -> Product:
        # No await between the check and the write: atomic on the event loop.
        model_key = (new.workspace_id, new.model)
        if model_key in self._by_model:
            raise DuplicateModelError(new.model)
        product = Product.from_new(new_id(), new)
        self._by_id[product.id] = product
        self._by_model[model_key] = product.id
        if new.idempotency_key is not None:
            self._by_idempotency_key[(new.workspace_id, new.idempotency_key)] = product.id
        return product

    async def get(self, workspace_id: str, product_id: str) -> Product | None:
        product = self._by_id.get(product_id)
        if product is None or product.workspace_id != workspace_id:
            return None
        return product

    async def find_by_idempotency_key(self, workspace_id: str, key: str) -> Product | None:
        product_id = self._by_idempotency_key.get((workspace_id, key))
        return None if product_id is None else self._by_id.get(product_id)
