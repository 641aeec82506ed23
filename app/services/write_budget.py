"""Daily write budget: reserve a unit before executing, give it back when the outcome is not 2xx."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.budget import BudgetState
from app.domain.clock import next_utc_midnight, utc_day
from app.domain.records import Workspace
from app.services.plans import PlanBook
from app.storage.protocols import UsageRepository

COUNTER_RETENTION = timedelta(days=2)  # TTL cleanup of day counters well after the day ends


@dataclass(frozen=True, slots=True)
class Reservation:
    workspace_id: str
    state: BudgetState


class WriteBudget:
    def __init__(self, usage: UsageRepository, plans: PlanBook) -> None:
        self._usage = usage
        self._plans = plans

    async def reserve(self, workspace: Workspace, now: datetime) -> Reservation | None:
        """A reserved unit, None for an unlimited plan; raises RateLimitExceeded when spent."""
        plan = await self._plans.get(workspace.plan)
        limit = plan.writes_per_day
        if limit is None:
            return None
        day = utc_day(now)
        used = await self._usage.reserve(
            workspace.id, day, limit, next_utc_midnight(now) + COUNTER_RETENTION
        )
        if used is None:
            used_now = await self._usage.used(workspace.id, day)
            raise BudgetState(plan.plan, limit, max(used_now, limit), day, now).exceeded()
        return Reservation(workspace.id, BudgetState(plan.plan, limit, used, day, now))

    async def give_back(self, reservation: Reservation) -> Reservation:
        await self._usage.give_back(reservation.workspace_id, reservation.state.day)
        state = dataclasses.replace(reservation.state, used=reservation.state.used - 1)
        return dataclasses.replace(reservation, state=state)
