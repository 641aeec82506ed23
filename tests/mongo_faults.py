"""Faults injected by the server itself: `configureFailPoint` `failCommand` on the session's
embedded server (started with --enable-test-commands).

A failpoint is server-wide, so every one set here is scoped to the `appName` of one test's
client: other clients, including the one that sets and clears it, are never affected. The server
holds one failCommand at a time; `FailPoints` is an async context manager that always turns it
off on exit.
"""

from __future__ import annotations

import uuid
from typing import Any, Self

from pymongo import AsyncMongoClient

# What a storage outage fails: every command the repositories send, and the readiness ping.
DATA_COMMANDS = [
    "ping",
    "find",
    "getMore",
    "insert",
    "update",
    "delete",
    "findAndModify",
    "aggregate",
    "count",
    "listIndexes",
    "createIndexes",
]
# The driver's monitor and handshake: failing these too makes the server unselectable.
HANDSHAKE_COMMANDS = ["hello", "isMaster"]


class FailPoints:
    def __init__(self, admin: AsyncMongoClient[Any]) -> None:
        self._admin = admin
        self.app_name = f"faults-{uuid.uuid4().hex[:12]}"

    async def _configure(self, mode: Any, **data: Any) -> None:
        await self._admin.admin.command(
            {
                "configureFailPoint": "failCommand",
                "mode": mode,
                "data": {"appName": self.app_name, **data},
            }
        )

    async def fail(
        self, commands: list[str], *, times: int = 1, skip: int = 0, **behaviour: Any
    ) -> None:
        """The next `times` matching commands (after `skip` of them) fail as `behaviour` says:
        errorCode=N, closeConnection=True, blockConnection=True with blockTimeMS..."""
        await self._configure({"times": times, "skip": skip}, failCommands=commands, **behaviour)

    async def outage(self, commands: list[str], **behaviour: Any) -> None:
        """Every matching command fails until heal()."""
        await self._configure("alwaysOn", failCommands=commands, **behaviour)

    async def heal(self) -> None:
        await self._admin.admin.command({"configureFailPoint": "failCommand", "mode": "off"})

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.heal()
