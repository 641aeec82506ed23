"""MongoDB users and memberships. Emails are unique; one membership per (workspace, user)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.domain.clock import as_utc
from app.domain.oauth_records import Membership, User
from app.storage.mongo.errors import translate_errors
from app.storage.mongo.ids import maybe_oid
from app.storage.protocols import DuplicateEmail, DuplicateMembership, LastOwner

USER_INDEXES = [IndexModel([("email", ASCENDING)], unique=True, name="email")]
MEMBERSHIP_INDEXES = [
    IndexModel([("workspaceId", ASCENDING), ("userId", ASCENDING)], unique=True, name="ws_user"),
    IndexModel([("userId", ASCENDING), ("createdAt", ASCENDING)], name="user_created"),
]


def _user(doc: dict[str, Any]) -> User:
    return User(
        id=str(doc["_id"]),
        email=doc["email"],
        password_hash=doc["passwordHash"],
        disabled=bool(doc.get("disabled", False)),
        session_version=int(doc.get("sessionVersion", 0)),
        created_at=as_utc(doc["createdAt"]),
    )


def _membership(doc: dict[str, Any]) -> Membership:
    return Membership(
        workspace_id=str(doc["workspaceId"]),
        user_id=str(doc["userId"]),
        role=doc["role"],
        created_at=as_utc(doc["createdAt"]),
    )


class MongoUserRepository:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    @translate_errors
    async def create(self, email: str, password_hash: str, at: datetime) -> User:
        doc = {
            "_id": ObjectId(),
            "email": email,
            "passwordHash": password_hash,
            "disabled": False,
            "sessionVersion": 0,
            "createdAt": at,
        }
        try:
            await self._collection.insert_one(doc)
        except DuplicateKeyError as exc:
            raise DuplicateEmail(email) from exc
        return _user(doc)

    @translate_errors
    async def get(self, user_id: str) -> User | None:
        user_oid = maybe_oid(user_id)
        if user_oid is None:
            return None
        doc = await self._collection.find_one({"_id": user_oid})
        return None if doc is None else _user(doc)

    @translate_errors
    async def find_by_email(self, email: str) -> User | None:
        doc = await self._collection.find_one({"email": email})
        return None if doc is None else _user(doc)

    @translate_errors
    async def list_all(self) -> list[User]:
        docs = await self._collection.find({}).sort("email", ASCENDING).to_list(None)
        return [_user(d) for d in docs]

    async def _update(self, user_id: str, update: dict[str, Any]) -> User | None:
        user_oid = maybe_oid(user_id)
        if user_oid is None:
            return None
        doc = await self._collection.find_one_and_update(
            {"_id": user_oid}, update, return_document=ReturnDocument.AFTER
        )
        return None if doc is None else _user(doc)

    @translate_errors
    async def set_password(self, user_id: str, password_hash: str) -> User | None:
        return await self._update(
            user_id, {"$set": {"passwordHash": password_hash}, "$inc": {"sessionVersion": 1}}
        )

    @translate_errors
    async def set_disabled(self, user_id: str, disabled: bool) -> User | None:
        update: dict[str, Any] = {"$set": {"disabled": disabled}}
        if disabled:
            update["$inc"] = {"sessionVersion": 1}
        return await self._update(user_id, update)


class MongoMembershipRepository:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    @staticmethod
    def _pair(workspace_id: str, user_id: str) -> dict[str, ObjectId] | None:
        workspace_oid, user_oid = maybe_oid(workspace_id), maybe_oid(user_id)
        if workspace_oid is None or user_oid is None:
            return None
        return {"workspaceId": workspace_oid, "userId": user_oid}

    @translate_errors
    async def add(self, workspace_id: str, user_id: str, role: str, at: datetime) -> Membership:
        pair = self._pair(workspace_id, user_id)
        if pair is None:
            raise ValueError("malformed workspace or user id")
        doc = {**pair, "role": role, "createdAt": at}
        try:
            await self._collection.insert_one(doc)
        except DuplicateKeyError as exc:
            raise DuplicateMembership((workspace_id, user_id)) from exc
        if role == "owner":
            await self._count_owner(pair["workspaceId"], 1)
        return _membership(doc)

    @translate_errors
    async def get(self, workspace_id: str, user_id: str) -> Membership | None:
        pair = self._pair(workspace_id, user_id)
        if pair is None:
            return None
        doc = await self._collection.find_one(pair)
        return None if doc is None else _membership(doc)

    @translate_errors
    async def list_for_user(self, user_id: str) -> list[Membership]:
        user_oid = maybe_oid(user_id)
        if user_oid is None:
            return []
        cursor = self._collection.find({"userId": user_oid}).sort("createdAt", ASCENDING)
        return [_membership(d) for d in await cursor.to_list(None)]

    @translate_errors
    async def list_for_workspace(self, workspace_id: str) -> list[Membership]:
        workspace_oid = maybe_oid(workspace_id)
        if workspace_oid is None:
            return []
        docs = await self._collection.find({"workspaceId": workspace_oid}).to_list(None)
        return sorted((_membership(d) for d in docs), key=lambda m: m.created_at)

    # The last-owner rule without read-then-write: each workspace has a counter document of
    # its owners (`_id` "owners:<workspaceId>", no workspaceId field, so member queries never
    # see it). A demotion or removal takes one off only while more than one is left; when that
    # guarded decrement fails, the membership change is undone.

    def _owners(self, workspace_id: ObjectId) -> dict[str, str]:
        return {"_id": f"owners:{workspace_id}"}

    async def _count_owner(self, workspace_id: ObjectId, delta: int) -> None:
        await self._collection.update_one(
            self._owners(workspace_id), {"$inc": {"count": delta}}, upsert=True
        )

    async def _release_owner(self, workspace_id: ObjectId) -> bool:
        released = await self._collection.find_one_and_update(
            {**self._owners(workspace_id), "count": {"$gt": 1}}, {"$inc": {"count": -1}}
        )
        return released is not None

    @translate_errors
    async def set_role(self, workspace_id: str, user_id: str, role: str) -> Membership | None:
        pair = self._pair(workspace_id, user_id)
        if pair is None:
            return None
        if role == "owner":
            promoted = await self._collection.find_one_and_update(
                {**pair, "role": {"$ne": "owner"}}, {"$set": {"role": role}}
            )
            if promoted is not None:
                await self._count_owner(pair["workspaceId"], 1)
        else:
            demoted = await self._collection.find_one_and_update(
                {**pair, "role": "owner"}, {"$set": {"role": role}}
            )
            if demoted is not None and not await self._release_owner(pair["workspaceId"]):
                await self._collection.update_one(pair, {"$set": {"role": "owner"}})
                raise LastOwner(workspace_id)
            if demoted is None:  # not an owner: a plain change
                await self._collection.update_one(
                    {**pair, "role": {"$ne": "owner"}}, {"$set": {"role": role}}
                )
        doc = await self._collection.find_one(pair)
        return None if doc is None else _membership(doc)

    @translate_errors
    async def remove(self, workspace_id: str, user_id: str) -> bool:
        pair = self._pair(workspace_id, user_id)
        if pair is None:
            return False
        removed = await self._collection.find_one_and_delete(pair)
        if removed is None:
            return False
        if removed["role"] == "owner" and not await self._release_owner(pair["workspaceId"]):
            await self._collection.insert_one(removed)
            raise LastOwner(workspace_id)
        return True
