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
        self, workspace_id: str, day: str, limit: int, expires_at: datetime, count: int = 1
    ) -> int | None:
        if count > limit:
            return None  # the upsert below would otherwise create a counter over the limit
        scope = {"workspaceId": oid(workspace_id), "day": day}
        update = {"$inc": {"used": count}, "$setOnInsert": {"expiresAt": expires_at}}
        try:
            # Matches only while used < limit; otherwise the upsert collides with the unique
            # (workspaceId, day) key, which is how "full" is detected without a read.
            doc = await self._collection.find_one_and_update(
                {**scope, "used": {"$lte": limit - count}},
                update,
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            # Either the day is full, or two first writes of the day raced on the insert.
            doc = await self._collection.find_one_and_update(
                {**scope, "used": {"$lte": limit - count}},
                {"$inc": {"used": count}},
                return_document=ReturnDocument.AFTER,
            )
        return None if doc is None else int(doc["used"])

    @translate_errors
    async def give_back(self, workspace_id: str, day: str, count: int = 1) -> None:
        await self._collection.update_one(
            {"workspaceId": oid(workspace_id), "day": day, "used": {"$gte": count}},
            {"$inc": {"used": -count}},
        )

    @translate_errors
    async def used(self, workspace_id: str, day: str) -> int:
        doc = await self._collection.find_one({"workspaceId": oid(workspace_id), "day": day})
        return 0 if doc is None else int(doc.get("used", 0))
