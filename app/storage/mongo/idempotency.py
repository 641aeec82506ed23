"""MongoDB idempotency records: the unique (workspaceId, key) insert is the lock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from app.domain.clock import as_utc
from app.domain.records import IdempotencyClaim, IdempotencyRecord, StoredResponse
from app.storage.mongo.errors import translate_errors
from app.storage.mongo.ids import oid

INDEXES = [
    IndexModel([("workspaceId", ASCENDING), ("key", ASCENDING)], unique=True, name="ws_key"),
    # TTL cleanup; reads check expiresAt too, since the TTL monitor runs only every 60 s.
    IndexModel([("expiresAt", ASCENDING)], expireAfterSeconds=0, name="ttl_expires"),
]


def _document(claim: IdempotencyClaim) -> dict[str, Any]:
    return {
        "workspaceId": oid(claim.workspace_id),
        "key": claim.key,
        "fingerprint": claim.fingerprint,
        "owner": claim.owner,
        "leaseUntil": claim.lease_until,
        "createdAt": claim.created_at,
        "expiresAt": claim.expires_at,
    }


def _record(doc: dict[str, Any]) -> IdempotencyRecord:
    stored = doc.get("response")
    response = None
    if stored is not None:
        response = StoredResponse(
            status=int(stored["status"]),
            body=bytes(stored["body"]),
            location=stored.get("location"),
        )
    return IdempotencyRecord(
        workspace_id=str(doc["workspaceId"]),
        key=doc["key"],
        fingerprint=doc["fingerprint"],
        owner=doc["owner"],
        lease_until=as_utc(doc["leaseUntil"]),
        created_at=as_utc(doc["createdAt"]),
        expires_at=as_utc(doc["expiresAt"]),
        response=response,
    )


class MongoIdempotencyRepository:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    @translate_errors
    async def claim(self, claim: IdempotencyClaim) -> IdempotencyRecord | None:
        try:
            await self._collection.insert_one(_document(claim))
            return None
        except DuplicateKeyError:
            pass
        doc = await self._collection.find_one(
            {"workspaceId": oid(claim.workspace_id), "key": claim.key}
        )
        if doc is None:
            # Removed between our insert and our read (release or TTL): report it as expired.
            return IdempotencyRecord(
                workspace_id=claim.workspace_id,
                key=claim.key,
                fingerprint=claim.fingerprint,
                owner="",
                lease_until=claim.created_at,
                created_at=claim.created_at,
                expires_at=claim.created_at,
            )
        return _record(doc)

    @translate_errors
    async def replace_expired(self, claim: IdempotencyClaim, now: datetime) -> bool:
        scope = {"workspaceId": oid(claim.workspace_id), "key": claim.key}
        result = await self._collection.replace_one(
            {**scope, "expiresAt": {"$lte": now}}, _document(claim)
        )
        if result.modified_count == 1:
            return True
        try:
            await self._collection.insert_one(_document(claim))
        except DuplicateKeyError:
            return False
        return True

    @translate_errors
    async def take_over(
        self,
        workspace_id: str,
        key: str,
        previous_owner: str,
        new_owner: str,
        lease_until: datetime,
        now: datetime,
    ) -> bool:
        result = await self._collection.update_one(
            {
                "workspaceId": oid(workspace_id),
                "key": key,
                "owner": previous_owner,
                "response": {"$exists": False},
                "leaseUntil": {"$lte": now},
            },
            {"$set": {"owner": new_owner, "leaseUntil": lease_until}},
        )
        return bool(result.modified_count == 1)

    @translate_errors
    async def complete(
        self, workspace_id: str, key: str, owner: str, response: StoredResponse
    ) -> None:
        await self._collection.update_one(
            {"workspaceId": oid(workspace_id), "key": key, "owner": owner},
            {
                "$set": {
                    "response": {
                        "status": response.status,
                        "body": response.body,
                        "location": response.location,
                    }
                }
            },
        )

    @translate_errors
    async def release(self, workspace_id: str, key: str, owner: str) -> None:
        await self._collection.delete_one(
            {
                "workspaceId": oid(workspace_id),
                "key": key,
                "owner": owner,
                "response": {"$exists": False},
            }
        )
