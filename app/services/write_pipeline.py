"""The write pipeline after authentication (architecture.md): claim → validate → budget →
execute → finalize. Its order is what makes retries safe:

- the claim comes before validation, so a replay never depends on today's templates or rules;
- a 400 or 429 releases the claim (not a stored outcome), a 5xx releases it too;
- 2xx, 404 and 409 from executing are stored and replayed byte for byte;
- the budget unit is given back whenever the outcome is not 2xx.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from app.domain.budget import BudgetState
from app.domain.clock import utc_now
from app.domain.errors import ApiError
from app.domain.fingerprint import request_fingerprint
from app.domain.record import record
from app.domain.records import StoredResponse, Workspace
from app.services.daily_budget import DailyBudget, Reservation
from app.services.idempotency import Claimed, IdempotencyGuard

T = TypeVar("T")
log = logging.getLogger("app.writes")
STORED_ERROR_STATUSES = frozenset({404, 409})


@record
class WriteRequest:
    workspace: Workspace
    method: str
    path: str
    body: Any
    idempotency_key: str | None


@record
class PartlySpent:
    """An outcome that used fewer of the reserved units than it reserved (a batch whose items
    partly failed): the rest are given back."""

    response: StoredResponse
    units_used: int


@record
class WriteOutcome:
    response: StoredResponse
    replayed: bool
    budget: BudgetState | None


class WritePipeline:
    def __init__(self, idempotency: IdempotencyGuard, budget: DailyBudget) -> None:
        self._idempotency = idempotency
        self._budget = budget

    async def run(
        self,
        request: WriteRequest,
        *,
        prepare: Callable[[], Awaitable[T]],
        execute: Callable[[T, str | None], Awaitable[StoredResponse | PartlySpent]],
        recover: Callable[[str], Awaitable[StoredResponse | None]] | None = None,
        units: Callable[[T], int] | None = None,
    ) -> WriteOutcome:
        """`units` tells how many write units the prepared request costs (default 1)."""
        now = utc_now()
        claimed: Claimed | None = None
        if request.idempotency_key is not None:
            fingerprint = request_fingerprint(request.method, request.path, request.body)
            started = await self._idempotency.begin(
                request.workspace.id, request.idempotency_key, fingerprint, now
            )
            if isinstance(started, StoredResponse):
                return WriteOutcome(started, replayed=True, budget=None)
            claimed = started

        reservation: Reservation | None = None
        reserved = 0
        try:
            if claimed is not None and claimed.taken_over and recover is not None:
                recovered = await recover(claimed.key)
                if recovered is not None:
                    # The previous owner executed but died before finalizing: answer its result.
                    await self._idempotency.complete(claimed, recovered)
                    return WriteOutcome(recovered, replayed=False, budget=None)
            try:
                prepared = await prepare()
                reserved = 1 if units is None else units(prepared)
                reservation = await self._budget.reserve(request.workspace, now, reserved)
                executed = await execute(prepared, request.idempotency_key)
                if isinstance(executed, PartlySpent):
                    response = executed.response
                    if reservation is not None:
                        unused = reserved - executed.units_used
                        reservation = await self._budget.give_back(reservation, unused)
                        reserved = executed.units_used
                else:
                    response = executed
            except ApiError as err:
                # 404/409 are outcomes of the operation (also when found while preparing, e.g.
                # an unknown product): stored and replayed. Everything else propagates.
                if err.status not in STORED_ERROR_STATUSES:
                    raise
                response = StoredResponse(err.status, err.body_bytes())
            if reservation is not None and not 200 <= response.status < 300:
                reservation = await self._budget.give_back(reservation, reserved)
        except BaseException:
            await self._undo(claimed, reservation, reserved)
            raise
        if claimed is not None:
            await self._idempotency.complete(claimed, response)
        return WriteOutcome(
            response, replayed=False, budget=None if reservation is None else reservation.state
        )

    async def _undo(
        self, claimed: Claimed | None, reservation: Reservation | None, units: int
    ) -> None:
        # Best effort: when storage is down these may fail too; the lease and the day's end
        # bound the damage (a stuck claim frees itself after its lease).
        if reservation is not None:
            with contextlib.suppress(Exception):
                await self._budget.give_back(reservation, units)
        if claimed is not None:
            with contextlib.suppress(Exception):
                await self._idempotency.release(claimed)
