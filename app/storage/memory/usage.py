"""Embedded per-workspace, per-UTC-day write counters."""

from __future__ import annotations

from datetime import datetime


class MemoryUsageRepository:
    def __init__(self) -> None:
        self._used: dict[tuple[str, str], int] = {}

    async def reserve(
        self, workspace_id: str, day: str, limit: int, expires_at: datetime, count: int = 1
    ) -> int | None:
        slot = (workspace_id, day)
        used = self._used.get(slot, 0)
        if used + count > limit:
            return None
        self._used[slot] = used + count
        return used + count

    async def give_back(self, workspace_id: str, day: str, count: int = 1) -> None:
        slot = (workspace_id, day)
        if self._used.get(slot, 0) >= count:
            self._used[slot] -= count

    async def used(self, workspace_id: str, day: str) -> int:
        return self._used.get((workspace_id, day), 0)
