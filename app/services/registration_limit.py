"""At most 100 dynamic client registrations per peer address and clock hour (oauth.md §4.2),
counted in the shared usage counters so the limit holds across instances."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from app.storage.protocols import UsageRepository

REGISTRATIONS_PER_HOUR = 100


def _counter_id(peer: str) -> str:
    # The usage counters are keyed by a 24-hex id: a peer gets a stable pseudo-id of that shape
    # (the address itself is never stored). Its periods ("register:<hour>") never look like a
    # workspace's days, so the two kinds of counter cannot meet.
    return hashlib.sha256(b"dcr-peer:" + peer.encode()).hexdigest()[:24]


class RegistrationLimiter:
    def __init__(self, usage: UsageRepository, per_hour: int = REGISTRATIONS_PER_HOUR) -> None:
        self._usage = usage
        self._per_hour = per_hour

    async def reserve(self, peer: str, now: datetime) -> int | None:
        """None when the peer may register now; else seconds until the next hour."""
        hour = now.replace(minute=0, second=0, microsecond=0)
        next_hour = hour + timedelta(hours=1)
        used = await self._usage.reserve(
            _counter_id(peer),
            "register:" + hour.strftime("%Y-%m-%dT%H"),
            self._per_hour,
            next_hour + timedelta(hours=1),
        )
        if used is not None:
            return None
        return max(1, int((next_hour - now).total_seconds()))
