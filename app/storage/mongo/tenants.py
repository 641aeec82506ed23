"""MongoDB workspace and API key repositories. Keys are stored as SHA-256 digests only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.domain.clock import as_utc, utc_now
from app.domain.records import ApiKeyRecord, Workspace
from app.storage.mongo.errors import translate_errors
from app.storage.mongo.ids import maybe_oid, oid
from app.storage.protocols import DuplicateWorkspaceName

WORKSPACE_INDEXES = [IndexModel([("name", ASCENDING)], unique=True, name="name")]
API_KEY_INDEXES = [
    IndexModel([("digest", ASCENDING)], unique=True, name="digest"),
    IndexModel([("workspaceId", ASCENDING), ("createdAt", ASCENDING)], name="ws_created"),
]


def _workspace(doc: dict[str, Any]) -> Workspace:
    return Workspace(
        id=str(doc["_id"]),
        name=doc["name"],
        plan=doc["plan"],
        default_source_locale=doc.get("defaultSourceLocale", "en"),
        created_at=as_utc(doc["createdAt"]),
    )


def _api_key(doc: dict[str, Any]) -> ApiKeyRecord:
    revoked = doc.get("revokedAt")
    return ApiKeyRecord(
        id=str(doc["_id"]),
        workspace_id=str(doc["workspaceId"]),
        digest=doc["digest"],
        prefix=doc["prefix"],
        label=doc.get("label"),
        created_at=as_utc(doc["createdAt"]),
        revoked_at=None if revoked is None else as_utc(revoked),
    )


class MongoWorkspaceRepository:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    @translate_errors
    async def create(self, name: str, plan: str, default_source_locale: str) -> Workspace:
        doc = {
            "_id": ObjectId(),
            "name": name,
            "plan": plan,
            "defaultSourceLocale": default_source_locale,
            "createdAt": utc_now(),
        }
        try:
            await self._collection.insert_one(doc)
        except DuplicateKeyError as exc:
            raise DuplicateWorkspaceName(name) from exc
        return _workspace(doc)

    @translate_errors
    async def get_or_create(self, name: str, plan: str, default_source_locale: str) -> Workspace:
        # An upsert on the unique name: concurrent starts of several instances create one.
        try:
            doc = await self._collection.find_one_and_update(
                {"name": name},
                {
                    "$setOnInsert": {
                        "plan": plan,
                        "defaultSourceLocale": default_source_locale,
                        "createdAt": utc_now(),
                    }
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            doc = None  # mongod: a concurrent upsert of the same name inserted it first
        if doc is None:
            # The embedded server may return no document from a concurrent upsert that it did
            # apply; the workspace exists either way.
            doc = await self._collection.find_one({"name": name})
        return _workspace(doc)

    @translate_errors
    async def get(self, workspace_id: str) -> Workspace | None:
        workspace_oid = maybe_oid(workspace_id)
        if workspace_oid is None:
            return None
        doc = await self._collection.find_one({"_id": workspace_oid})
        return None if doc is None else _workspace(doc)

    @translate_errors
    async def list_all(self) -> list[Workspace]:
        docs = await self._collection.find({}).sort("createdAt", ASCENDING).to_list(None)
        return [_workspace(d) for d in docs]


class MongoApiKeyRepository:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    @translate_errors
    async def add(
        self, workspace_id: str, digest: str, prefix: str, label: str | None
    ) -> ApiKeyRecord:
        doc = {
            "_id": ObjectId(),
            "workspaceId": oid(workspace_id),
            "digest": digest,
            "prefix": prefix,
            "label": label,
            "createdAt": utc_now(),
            "revokedAt": None,
        }
        try:
            await self._collection.insert_one(doc)
        except DuplicateKeyError:
            existing = await self._collection.find_one({"digest": digest})
            return _api_key(existing)
        return _api_key(doc)

    @translate_errors
    async def find_by_digest(self, digest: str) -> ApiKeyRecord | None:
        doc = await self._collection.find_one({"digest": digest})
        return None if doc is None else _api_key(doc)

    @translate_errors
    async def list_for_workspace(self, workspace_id: str) -> list[ApiKeyRecord]:
        workspace_oid = maybe_oid(workspace_id)
        if workspace_oid is None:
            return []
        cursor = self._collection.find({"workspaceId": workspace_oid}).sort("createdAt", ASCENDING)
        return [_api_key(d) for d in await cursor.to_list(None)]

    @translate_errors
    async def revoke(self, key_id: str, at: datetime) -> ApiKeyRecord | None:
        key_oid = maybe_oid(key_id)
        if key_oid is None:
            return None
        await self._collection.update_one(
            {"_id": key_oid, "revokedAt": None}, {"$set": {"revokedAt": at}}
        )
        doc = await self._collection.find_one({"_id": key_oid})
        return None if doc is None else _api_key(doc)
