"""MongoDB OAuth repositories. Codes and tokens are keyed by their SHA-256 digest, expire through
TTL indexes and are also checked at read time (TTL deletion runs only once a minute)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.domain.clock import as_utc
from app.domain.errors import ServiceUnavailable
from app.domain.oauth_records import (
    AccessTokenRecord,
    AuthorizationCode,
    Grant,
    OAuthClient,
    RefreshTokenRecord,
)
from app.storage.mongo.errors import translate_errors
from app.storage.mongo.ids import maybe_oid, oid
from app.storage.protocols import DuplicateClientId

TTL = IndexModel([("expiresAt", ASCENDING)], expireAfterSeconds=0, name="ttl_expires")
BY_GRANT = IndexModel([("grantId", ASCENDING)], name="grant")
CLIENT_INDEXES = [
    # Dynamically registered clients that never obtain a token go away (the field is unset then).
    IndexModel([("unusedExpiresAt", ASCENDING)], expireAfterSeconds=0, name="ttl_unused"),
    IndexModel([("createdAt", ASCENDING)], name="created"),
]
GRANT_INDEXES = [
    IndexModel(
        [("workspaceId", ASCENDING), ("userId", ASCENDING), ("clientId", ASCENDING)],
        unique=True,
        name="ws_user_client",
    ),
    IndexModel([("workspaceId", ASCENDING), ("approvedAt", ASCENDING)], name="ws_approved"),
    IndexModel([("userId", ASCENDING), ("approvedAt", ASCENDING)], name="user_approved"),
    IndexModel([("clientId", ASCENDING)], name="client"),
]
# Rounds of update-else-insert before an approval gives up (a round is lost only to a
# concurrent approval, or revocation, of the same grant).
APPROVE_ATTEMPTS = 8
CODE_INDEXES = [TTL, BY_GRANT]
TOKEN_INDEXES = [TTL, BY_GRANT]


def _opt_time(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def _client(doc: dict[str, Any]) -> OAuthClient:
    scope = doc.get("scope")
    return OAuthClient(
        client_id=doc["_id"],
        name=doc["name"],
        redirect_uris=tuple(doc["redirectUris"]),
        secret_digest=doc.get("secretDigest"),
        require_pkce=bool(doc["requirePkce"]),
        scope=None if scope is None else tuple(scope),
        grant_types=tuple(doc["grantTypes"]),
        token_endpoint_auth_method=doc["tokenEndpointAuthMethod"],
        dynamic=bool(doc.get("dynamic", False)),
        created_at=as_utc(doc["createdAt"]),
        last_token_at=_opt_time(doc.get("lastTokenAt")),
    )


def _grant(doc: dict[str, Any]) -> Grant:
    return Grant(
        id=str(doc["_id"]),
        user_id=str(doc["userId"]),
        workspace_id=str(doc["workspaceId"]),
        client_id=doc["clientId"],
        scope=tuple(doc["scope"]),
        approved_at=as_utc(doc["approvedAt"]),
        last_used_at=_opt_time(doc.get("lastUsedAt")),
    )


def _code(doc: dict[str, Any]) -> AuthorizationCode:
    return AuthorizationCode(
        digest=doc["_id"],
        grant_id=str(doc["grantId"]),
        client_id=doc["clientId"],
        user_id=str(doc["userId"]),
        workspace_id=str(doc["workspaceId"]),
        redirect_uri=doc["redirectUri"],
        scope=tuple(doc["scope"]),
        code_challenge=doc.get("codeChallenge"),
        resource=doc.get("resource"),
        expires_at=as_utc(doc["expiresAt"]),
        spent_at=_opt_time(doc.get("spentAt")),
        tokens_issued=bool(doc.get("tokensIssued", False)),
    )


def _token_fields(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "digest": doc["_id"],
        "grant_id": str(doc["grantId"]),
        "client_id": doc["clientId"],
        "user_id": str(doc["userId"]),
        "workspace_id": str(doc["workspaceId"]),
        "scope": tuple(doc["scope"]),
        "resource": doc.get("resource"),
        "expires_at": as_utc(doc["expiresAt"]),
    }


def _refresh(doc: dict[str, Any]) -> RefreshTokenRecord:
    return RefreshTokenRecord(
        **_token_fields(doc),
        chain_expires_at=as_utc(doc["chainExpiresAt"]),
        retired_at=_opt_time(doc.get("retiredAt")),
    )


def _token_doc(
    token: AccessTokenRecord | RefreshTokenRecord | AuthorizationCode,
) -> dict[str, Any]:
    return {
        "_id": token.digest,
        "grantId": oid(token.grant_id),
        "clientId": token.client_id,
        "userId": oid(token.user_id),
        "workspaceId": oid(token.workspace_id),
        "scope": list(token.scope),
        "resource": token.resource,
        "expiresAt": token.expires_at,
    }


class MongoOAuthClientRepository:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    @translate_errors
    async def create(self, client: OAuthClient, unused_expires_at: datetime | None) -> None:
        doc: dict[str, Any] = {
            "_id": client.client_id,
            "name": client.name,
            "redirectUris": list(client.redirect_uris),
            "secretDigest": client.secret_digest,
            "requirePkce": client.require_pkce,
            "scope": None if client.scope is None else list(client.scope),
            "grantTypes": list(client.grant_types),
            "tokenEndpointAuthMethod": client.token_endpoint_auth_method,
            "dynamic": client.dynamic,
            "createdAt": client.created_at,
        }
        if unused_expires_at is not None:
            doc["unusedExpiresAt"] = unused_expires_at
        try:
            await self._collection.insert_one(doc)
        except DuplicateKeyError as exc:
            raise DuplicateClientId(client.client_id) from exc

    @staticmethod
    def _expired(doc: dict[str, Any], now: datetime) -> bool:
        unused = doc.get("unusedExpiresAt")
        return unused is not None and as_utc(unused) <= now

    @translate_errors
    async def get(self, client_id: str, now: datetime) -> OAuthClient | None:
        doc = await self._collection.find_one({"_id": client_id})
        return None if doc is None or self._expired(doc, now) else _client(doc)

    @translate_errors
    async def list_all(self, now: datetime) -> list[OAuthClient]:
        docs = await self._collection.find({}).sort("createdAt", ASCENDING).to_list(None)
        return [_client(d) for d in docs if not self._expired(d, now)]

    @translate_errors
    async def delete(self, client_id: str) -> bool:
        result = await self._collection.delete_one({"_id": client_id})
        return bool(result.deleted_count)

    @translate_errors
    async def mark_token_issued(self, client_id: str, at: datetime) -> None:
        await self._collection.update_one(
            {"_id": client_id}, {"$set": {"lastTokenAt": at}, "$unset": {"unusedExpiresAt": ""}}
        )


class MongoGrantRepository:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    @translate_errors
    async def approve(
        self, user_id: str, workspace_id: str, client_id: str, scope: tuple[str, ...], at: datetime
    ) -> Grant:
        # No upsert (see storage/mongo/usage.py: upserts race on both servers this runs on): an
        # update of the existing grant, else an insert; an insert that collides means a
        # concurrent approval created it, so the update runs again. Rounds, not one retry: the
        # grant can be revoked between the collision and that update.
        key = {"workspaceId": oid(workspace_id), "userId": oid(user_id), "clientId": client_id}
        fields = {"scope": list(scope), "approvedAt": at}
        for _ in range(APPROVE_ATTEMPTS):
            doc = await self._collection.find_one_and_update(
                key, {"$set": fields}, return_document=ReturnDocument.AFTER
            )
            if doc is not None:
                return _grant(doc)
            doc = {"_id": ObjectId(), **key, **fields}
            try:
                await self._collection.insert_one(doc)
            except DuplicateKeyError:
                continue
            return _grant(doc)
        raise ServiceUnavailable()  # retryable: the approval kept colliding with concurrent ones

    @translate_errors
    async def get(self, grant_id: str) -> Grant | None:
        grant_oid = maybe_oid(grant_id)
        if grant_oid is None:
            return None
        doc = await self._collection.find_one({"_id": grant_oid})
        return None if doc is None else _grant(doc)

    @translate_errors
    async def find(
        self, *, user_id: str | None = None, workspace_id: str | None = None
    ) -> list[Grant]:
        selector: dict[str, Any] = {}
        for field, value in (("workspaceId", workspace_id), ("userId", user_id)):
            if value is not None:
                value_oid = maybe_oid(value)
                if value_oid is None:
                    return []
                selector[field] = value_oid
        docs = await self._collection.find(selector).to_list(None)
        return sorted((_grant(d) for d in docs), key=lambda g: g.approved_at)

    @translate_errors
    async def touch(self, grant_id: str, at: datetime) -> None:
        await self._collection.update_one({"_id": oid(grant_id)}, {"$set": {"lastUsedAt": at}})

    @translate_errors
    async def delete(self, grant_id: str) -> Grant | None:
        grant_oid = maybe_oid(grant_id)
        if grant_oid is None:
            return None
        doc = await self._collection.find_one_and_delete({"_id": grant_oid})
        return None if doc is None else _grant(doc)

    async def _delete_where(self, selector: dict[str, Any]) -> list[str]:
        docs = await self._collection.find(selector, {"_id": 1}).to_list(None)
        ids = [d["_id"] for d in docs]
        if ids:
            await self._collection.delete_many({"_id": {"$in": ids}})
        return [str(i) for i in ids]

    @translate_errors
    async def delete_for_client(self, client_id: str) -> list[str]:
        return await self._delete_where({"clientId": client_id})

    @translate_errors
    async def delete_for_member(self, workspace_id: str, user_id: str) -> list[str]:
        workspace_oid, user_oid = maybe_oid(workspace_id), maybe_oid(user_id)
        if workspace_oid is None or user_oid is None:
            return []
        return await self._delete_where({"workspaceId": workspace_oid, "userId": user_oid})


class MongoAuthorizationCodeRepository:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    @translate_errors
    async def insert(self, code: AuthorizationCode) -> None:
        await self._collection.insert_one(
            {
                **_token_doc(code),
                "redirectUri": code.redirect_uri,
                "codeChallenge": code.code_challenge,
                "spentAt": None,
                "tokensIssued": False,
            }
        )

    @translate_errors
    async def spend(
        self, digest: str, client_id: str, now: datetime
    ) -> tuple[AuthorizationCode, bool] | None:
        live = {"_id": digest, "clientId": client_id, "expiresAt": {"$gt": now}}
        # The conditional update decides the one winner; the read after it only reports.
        doc = await self._collection.find_one_and_update(
            {**live, "spentAt": None},
            {"$set": {"spentAt": now}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is not None:
            return _code(doc), True
        doc = await self._collection.find_one(live)
        return None if doc is None else (_code(doc), False)

    @translate_errors
    async def mark_tokens_issued(self, digest: str) -> None:
        await self._collection.update_one({"_id": digest}, {"$set": {"tokensIssued": True}})

    @translate_errors
    async def delete_for_grant(self, grant_id: str) -> None:
        await self._collection.delete_many({"grantId": oid(grant_id)})


class MongoAccessTokenRepository:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    @translate_errors
    async def insert(self, token: AccessTokenRecord) -> None:
        await self._collection.insert_one(_token_doc(token))

    @translate_errors
    async def get(self, digest: str, now: datetime) -> AccessTokenRecord | None:
        doc = await self._collection.find_one({"_id": digest, "expiresAt": {"$gt": now}})
        return None if doc is None else AccessTokenRecord(**_token_fields(doc))

    @translate_errors
    async def delete(self, digest: str, client_id: str) -> bool:
        result = await self._collection.delete_one({"_id": digest, "clientId": client_id})
        return bool(result.deleted_count)

    @translate_errors
    async def delete_for_grant(self, grant_id: str) -> None:
        await self._collection.delete_many({"grantId": oid(grant_id)})


class MongoRefreshTokenRepository:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    @translate_errors
    async def insert(self, token: RefreshTokenRecord) -> None:
        await self._collection.insert_one(
            {**_token_doc(token), "chainExpiresAt": token.chain_expires_at, "retiredAt": None}
        )

    @translate_errors
    async def get(self, digest: str, now: datetime) -> RefreshTokenRecord | None:
        doc = await self._collection.find_one({"_id": digest, "expiresAt": {"$gt": now}})
        return None if doc is None else _refresh(doc)

    @translate_errors
    async def retire(self, digest: str, client_id: str, now: datetime) -> RefreshTokenRecord | None:
        doc = await self._collection.find_one_and_update(
            {"_id": digest, "clientId": client_id, "retiredAt": None, "expiresAt": {"$gt": now}},
            {"$set": {"retiredAt": now}},
            return_document=ReturnDocument.BEFORE,
        )
        return None if doc is None else _refresh(doc)

    @translate_errors
    async def delete_for_grant(self, grant_id: str) -> None:
        await self._collection.delete_many({"grantId": oid(grant_id)})
