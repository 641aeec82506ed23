"""Embedded image store: files live in process memory, indexed by id and by owning product."""

from __future__ import annotations

from app.domain.records import StoredImage


class MemoryImageRepository:
    def __init__(self) -> None:
        self._by_id: dict[str, StoredImage] = {}
        self._by_product: dict[tuple[str, str], set[str]] = {}

    async def put(self, image: StoredImage) -> None:
        self._by_id[image.id] = image
        self._by_product.setdefault((image.workspace_id, image.product_id), set()).add(image.id)

    async def get(self, image_id: str) -> StoredImage | None:
        return self._by_id.get(image_id)

    async def delete(self, workspace_id: str, product_id: str, image_id: str) -> bool:
        owned = self._by_product.get((workspace_id, product_id), set())
        if image_id not in owned:
            return False
        owned.discard(image_id)
        del self._by_id[image_id]
        return True

    async def delete_for_product(self, workspace_id: str, product_id: str) -> int:
        owned = self._by_product.pop((workspace_id, product_id), set())
        for image_id in owned:
            del self._by_id[image_id]
        return len(owned)
