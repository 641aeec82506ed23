"""Daily budgets per workspace and UTC day (contract §4): writes always, reads when a plan
caps them. Reserve a unit before executing; give it back when a write's outcome is not 2xx."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from app.domain.budget import BudgetKind, BudgetState
from app.domain.clock import next_utc_midnight, utc_day, utc_now
from app.domain.record import record
from app.domain.records import Plan, Workspace
from app.services.plans import PlanBook
from app.storage.protocols import UsageRepository

COUNTER_RETENTION = timedelta(days=2)  # TTL cleanup of day counters well after the day ends


@record
class Reservation:
    workspace_id: str
    counter: str
    state: BudgetState


def _limit(plan: Plan, kind: BudgetKind) -> int | None:
    return plan.writes_per_day if kind == "writes" else plan.reads_per_day


def _counter(day: str, kind: BudgetKind) -> str:
    # One counter document per workspace and key: the write counter keeps the bare day (as
    # stored since the first release), other kinds add a suffix.
    return day if kind == "writes" else f"{day}:{kind}"


class DailyBudget:
    def __init__(self, usage: UsageRepository, plans: PlanBook, kind: BudgetKind) -> None:
        self._usage = usage
        self._plans = plans
        self._kind = kind

    async def reserve(
        self, workspace: Workspace, now: datetime | None = None, units: int = 1
    ) -> Reservation | None:
        """`units` reserved units (all or none), None when the plan sets no limit (no storage
        round trip then); raises RateLimitExceeded when the day's units are not there. `now`
        defaults to the clock, read only when the plan has a limit."""
        plan = await self._plans.get(workspace.plan)
        limit = _limit(plan, self._kind)
        if limit is None:
            return None
        if now is None:
            now = utc_now()
        day = utc_day(now)
        counter = _counter(day, self._kind)
        used = await self._usage.reserve(
            workspace.id, counter, limit, next_utc_midnight(now) + COUNTER_RETENTION, units
        )
        if used is None:
            used_now = await self._usage.used(workspace.id, counter)
            # A batch can be refused with units to spare: report the real count then.
            used_shown = used_now if units > 1 else max(used_now, limit)
            state = BudgetState(plan.plan, limit, used_shown, day, now, self._kind)
            raise state.exceeded()
        return Reservation(
            workspace.id, counter, BudgetState(plan.plan, limit, used, day, now, self._kind)
        )

    async def give_back(self, reservation: Reservation, units: int = 1) -> Reservation:
        if units <= 0:
            return reservation
        await self._usage.give_back(reservation.workspace_id, reservation.counter, units)
        state = dataclasses.replace(reservation.state, used=reservation.state.used - units)
        return dataclasses.replace(reservation, state=state)
