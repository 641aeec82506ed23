"""Requests in flight, so a shutdown can wait for them (and /metrics can show them).

aiohttp's own graceful shutdown stops reading from connections at once, which strands a
request still receiving its body (an image upload); waiting on this count instead lets every
request that has started finish, body and all.
"""

from __future__ import annotations

import asyncio


class InFlightRequests:
    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.draining = False  # set on shutdown: answers close their connection

    @property
    def count(self) -> int:
        return self._count

    def started(self) -> None:
        self._count += 1
        self._idle.clear()

    def finished(self) -> None:
        self._count -= 1
        if self._count == 0:
            self._idle.set()

    async def wait_idle(self) -> None:
        """Return once nothing is in flight (bound it with asyncio.timeout)."""
        await self._idle.wait()
