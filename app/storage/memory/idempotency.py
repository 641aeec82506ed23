"""Embedded idempotency records keyed by (workspace, key); expiry is checked on every read."""

from __future__ import annotations

import dataclasses
from collections import deque
from datetime import datetime

from app.domain.records import IdempotencyClaim, IdempotencyRecord, StoredResponse


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
    """Expired records go the way Mongo's TTL index takes them, without a scan: every record
    lives equally long, so they expire in the order they were made. A queue of (expiry, slot)
    in that order is trimmed from its front on each claim (each record is looked at once when
    it expires), where a periodic scan of every record cost time proportional to all of them."""

    def __init__(self) -> None:
        self._records: dict[tuple[str, str], IdempotencyRecord] = {}
        self._expiries: deque[tuple[datetime, tuple[str, str]]] = deque()

    def _sweep(self, now: datetime) -> None:
        expiries, records = self._expiries, self._records
        while expiries and expiries[0][0] <= now:
            expires_at, slot = expiries.popleft()
            record = records.get(slot)
            # The slot may have been released, or claimed again since (a later expiry).
            if record is not None and record.expires_at == expires_at:
                del records[slot]

    def _insert(self, claim: IdempotencyClaim) -> None:
        slot = (claim.workspace_id, claim.key)
        self._records[slot] = _record(claim)
        self._expiries.append((claim.expires_at, slot))

    async def claim(self, claim: IdempotencyClaim) -> IdempotencyRecord | None:
        self._sweep(claim.created_at)
        existing = self._records.get((claim.workspace_id, claim.key))
        if existing is not None:
            return existing
        self._insert(claim)
        return None

    async def replace_expired(self, claim: IdempotencyClaim, now: datetime) -> bool:
        existing = self._records.get((claim.workspace_id, claim.key))
        if existing is not None and existing.expires_at > now:
            return False
        self._insert(claim)
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
            self._records[slot] = existing.completed_with(response)

    async def release(self, workspace_id: str, key: str, owner: str) -> None:
        slot = (workspace_id, key)
        existing = self._records.get(slot)
        if existing is not None and existing.owner == owner and not existing.completed:
            del self._records[slot]
