"""Plans are seeded data; this book caches them briefly so a limit change needs no release."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from app.domain.records import Plan
from app.storage.protocols import PlanRepository

log = logging.getLogger("app.plans")
FALLBACK_PLAN = "free"


class PlanBook:
    def __init__(
        self,
        plans: PlanRepository,
        *,
        cache_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._plans = plans
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._by_name: dict[str, Plan] = {}
        self._fresh_until = float("-inf")

    async def get(self, name: str) -> Plan:
        if self._clock() >= self._fresh_until:
            self._by_name = {p.plan: p for p in await self._plans.list_all()}
            self._fresh_until = self._clock() + self._cache_seconds
        plan = self._by_name.get(name)
        if plan is None:
            # A workspace on a plan nobody seeded gets the most restrictive budget, not unlimited.
            log.warning("workspace plan %r is not seeded; applying %r", name, FALLBACK_PLAN)
            plan = self._by_name.get(
                FALLBACK_PLAN, Plan(FALLBACK_PLAN, 100, None, False, 3, False, 30, False)
            )
        return plan
