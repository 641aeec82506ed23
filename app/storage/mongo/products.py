"""MongoDB product repository. Uniqueness of (workspaceId, model) is the unique index's job."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.domain.clock import as_utc
from app.domain.records import NewProduct, Product, ProductChanges, ProductListQuery, ProductPage
from app.storage.mongo.errors import translate_errors
from app.storage.mongo.ids import maybe_oid, oid
from app.storage.protocols import DuplicateModelError, ImageLimitError, PassportsExistError

NEWEST_FIRST = [("createdAt", DESCENDING), ("_id", DESCENDING)]
LIST_PROJECTION = {
    "workspaceId": 1,
    "name": 1,
    "model": 1,
    "category": 1,
    "templateId": 1,
    "sourceLocale": 1,
    "passportCount": 1,
    "status": 1,
    "createdAt": 1,
    "updatedAt": 1,
}
# Every filter leads with workspaceId and is served by one of these (tests/test_query_shapes.py).
INDEXES = [
    # The shard key shape {workspaceId, _id}: every single-product read and write.
    IndexModel([("workspaceId", ASCENDING), ("_id", ASCENDING)], unique=True, name="ws_id"),
    IndexModel([("workspaceId", ASCENDING), ("model", ASCENDING)], unique=True, name="ws_model"),
    # Lists: all statuses, one status, one category, one category and status; newest first.
    IndexModel([("workspaceId", ASCENDING), *NEWEST_FIRST], name="ws_created_id"),
    IndexModel(
        [("workspaceId", ASCENDING), ("status", ASCENDING), *NEWEST_FIRST],
        name="ws_status_created_id",
    ),
    IndexModel(
        [("workspaceId", ASCENDING), ("category", ASCENDING), *NEWEST_FIRST],
        name="ws_category_created_id",
    ),
    IndexModel(
        [
            ("workspaceId", ASCENDING),
            ("category", ASCENDING),
            ("status", ASCENDING),
            *NEWEST_FIRST,
        ],
        name="ws_category_status_created_id",
    ),
    IndexModel(
        [("workspaceId", ASCENDING), ("idempotencyKey", ASCENDING)],
        partialFilterExpression={"idempotencyKey": {"$exists": True}},
        name="ws_idempotency_key",
    ),
]


def to_document(product_id: ObjectId, new: NewProduct) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": product_id,
        "workspaceId": oid(new.workspace_id),
        "name": new.name,
        "model": new.model,
        "category": new.category,
        "templateId": oid(new.template_id),
        "description": new.description,
        "defaultFieldValues": new.default_field_values,
        "imageUrls": list(new.image_urls),
        "sourceLocale": new.source_locale,
        "passportCount": 0,
        "status": "active",
        "createdAt": new.created_at,
        "updatedAt": new.created_at,
    }
    if new.idempotency_key is not None:
        doc["idempotencyKey"] = new.idempotency_key
    return doc


# ProductChanges attribute → document field.
CHANGE_FIELDS = {
    "name": "name",
    "model": "model",
    "description": "description",
    "default_field_values": "defaultFieldValues",
    "image_urls": "imageUrls",
    "status": "status",
    "source_locale": "sourceLocale",
}


def list_filter(query: ProductListQuery) -> dict[str, Any]:
    selector: dict[str, Any] = {"workspaceId": oid(query.workspace_id)}
    if query.category is not None:
        selector["category"] = query.category
    if len(query.statuses) == 1:
        selector["status"] = query.statuses[0]
    if query.search is not None:
        # Literal text: escaped, so `.*` or `(` match themselves and nothing else.
        pattern = {"$regex": re.escape(query.search), "$options": "i"}
        selector["$or"] = [{"name": pattern}, {"model": pattern}]
    return selector


def after_position(position: tuple[datetime, str]) -> dict[str, Any]:
    """Items after (createdAt, id) in newest-first order: a range on the list index."""
    created_at, product_id = position
    return {
        "$or": [
            {"createdAt": {"$lt": created_at}},
            {"createdAt": created_at, "_id": {"$lt": oid(product_id)}},
        ]
    }


def from_document(doc: dict[str, Any]) -> Product:
    return Product(
        id=str(doc["_id"]),
        workspace_id=str(doc["workspaceId"]),
        name=doc["name"],
        model=doc["model"],
        category=doc["category"],
        template_id=str(doc["templateId"]),
        description=doc.get("description"),
        default_field_values=doc.get("defaultFieldValues") or {},
        image_urls=list(doc.get("imageUrls") or []),
        source_locale=doc["sourceLocale"],
        passport_count=int(doc.get("passportCount", 0)),
        status=doc.get("status", "active"),
        created_at=as_utc(doc["createdAt"]),
        updated_at=as_utc(doc["updatedAt"]),
        idempotency_key=doc.get("idempotencyKey"),
    )


class MongoProductRepository:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    @translate_errors
    async def insert(self, new: NewProduct) -> Product:
        doc = to_document(ObjectId(), new)
        try:
            await self._collection.insert_one(doc)
        except DuplicateKeyError as exc:
            raise DuplicateModelError(new.model) from exc
        return Product.from_new(str(doc["_id"]), new)

    @translate_errors
    async def get(self, workspace_id: str, product_id: str) -> Product | None:
        scope = self._scope(workspace_id, product_id)
        if scope is None:
            return None
        doc = await self._collection.find_one(scope)
        return None if doc is None else from_document(doc)

    @translate_errors
    async def find_by_idempotency_key(self, workspace_id: str, key: str) -> Product | None:
        doc = await self._collection.find_one(
            {"workspaceId": oid(workspace_id), "idempotencyKey": key}
        )
        return None if doc is None else from_document(doc)

    @translate_errors
    async def list_page(self, query: ProductListQuery) -> ProductPage:
        selector = list_filter(query)
        total = await self._collection.count_documents(selector)
        if query.after is not None:
            selector = {"$and": [selector, after_position(query.after)]}
        items: list[Product] = []
        if total > 0:
            cursor = (
                self._collection.find(selector, LIST_PROJECTION)
                .sort(NEWEST_FIRST)
                .skip(query.offset)
                .limit(query.limit + 1)  # one extra tells whether more follow
            )
            items = [from_document(doc) async for doc in cursor]
        return ProductPage(items[: query.limit], total, has_more=len(items) > query.limit)

    def _scope(self, workspace_id: str, product_id: str) -> dict[str, Any] | None:
        product_oid = maybe_oid(product_id)
        if product_oid is None:
            return None
        return {"workspaceId": oid(workspace_id), "_id": product_oid}

    @translate_errors
    async def update(
        self, workspace_id: str, product_id: str, changes: ProductChanges, at: datetime
    ) -> tuple[Product, Product] | None:
        scope = self._scope(workspace_id, product_id)
        if scope is None:
            return None
        fields = changes.as_fields()
        updates = {CHANGE_FIELDS[name]: value for name, value in fields.items()}
        try:
            doc = await self._collection.find_one_and_update(
                scope,
                {"$set": {**updates, "updatedAt": at}},
                return_document=ReturnDocument.BEFORE,
            )
        except DuplicateKeyError as exc:
            raise DuplicateModelError(changes.model) from exc
        if doc is None:
            return None
        before = from_document(doc)
        return before, dataclasses.replace(before, **fields, updated_at=at)

    @translate_errors
    async def archive(self, workspace_id: str, product_id: str, at: datetime) -> Product | None:
        scope = self._scope(workspace_id, product_id)
        if scope is None:
            return None
        # Only an active product changes (and gets a new updatedAt); archiving twice is a no-op.
        doc = await self._collection.find_one_and_update(
            {**scope, "status": "active"},
            {"$set": {"status": "archived", "updatedAt": at}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            doc = await self._collection.find_one(scope)
        return None if doc is None else from_document(doc)

    @translate_errors
    async def delete(self, workspace_id: str, product_id: str) -> Product | None:
        scope = self._scope(workspace_id, product_id)
        if scope is None:
            return None
        doc = await self._collection.find_one_and_delete({**scope, "passportCount": 0})
        if doc is not None:
            return from_document(doc)
        # Not deleted: tell "absent" from "has passports" (the delete itself was atomic).
        remaining = await self._collection.find_one(scope, {"passportCount": 1})
        if remaining is None:
            return None
        raise PassportsExistError(int(remaining.get("passportCount", 0)))

    @translate_errors
    async def push_image_url(
        self, workspace_id: str, product_id: str, url: str, max_images: int, at: datetime
    ) -> Product | None:
        scope = self._scope(workspace_id, product_id)
        if scope is None:
            return None
        # The cap is part of the filter: "no element at index max_images-1" means there is room.
        doc = await self._collection.find_one_and_update(
            {**scope, f"imageUrls.{max_images - 1}": {"$exists": False}},
            {"$push": {"imageUrls": url}, "$set": {"updatedAt": at}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is not None:
            return from_document(doc)
        if await self._collection.find_one(scope, {"_id": 1}) is None:
            return None
        raise ImageLimitError()

    @translate_errors
    async def remove_image_url(
        self, workspace_id: str, product_id: str, index: int, at: datetime
    ) -> tuple[Product, str] | None:
        scope = self._scope(workspace_id, product_id)
        if scope is None:
            return None
        # Compare-and-set on the whole array: the update applies only to the list we read, so
        # a concurrent change makes us re-read instead of removing the wrong element.
        while True:
            doc = await self._collection.find_one(scope, {"imageUrls": 1})
            if doc is None:
                return None
            urls = list(doc.get("imageUrls") or [])
            if not 0 <= index < len(urls):
                raise IndexError(index)
            removed = urls.pop(index)
            updated = await self._collection.find_one_and_update(
                {**scope, "imageUrls": doc.get("imageUrls") or []},
                {"$set": {"imageUrls": urls, "updatedAt": at}},
                return_document=ReturnDocument.AFTER,
            )
            if updated is not None:
                return from_document(updated), removed

    @translate_errors
    async def add_passports(
        self, workspace_id: str, product_id: str, count: int, *, only_active: bool = False
    ) -> bool:
        scope = self._scope(workspace_id, product_id)
        if scope is None:
            return False
        if only_active:
            scope["status"] = "active"
        result = await self._collection.update_one(scope, {"$inc": {"passportCount": count}})
        return bool(result.matched_count)
