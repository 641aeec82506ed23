"""Embedded OAuth repositories: clients, grants, codes and tokens (expiry checked at read)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from app.domain.oauth_records import (
    AccessTokenRecord,
    AuthorizationCode,
    Grant,
    OAuthClient,
    RefreshTokenRecord,
)
from app.storage.memory.ids import ObjectIdSequence
from app.storage.protocols import DuplicateClientId


class MemoryOAuthClientRepository:
    def __init__(self) -> None:
        self._clients: dict[str, tuple[OAuthClient, datetime | None]] = {}

    async def create(self, client: OAuthClient, unused_expires_at: datetime | None) -> None:
        if client.client_id in self._clients:
            raise DuplicateClientId(client.client_id)
        self._clients[client.client_id] = (client, unused_expires_at)

    def _live(self, client_id: str, now: datetime) -> OAuthClient | None:
        entry = self._clients.get(client_id)
        if entry is None:
            return None
        client, unused_expires_at = entry
        if unused_expires_at is not None and unused_expires_at <= now:
            del self._clients[client_id]
            return None
        return client

    async def get(self, client_id: str, now: datetime) -> OAuthClient | None:
        return self._live(client_id, now)

    async def list_all(self, now: datetime) -> list[OAuthClient]:
        live = [self._live(client_id, now) for client_id in list(self._clients)]
        return sorted((c for c in live if c is not None), key=lambda c: c.created_at)

    async def delete(self, client_id: str) -> bool:
        return self._clients.pop(client_id, None) is not None

    async def mark_token_issued(self, client_id: str, at: datetime) -> None:
        entry = self._clients.get(client_id)
        if entry is not None:
            self._clients[client_id] = (dataclasses.replace(entry[0], last_token_at=at), None)


class MemoryGrantRepository:
    def __init__(self) -> None:
        self._ids = ObjectIdSequence()
        self._by_id: dict[str, Grant] = {}

    async def approve(
        self, user_id: str, workspace_id: str, client_id: str, scope: tuple[str, ...], at: datetime
    ) -> Grant:
        for grant in self._by_id.values():
            if (grant.user_id, grant.workspace_id, grant.client_id) == (
                user_id,
                workspace_id,
                client_id,
            ):
                updated = dataclasses.replace(grant, scope=scope, approved_at=at)
                self._by_id[grant.id] = updated
                return updated
        grant = Grant(self._ids.new(), user_id, workspace_id, client_id, scope, at)
        self._by_id[grant.id] = grant
        return grant

    async def get(self, grant_id: str) -> Grant | None:
        return self._by_id.get(grant_id)

    async def find(
        self, *, user_id: str | None = None, workspace_id: str | None = None
    ) -> list[Grant]:
        found = [
            g
            for g in self._by_id.values()
            if (user_id is None or g.user_id == user_id)
            and (workspace_id is None or g.workspace_id == workspace_id)
        ]
        return sorted(found, key=lambda g: g.approved_at)

    async def touch(self, grant_id: str, at: datetime) -> None:
        grant = self._by_id.get(grant_id)
        if grant is not None:
            self._by_id[grant_id] = dataclasses.replace(grant, last_used_at=at)

    async def delete(self, grant_id: str) -> Grant | None:
        return self._by_id.pop(grant_id, None)

    def _delete_where(self, **match: str) -> list[str]:
        doomed = [
            g.id
            for g in self._by_id.values()
            if all(getattr(g, name) == value for name, value in match.items())
        ]
        for grant_id in doomed:
            del self._by_id[grant_id]
        return doomed

    async def delete_for_client(self, client_id: str) -> list[str]:
        return self._delete_where(client_id=client_id)

    async def delete_for_member(self, workspace_id: str, user_id: str) -> list[str]:
        return self._delete_where(workspace_id=workspace_id, user_id=user_id)


class MemoryAuthorizationCodeRepository:
    def __init__(self) -> None:
        self._by_digest: dict[str, AuthorizationCode] = {}

    async def insert(self, code: AuthorizationCode) -> None:
        self._by_digest[code.digest] = code

    async def spend(
        self, digest: str, client_id: str, now: datetime
    ) -> tuple[AuthorizationCode, bool] | None:
        code = self._by_digest.get(digest)
        if code is None or code.client_id != client_id or code.expires_at <= now:
            return None
        if code.spent_at is not None:
            return code, False
        spent = dataclasses.replace(code, spent_at=now)
        self._by_digest[digest] = spent
        return spent, True

    async def mark_tokens_issued(self, digest: str) -> None:
        code = self._by_digest.get(digest)
        if code is not None:
            self._by_digest[digest] = dataclasses.replace(code, tokens_issued=True)

    async def delete_for_grant(self, grant_id: str) -> None:
        for digest in [d for d, c in self._by_digest.items() if c.grant_id == grant_id]:
            del self._by_digest[digest]


class MemoryAccessTokenRepository:
    def __init__(self) -> None:
        self._by_digest: dict[str, AccessTokenRecord] = {}

    async def insert(self, token: AccessTokenRecord) -> None:
        self._by_digest[token.digest] = token

    async def get(self, digest: str, now: datetime) -> AccessTokenRecord | None:
        token = self._by_digest.get(digest)
        return token if token is not None and token.expires_at > now else None

    async def delete(self, digest: str, client_id: str) -> bool:
        token = self._by_digest.get(digest)
        if token is None or token.client_id != client_id:
            return False
        del self._by_digest[digest]
        return True

    async def delete_for_grant(self, grant_id: str) -> None:
        for digest in [d for d, t in self._by_digest.items() if t.grant_id == grant_id]:
            del self._by_digest[digest]


class MemoryRefreshTokenRepository:
    def __init__(self) -> None:
        self._by_digest: dict[str, RefreshTokenRecord] = {}

    async def insert(self, token: RefreshTokenRecord) -> None:
        self._by_digest[token.digest] = token

    async def get(self, digest: str, now: datetime) -> RefreshTokenRecord | None:
        token = self._by_digest.get(digest)
        return token if token is not None and token.expires_at > now else None

    async def retire(self, digest: str, client_id: str, now: datetime) -> RefreshTokenRecord | None:
        token = self._by_digest.get(digest)
        if (
            token is None
            or token.client_id != client_id
            or token.retired_at is not None
            or token.expires_at <= now
        ):
            return None
        self._by_digest[digest] = dataclasses.replace(token, retired_at=now)
        return token

    async def delete_for_grant(self, grant_id: str) -> None:
        for digest in [d for d, t in self._by_digest.items() if t.grant_id == grant_id]:
            del self._by_digest[digest]
