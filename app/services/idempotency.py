"""Idempotency-Key claims (contract §3): claim, replay, in-flight conflict, lease takeover."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.domain.distinct_ids import distinct_id
from app.domain.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from app.domain.record import record
from app.domain.records import IdempotencyClaim, StoredResponse
from app.storage.protocols import IdempotencyRepository

RECORD_LIFETIME = timedelta(hours=24)
_CLAIM_ATTEMPTS = 3


@record
class Claimed:
    workspace_id: str
    key: str
    owner: str
    # True when a previous owner's lease ran out: its work may already be (partly) done.
    taken_over: bool


class IdempotencyGuard:
    def __init__(self, records: IdempotencyRepository, *, lease_seconds: float) -> None:
        self._records = records
        self._lease = timedelta(seconds=lease_seconds)

    async def begin(
        self, workspace_id: str, key: str, fingerprint: str, now: datetime
    ) -> Claimed | StoredResponse:
        """Our claim, or the stored response to replay. Raises 422 / 409 per the contract."""
        for _ in range(_CLAIM_ATTEMPTS):
            owner = distinct_id()
            lease_until, expires_at = now + self._lease, now + RECORD_LIFETIME
            # By position, in field order: a class called with keywords packs them into a dict
            # first (ProductDraft.stamped has the figures).
            claim = IdempotencyClaim(
                workspace_id, key, fingerprint, owner, lease_until, now, expires_at
            )
            existing = await self._records.claim(claim)
            if existing is None:
                return Claimed(workspace_id, key, owner, taken_over=False)
            if existing.expires_at <= now:
                if await self._records.replace_expired(claim, now):
                    return Claimed(workspace_id, key, owner, taken_over=False)
                continue
            if existing.fingerprint != fingerprint:
                raise IdempotencyKeyReused()
            if existing.response is not None:
                return existing.response
            if existing.lease_until > now:
                raise IdempotencyKeyInUse()
            if await self._records.take_over(
                workspace_id, key, existing.owner, owner, now + self._lease, now
            ):
                return Claimed(workspace_id, key, owner, taken_over=True)
        raise IdempotencyKeyInUse()

    async def complete(self, claimed: Claimed, response: StoredResponse) -> None:
        await self._records.complete(claimed.workspace_id, claimed.key, claimed.owner, response)

    async def release(self, claimed: Claimed) -> None:
        await self._records.release(claimed.workspace_id, claimed.key, claimed.owner)
