"""Embedded workspace and API key repositories."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from app.domain.clock import utc_now
from app.domain.records import ApiKeyRecord, Workspace
from app.storage.memory.ids import ObjectIdSequence
from app.storage.protocols import DuplicateWorkspaceName


class MemoryWorkspaceRepository:
    def __init__(self) -> None:
        self._ids = ObjectIdSequence()
        self._by_id: dict[str, Workspace] = {}
        self._by_name: dict[str, str] = {}

    async def create(self, name: str, plan: str, default_source_locale: str) -> Workspace:
        if name in self._by_name:
            raise DuplicateWorkspaceName(name)
        workspace = Workspace(self._ids.new(), name, plan, default_source_locale, utc_now())
        self._by_id[workspace.id] = workspace
        self._by_name[name] = workspace.id
        return workspace

    async def get_or_create(self, name: str, plan: str, default_source_locale: str) -> Workspace:
        existing = self._by_name.get(name)
        if existing is not None:
            return self._by_id[existing]
        return await self.create(name, plan, default_source_locale)

    async def get(self, workspace_id: str) -> Workspace | None:
        return self._by_id.get(workspace_id)

    async def list_all(self) -> list[Workspace]:
        return sorted(self._by_id.values(), key=lambda w: w.created_at)


class MemoryApiKeyRepository:
    def __init__(self) -> None:
        self._ids = ObjectIdSequence()
        self._by_id: dict[str, ApiKeyRecord] = {}
        self._by_digest: dict[str, str] = {}

    async def add(
        self, workspace_id: str, digest: str, prefix: str, label: str | None
    ) -> ApiKeyRecord:
        existing = self._by_digest.get(digest)
        if existing is not None:
            return self._by_id[existing]
        record = ApiKeyRecord(self._ids.new(), workspace_id, digest, prefix, label, utc_now())
        self._by_id[record.id] = record
        self._by_digest[digest] = record.id
        return record

    async def find_by_digest(self, digest: str) -> ApiKeyRecord | None:
        key_id = self._by_digest.get(digest)
        return None if key_id is None else self._by_id[key_id]

    async def list_for_workspace(self, workspace_id: str) -> list[ApiKeyRecord]:
        keys = [k for k in self._by_id.values() if k.workspace_id == workspace_id]
        return sorted(keys, key=lambda k: k.created_at)

    async def revoke(self, key_id: str, at: datetime) -> ApiKeyRecord | None:
        record = self._by_id.get(key_id)
        if record is None:
            return None
        if record.revoked_at is None:
            record = dataclasses.replace(record, revoked_at=at)
            self._by_id[key_id] = record
        return record
