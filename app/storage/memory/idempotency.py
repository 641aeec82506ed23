"""Embedded idempotency records keyed by (workspace, key); expiry is checked on every read."""

from __future__ import annotations

from collections import deque
from datetime import datetime

from app.domain.records import IdempotencyClaim, IdempotencyRecord, StoredResponse

Slot = tuple[str, str]  # (workspace, key)


class MemoryIdempotencyRepository:
    """A record is the claim as it was inserted plus, once completed, its response, kept side
    by side: a create then stores two references instead of building a record on the claim and
    another on completion (what a caller reads back is built only when it asks).

    Expired records go the way Mongo's TTL index takes them, without a scan: every record
    lives equally long, so they expire in the order they were made. A queue of (expiry, slot)
    in that order is trimmed from its front on each claim (each record is looked at once when
    it expires), where a periodic scan of every record cost time proportional to all of them."""

    def __init__(self) -> None:
        self._claims: dict[Slot, IdempotencyClaim] = {}
        self._responses: dict[Slot, StoredResponse] = {}
        self._expiries: deque[tuple[datetime, Slot]] = deque()

    def _sweep(self, now: datetime) -> None:
        expiries, claims = self._expiries, self._claims
        while expiries and expiries[0][0] <= now:
            expires_at, slot = expiries.popleft()
            claim = claims.get(slot)
            # The slot may have been released, or claimed again since (a later expiry).
            if claim is not None and claim.expires_at == expires_at:
                self._drop(slot)

    def _drop(self, slot: Slot) -> None:
        del self._claims[slot]
        self._responses.pop(slot, None)

    def _insert(self, claim: IdempotencyClaim) -> None:
        slot = (claim.workspace_id, claim.key)
        self._claims[slot] = claim
        self._responses.pop(slot, None)
        self._expiries.append((claim.expires_at, slot))

    def _record(self, slot: Slot) -> IdempotencyRecord | None:
        claim = self._claims.get(slot)
        if claim is None:
            return None
        return IdempotencyRecord(
            claim.workspace_id,
            claim.key,
            claim.fingerprint,
            claim.owner,
            claim.lease_until,
            claim.created_at,
            claim.expires_at,
            self._responses.get(slot),
        )

    def _pending(self, slot: Slot, owner: str) -> bool:
        """Whether `owner` holds the slot's claim and it is not completed."""
        claim = self._claims.get(slot)
        return claim is not None and claim.owner == owner and slot not in self._responses

    async def claim(self, claim: IdempotencyClaim) -> IdempotencyRecord | None:
        self._sweep(claim.created_at)
        slot = (claim.workspace_id, claim.key)
        if slot in self._claims:
            return self._record(slot)
        self._insert(claim)
        return None

    async def replace_expired(self, claim: IdempotencyClaim, now: datetime) -> bool:
        existing = self._claims.get((claim.workspace_id, claim.key))
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
        if not self._pending(slot, previous_owner):
            return False
        existing = self._claims[slot]
        if existing.lease_until > now:
            return False
        self._claims[slot] = IdempotencyClaim(
            workspace_id,
            key,
            existing.fingerprint,
            new_owner,
            lease_until,
            existing.created_at,
            existing.expires_at,
        )
        return True

    async def complete(
        self, workspace_id: str, key: str, owner: str, response: StoredResponse
    ) -> None:
        slot = (workspace_id, key)
        if self._pending(slot, owner):
            self._responses[slot] = response

    async def release(self, workspace_id: str, key: str, owner: str) -> None:
        slot = (workspace_id, key)
        if self._pending(slot, owner):
            self._drop(slot)
