"""MongoDB write counters: one document per workspace and UTC day, capped by a filtered $inc."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.storage.mongo.errors import translate_errors
from app.storage.mongo.ids import oid

INDEXES = [
    IndexModel([("workspaceId", ASCENDING), ("day", ASCENDING)], unique=True, name="ws_day"),
    IndexModel([("expiresAt", ASCENDING)], expireAfterSeconds=0, name="ttl_expires"),
]


class MongoUsageRepository:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    @translate_errors
    async def reserve(
        self, workspace_id: str, day: str, limit: int, expires_at: datetime
    ) -> int | None:
        scope = {"workspaceId": oid(workspace_id), "day": day}
        update = {"$inc": {"used": 1}, "$setOnInsert": {"expiresAt": expires_at}}
        try:
            # Matches only while used < limit; otherwise the upsert collides with the unique
            # (workspaceId, day) key, which is how "full" is detected without a read.
            doc = await self._collection.find_one_and_update(
                {**scope, "used": {"$lt": limit}},
                update,
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            # Either the day is full, or two first writes of the day raced on the insert.
            doc = await self._collection.find_one_and_update(
                {**scope, "used": {"$lt": limit}},
                {"$inc": {"used": 1}},
                return_document=ReturnDocument.AFTER,
            )
        return None if doc is None else int(doc["used"])

    @translate_errors
    async def give_back(self, workspace_id: str, day: str) -> None:
        await self._collection.update_one(
            {"workspaceId": oid(workspace_id), "day": day, "used": {"$gt": 0}},
            {"$inc": {"used": -1}},
        )

    @translate_errors
    async def used(self, workspace_id: str, day: str) -> int:
        doc = await self._collection.find_one({"workspaceId": oid(workspace_id), "day": day})
        return 0 if doc is None else int(doc.get("used", 0))
