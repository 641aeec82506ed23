"""Embedded idempotency records keyed by (workspace, key); expiry is checked on every read."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from app.domain.records import IdempotencyClaim, IdempotencyRecord, StoredResponse

_SWEEP_EVERY = 1000  # claims between sweeps of expired records (the TTL index's job in Mongo)


def _record(claim: IdempotencyClaim) -> IdempotencyRecord:
    return IdempotencyRecord(
        workspace_id=claim.workspace_id,
        key=claim.key,
        fingerprint=claim.fingerprint,
        owner=claim.owner,
        lease_until=claim.lease_until,
        created_at=claim.created_at,
        expires_at=claim.expires_at,
    )


class MemoryIdempotencyRepository:
    def __init__(self) -> None:
        self._records: dict[tuple[str, str], IdempotencyRecord] = {}
        self._claims_since_sweep = 0

    def _sweep(self, now: datetime) -> None:
        self._claims_since_sweep += 1
        if self._claims_since_sweep < _SWEEP_EVERY:
            return
        self._claims_since_sweep = 0
        expired = [k for k, r in self._records.items() if r.expires_at <= now]
        for k in expired:
            del self._records[k]

    async def claim(self, claim: IdempotencyClaim) -> IdempotencyRecord | None:
        self._sweep(claim.created_at)
        slot = (claim.workspace_id, claim.key)
        existing = self._records.get(slot)
        if existing is not None:
            return existing
        self._records[slot] = _record(claim)
        return None

    async def replace_expired(self, claim: IdempotencyClaim, now: datetime) -> bool:
        slot = (claim.workspace_id, claim.key)
        existing = self._records.get(slot)
        if existing is not None and existing.expires_at > now:
            return False
        self._records[slot] = _record(claim)
        return True

    async def take_over(
        self,
        workspace_id: str,
        key: str,
        previous_owner: str,
        new_owner: str,
        lease_until: datetime,
        now: datetime,
    ) -> bool:
        slot = (workspace_id, key)
        existing = self._records.get(slot)
        if (
            existing is None
            or existing.completed
            or existing.owner != previous_owner
            or existing.lease_until > now
        ):
            return False
        self._records[slot] = dataclasses.replace(
            existing, owner=new_owner, lease_until=lease_until
        )
        return True

    async def complete(
        self, workspace_id: str, key: str, owner: str, response: StoredResponse
    ) -> None:
        slot = (workspace_id, key)
        existing = self._records.get(slot)
        if existing is not None and existing.owner == owner and not existing.completed:
            self._records[slot] = dataclasses.replace(existing, response=response)

    async def release(self, workspace_id: str, key: str, owner: str) -> None:
        slot = (workspace_id, key)
        existing = self._records.get(slot)
        if existing is not None and existing.owner == owner and not existing.completed:
            del self._records[slot]
