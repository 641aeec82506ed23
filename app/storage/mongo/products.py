"""MongoDB product repository. Uniqueness of (workspaceId, model) is the unique index's job."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from app.domain.clock import as_utc
from app.domain.records import NewProduct, Product
from app.storage.mongo.errors import translate_errors
from app.storage.mongo.ids import maybe_oid, oid
from app.storage.protocols import DuplicateModelError

INDEXES = [
    IndexModel([("workspaceId", ASCENDING), ("model", ASCENDING)], unique=True, name="ws_model"),
    IndexModel(
        [("workspaceId", ASCENDING), ("createdAt", DESCENDING), ("_id", DESCENDING)],
        name="ws_created_id",
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
        product_oid = maybe_oid(product_id)
        if product_oid is None:
            return None
        doc = await self._collection.find_one(
            {"workspaceId": oid(workspace_id), "_id": product_oid}
        )
        return None if doc is None else from_document(doc)

    @translate_errors
    async def find_by_idempotency_key(self, workspace_id: str, key: str) -> Product | None:
        doc = await self._collection.find_one(
            {"workspaceId": oid(workspace_id), "idempotencyKey": key}
        )
        return None if doc is None else from_document(doc)
