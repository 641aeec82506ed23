"""Test-only bridge from mongomock-motor to the PyMongo async API the Mongo storage is written for.

Differences covered: the client is built tz-aware like the production client, and every
collection call can be counted (one call = one storage round trip).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from mongomock_motor import AsyncMongoMockClient


def mock_database(name: str = "tracepass_test") -> Any:
    return AsyncMongoMockClient(tz_aware=True)[name]


class CountingCollection:
    def __init__(self, collection: Any, counter: Counter[str], name: str) -> None:
        self._collection = collection
        self._counter = counter
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        target = getattr(self._collection, attr)
        if not callable(target):
            return target

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._counter[f"{self._name}.{attr}"] += 1
            return target(*args, **kwargs)

        return counted


class CountingDatabase:
    """Wraps a (mock) AsyncDatabase; `ops` counts calls per collection.method."""

    def __init__(self, database: Any) -> None:
        self._database = database
        self.ops: Counter[str] = Counter()

    def __getitem__(self, name: str) -> CountingCollection:
        return CountingCollection(self._database[name], self.ops, name)

    async def command(self, *args: Any, **kwargs: Any) -> Any:
        self.ops["command"] += 1
        return await self._database.command(*args, **kwargs)

    def total(self) -> int:
        return sum(self.ops.values())
