"""MongoDB passports, GTIN claims and DPP slot counters (passports contract §12).

Uniqueness is the indexes' job: the global (gs1.gtin, gs1.serialNumber) key decides duplicate
serials, the gtins `_id` decides GTIN ownership; slots and counters move by conditional $inc.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.domain.clock import as_utc
from app.domain.passports import (
    EDITABLE_STATUSES,
    NewPassport,
    Passport,
    PassportListQuery,
    PassportPage,
    PassportStatus,
    StatusChange,
)
from app.storage.mongo.errors import translate_errors
from app.storage.mongo.ids import maybe_oid, oid
from app.storage.protocols import DuplicateSerialError

NEWEST_FIRST = [("createdAt", DESCENDING), ("_id", DESCENDING)]
GTIN, SERIAL = "gs1.gtin", "gs1.serialNumber"
INDEXES = [
    IndexModel([("workspaceId", ASCENDING), ("_id", ASCENDING)], unique=True, name="ws_id"),
    # Global on purpose: one (gtin, serial) across the service, and the resolver's lookup.
    IndexModel([(GTIN, ASCENDING), (SERIAL, ASCENDING)], unique=True, name="gtin_serial"),
    IndexModel([("workspaceId", ASCENDING), *NEWEST_FIRST], name="ws_created_id"),
    IndexModel(
        [("workspaceId", ASCENDING), ("productId", ASCENDING), *NEWEST_FIRST],
        name="ws_product_created_id",
    ),
    IndexModel(
        [("workspaceId", ASCENDING), ("status", ASCENDING), *NEWEST_FIRST],
        name="ws_status_created_id",
    ),
    # Not in the contract's list: a product's passports filtered by status.
    IndexModel(
        [
            ("workspaceId", ASCENDING),
            ("productId", ASCENDING),
            ("status", ASCENDING),
            *NEWEST_FIRST,
        ],
        name="ws_product_status_created_id",
    ),
    IndexModel(
        [("workspaceId", ASCENDING), (SERIAL, ASCENDING), (GTIN, ASCENDING)],
        name="ws_serial_gtin",
    ),
    # Lease takeovers find what a dead run created under its key. Not unique (the contract says
    # unique partial): the global (gtin, serial) key already stops a retried item from being
    # inserted twice, and a key may come back after its 24 h record expired.
    IndexModel(
        [("workspaceId", ASCENDING), ("createdByKey", ASCENDING), ("batchIndex", ASCENDING)],
        partialFilterExpression={"createdByKey": {"$exists": True}},
        name="ws_created_by_key",
    ),
]
GTIN_INDEXES: list[IndexModel] = []  # `_id` is the GTIN: its uniqueness is the ownership rule
DPP_USAGE_INDEXES: list[IndexModel] = []  # `_id` is the workspace id

# Passport attribute → document field, for what lifecycle moves write.
STAMP_FIELDS = {
    "published_at": "publishedAt",
    "suspended_at": "suspendedAt",
    "suspension_reason": "suspensionReason",
    "archived_at": "archivedAt",
}


def to_document(passport_id: ObjectId, new: NewPassport) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": passport_id,
        "workspaceId": oid(new.workspace_id),
        "productId": oid(new.product_id),
        "category": new.category,
        "templateId": oid(new.template_id),
        "gs1": {
            "gtin": new.gtin,
            "serialNumber": new.serial_number,
            "digitalLinkUri": new.digital_link_uri,
        },
        "status": "draft",
        "fields": new.fields,
        "fieldMeta": new.field_meta,
        "sourceLocale": new.source_locale,
        "parties": new.parties,
        "publishedAt": None,
        "suspendedAt": None,
        "suspensionReason": None,
        "archivedAt": None,
        "expiresAt": new.expires_at,
        "createdAt": new.created_at,
        "updatedAt": new.created_at,
        "overage": new.overage,
        "revision": 0,
    }
    if new.created_by_key is not None:
        doc["createdByKey"] = new.created_by_key
        if new.batch_index is not None:
            doc["batchIndex"] = new.batch_index
    return doc


def _maybe_utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def from_document(doc: dict[str, Any]) -> Passport:
    gs1 = doc["gs1"]
    meta = {
        key: {**entry, "updatedAt": as_utc(entry["updatedAt"])}
        for key, entry in (doc.get("fieldMeta") or {}).items()
    }
    return Passport(
        id=str(doc["_id"]),
        workspace_id=str(doc["workspaceId"]),
        product_id=str(doc["productId"]),
        category=doc["category"],
        template_id=str(doc["templateId"]),
        gtin=gs1["gtin"],
        serial_number=gs1["serialNumber"],
        digital_link_uri=gs1["digitalLinkUri"],
        stored_status=doc["status"],
        fields=doc.get("fields") or {},
        field_meta=meta,
        source_locale=doc["sourceLocale"],
        parties=doc.get("parties") or {},
        published_at=_maybe_utc(doc.get("publishedAt")),
        suspended_at=_maybe_utc(doc.get("suspendedAt")),
        suspension_reason=doc.get("suspensionReason"),
        archived_at=_maybe_utc(doc.get("archivedAt")),
        expires_at=_maybe_utc(doc.get("expiresAt")),
        created_at=as_utc(doc["createdAt"]),
        updated_at=as_utc(doc["updatedAt"]),
        overage=bool(doc.get("overage", False)),
        created_by_key=doc.get("createdByKey"),
        batch_index=doc.get("batchIndex"),
        revision=int(doc.get("revision", 0)),
    )


def not_expired(now: datetime) -> dict[str, Any]:
    return {"$or": [{"expiresAt": None}, {"expiresAt": {"$gt": now}}]}


def list_filter(query: PassportListQuery) -> dict[str, Any]:
    selector: dict[str, Any] = {"workspaceId": oid(query.workspace_id)}
    conditions: list[dict[str, Any]] = []
    if query.product_id is not None:
        selector["productId"] = oid(query.product_id)
    statuses = query.stored_statuses
    selector["status"] = statuses[0] if len(statuses) == 1 else {"$in": list(statuses)}
    if query.expiry == "live":
        conditions.append(not_expired(query.now))
    elif query.expiry == "expired":
        selector["expiresAt"] = {"$lte": query.now}
    if query.search is not None:
        # Literal text: escaped, so `.*` or `(` match themselves and nothing else.
        pattern = {"$regex": re.escape(query.search), "$options": "i"}
        conditions.append({"$or": [{SERIAL: pattern}, {GTIN: pattern}]})
    return {"$and": [selector, *conditions]} if conditions else selector


def after_position(position: tuple[datetime, str]) -> dict[str, Any]:
    created_at, passport_id = position
    return {
        "$or": [
            {"createdAt": {"$lt": created_at}},
            {"createdAt": created_at, "_id": {"$lt": oid(passport_id)}},
        ]
    }


class MongoPassportRepository:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    def _scope(self, workspace_id: str, passport_id: str) -> dict[str, Any] | None:
        passport_oid = maybe_oid(passport_id)
        if passport_oid is None:
            return None
        return {"workspaceId": oid(workspace_id), "_id": passport_oid}

    @translate_errors
    async def insert(self, new: NewPassport) -> Passport:
        doc = to_document(ObjectId(), new)
        try:
            await self._collection.insert_one(doc)
        except DuplicateKeyError as exc:
            raise DuplicateSerialError(new.serial_number) from exc
        return from_document(doc)

    @translate_errors
    async def get(self, workspace_id: str, passport_id: str) -> Passport | None:
        scope = self._scope(workspace_id, passport_id)
        if scope is None:
            return None
        doc = await self._collection.find_one(scope)
        return None if doc is None else from_document(doc)

    @translate_errors
    async def find_by_serial(
        self, workspace_id: str, serial: str, gtin: str | None, limit: int
    ) -> list[Passport]:
        selector: dict[str, Any] = {"workspaceId": oid(workspace_id), SERIAL: serial}
        if gtin is not None:
            selector[GTIN] = gtin
            doc = await self._collection.find_one(selector)
            return [] if doc is None else [from_document(doc)]
        cursor = self._collection.find(selector).sort(GTIN, ASCENDING).limit(limit)
        return [from_document(doc) async for doc in cursor]

    @translate_errors
    async def find_global(self, gtin: str, serial: str) -> Passport | None:
        doc = await self._collection.find_one({GTIN: gtin, SERIAL: serial})
        return None if doc is None else from_document(doc)

    @translate_errors
    async def created_under_key(self, workspace_id: str, key: str) -> list[Passport]:
        cursor = self._collection.find(
            {"workspaceId": oid(workspace_id), "createdByKey": key}
        ).sort("batchIndex", ASCENDING)
        return [from_document(doc) async for doc in cursor]

    @translate_errors
    async def list_page(self, query: PassportListQuery) -> PassportPage:
        selector = list_filter(query)
        total = await self._collection.count_documents(selector)
        if query.after is not None:
            selector = {"$and": [selector, after_position(query.after)]}
        items: list[Passport] = []
        if total > 0:
            cursor = (
                self._collection.find(selector)
                .sort(NEWEST_FIRST)
                .skip(query.offset)
                .limit(query.limit + 1)
            )
            items = [from_document(doc) async for doc in cursor]
        return PassportPage(items[: query.limit], total, has_more=len(items) > query.limit)

    @translate_errors
    async def set_field(
        self,
        workspace_id: str,
        passport_id: str,
        key: str,
        value: Any,
        meta: dict[str, Any] | None,
        at: datetime,
        now: datetime,
    ) -> Passport | None:
        scope = self._scope(workspace_id, passport_id)
        if scope is None:
            return None
        # Only this key changes, so parallel PATCHes of different keys all land.
        update: dict[str, Any] = {"$set": {"updatedAt": at}, "$inc": {"revision": 1}}
        if meta is None:
            update["$unset"] = {f"fields.{key}": "", f"fieldMeta.{key}": ""}
        else:
            update["$set"].update({f"fields.{key}": value, f"fieldMeta.{key}": meta})
        doc = await self._collection.find_one_and_update(
            {
                "$and": [
                    {**scope, "status": {"$in": list(EDITABLE_STATUSES)}},
                    not_expired(now),
                ]
            },
            update,
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else from_document(doc)

    @translate_errors
    async def change_status(
        self,
        workspace_id: str,
        passport_id: str,
        expected_revision: int,
        change: StatusChange,
        at: datetime,
    ) -> Passport | None:
        scope = self._scope(workspace_id, passport_id)
        if scope is None:
            return None
        stamps = {STAMP_FIELDS[name]: value for name, value in change.stamps.items()}
        doc = await self._collection.find_one_and_update(
            {**scope, "revision": expected_revision},
            {
                "$set": {"status": change.status, **stamps, "updatedAt": at},
                "$inc": {"revision": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else from_document(doc)

    @translate_errors
    async def delete_if(
        self,
        workspace_id: str,
        passport_id: str,
        statuses: tuple[PassportStatus, ...],
        now: datetime,
    ) -> Passport | None:
        scope = self._scope(workspace_id, passport_id)
        if scope is None:
            return None
        doc = await self._collection.find_one_and_delete(
            {
                "$and": [
                    {**scope, "status": {"$in": list(statuses)}, "publishedAt": None},
                    not_expired(now),
                ]
            }
        )
        return None if doc is None else from_document(doc)


class MongoGtinRepository:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    @translate_errors
    async def owner(self, gtin: str) -> str | None:
        doc = await self._collection.find_one({"_id": gtin}, {"workspaceId": 1})
        return None if doc is None else str(doc["workspaceId"])

    @translate_errors
    async def claim(self, gtin: str, workspace_id: str, at: datetime) -> bool:
        try:
            await self._collection.insert_one(
                {"_id": gtin, "workspaceId": oid(workspace_id), "createdAt": at}
            )
        except DuplicateKeyError:
            return await self.owner(gtin) == workspace_id
        return True


class MongoDppUsageRepository:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    @translate_errors
    async def take(self, workspace_id: str, count: int, limit: int | None) -> int | None:
        # No upsert (see storage/mongo/usage.py: upserts race on both servers this runs on): a
        # conditional $inc on the existing counter, else an insert of the first slots.
        if limit is not None and count > limit:
            return None
        scope: dict[str, Any] = {"_id": oid(workspace_id)}
        condition = {} if limit is None else {"held": {"$lte": limit - count}}
        doc = await self._collection.find_one_and_update(
            {**scope, **condition}, {"$inc": {"held": count}}, return_document=ReturnDocument.AFTER
        )
        if doc is not None:
            return int(doc["held"])
        try:
            await self._collection.insert_one({**scope, "held": count})
        except DuplicateKeyError:
            # It exists: full, or just created by a concurrent first take.
            doc = await self._collection.find_one_and_update(
                {**scope, **condition},
                {"$inc": {"held": count}},
                return_document=ReturnDocument.AFTER,
            )
            return None if doc is None else int(doc["held"])
        return count

    @translate_errors
    async def give_back(self, workspace_id: str, count: int) -> None:
        await self._collection.update_one({"_id": oid(workspace_id)}, {"$inc": {"held": -count}})

    @translate_errors
    async def held(self, workspace_id: str) -> int:
        doc = await self._collection.find_one({"_id": oid(workspace_id)})
        return 0 if doc is None else int(doc.get("held", 0))
