"""MongoDB write counters: one document per workspace and UTC day, capped by a filtered $inc.

No upsert: a conditional `find_one_and_update` on an existing counter, and a plain insert for
the day's first unit. Upserts race under concurrency on both servers this runs on: mongod
answers E11000 to concurrent upserts of one key, and the embedded server sometimes returns no
document from `find_one_and_update(upsert=True)` although it applied the write (a granted unit
the caller would not know about). An insert either creates the counter or collides with the
unique (workspaceId, day) key, and the conditional $inc either takes a unit or matches nothing.
"""

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

    async def _take_units(self, scope: dict[str, Any], limit: int, count: int) -> int | None:
        doc = await self._collection.find_one_and_update(
            {**scope, "used": {"$lte": limit - count}},
            {"$inc": {"used": count}},
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else int(doc["used"])

    @translate_errors
    async def reserve(
        self, workspace_id: str, day: str, limit: int, expires_at: datetime, count: int = 1
    ) -> int | None:
        if count > limit or limit <= 0:
            return None
        scope = {"workspaceId": oid(workspace_id), "day": day}
        # One round trip whenever the day's counter exists (every write but the day's first).
        used = await self._take_units(scope, limit, count)
        if used is not None:
            return used
        # No unit: the day is full, or its counter does not exist yet. Create it holding our
        # units; a collision means it exists (full, or just created by a concurrent first write).
        try:
            await self._collection.insert_one({**scope, "used": count, "expiresAt": expires_at})
        except DuplicateKeyError:
            return await self._take_units(scope, limit, count)
        return count

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
