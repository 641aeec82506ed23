"""Daily write budget arithmetic and the RateLimit header values (contract §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from app.domain.clock import format_timestamp, next_utc_midnight
from app.domain.errors import RateLimitExceeded
from app.domain.record import record

WINDOW_SECONDS = 86400
BudgetKind = Literal["writes", "reads"]


@record
class BudgetState:
    plan: str
    limit: int
    used: int
    day: str
    now: datetime
    kind: BudgetKind = "writes"

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    @property
    def reset_at(self) -> datetime:
        return next_utc_midnight(self.now)

    @property
    def seconds_to_reset(self) -> int:
        return max(int((self.reset_at - self.now).total_seconds() + 0.999), 1)

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Policy": f'"{self.kind}";q={self.limit};w={WINDOW_SECONDS}',
            "RateLimit": f'"{self.kind}";r={self.remaining};t={self.seconds_to_reset}',
        }

    def exceeded(self) -> RateLimitExceeded:
        return RateLimitExceeded(
            f"Daily v1 {self.kind[:-1]} limit reached for your plan ({self.limit} per UTC day). "
            "It resets at 00:00 UTC.",
            details={
                "plan": self.plan,
                "limit": self.limit,
                "used": min(self.used, self.limit),
                "resetAt": format_timestamp(self.reset_at),
            },
            headers={**self.headers(), "Retry-After": str(self.seconds_to_reset)},
        )
