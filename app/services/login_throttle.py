"""Login throttling (oauth.md §5.2): 5 failures per email or 20 per peer address in 60 s.

Failures are counted in a sliding window per process. While a key is over its limit every
attempt is refused, the right password included, until its oldest counted failure leaves the
window. The counters live in this object (one per app), bounded in size so a flood of
distinct emails cannot grow memory without limit.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0
EMAIL_LIMIT = 5
PEER_LIMIT = 20
MAX_TRACKED_KEYS = 100_000


class _Window:
    def __init__(self, limit: int, clock: Callable[[], float]) -> None:
        self._limit = limit
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str, now: float) -> deque[float] | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and failures[0] <= now - WINDOW_SECONDS:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures

    def blocked_for(self, key: str) -> float:
        """Seconds until `key` may try again; 0 when it may now."""
        now = self._clock()
        failures = self._recent(key, now)
        if failures is None or len(failures) < self._limit:
            return 0.0
        # The attempt is allowed again once enough failures have left the window.
        return failures[-self._limit] + WINDOW_SECONDS - now

    def record(self, key: str) -> None:
        now = self._clock()
        failures = self._recent(key, now)
        if failures is None:
            failures = self._failures[key] = deque(maxlen=self._limit)
        failures.append(now)
        self._failures.move_to_end(key)
        while len(self._failures) > MAX_TRACKED_KEYS:
            self._failures.popitem(last=False)

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)


class LoginThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._emails = _Window(EMAIL_LIMIT, clock)
        self._peers = _Window(PEER_LIMIT, clock)

    def retry_after(self, email: str, peer: str) -> int | None:
        """Whole seconds to wait (at least 1) when this attempt is refused, else None."""
        wait = max(self._emails.blocked_for(email), self._peers.blocked_for(peer))
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, email: str, peer: str) -> None:
        self._emails.record(email)
        self._peers.record(peer)

    def succeeded(self, email: str) -> None:
        # A right password clears the email's count; the peer's stays (one address trying
        # many accounts is what the peer limit is for).
        self._emails.clear(email)
