"""A test double for an unreliable MongoDB: wraps the (shim) database and makes chosen calls
raise PyMongo's own connection errors, a chosen number of times, then behave again."""

from __future__ import annotations

from collections import defaultdict
from typing import Any


class FaultPlan:
    def __init__(self) -> None:
        self._pending: dict[tuple[str, str], list[BaseException]] = defaultdict(list)
        self._always: dict[tuple[str, str], BaseException] = {}
        self.raised = 0

    def fail(self, collection: str, method: str, error: BaseException, times: int = 1) -> None:
        self._pending[(collection, method)].extend([error] * times)

    def outage(self, error: BaseException, collection: str = "*", method: str = "*") -> None:
        """Every matching call fails until heal()."""
        self._always[(collection, method)] = error

    def heal(self) -> None:
        self._pending.clear()
        self._always.clear()

    def check(self, collection: str, method: str) -> None:
        for key in ((collection, method), (collection, "*"), ("*", method), ("*", "*")):
            if key in self._always:
                self.raised += 1
                raise self._always[key]
        pending = self._pending.get((collection, method))
        if pending:
            self.raised += 1
            raise pending.pop(0)


class FaultyCollection:
    def __init__(self, collection: Any, name: str, plan: FaultPlan) -> None:
        self._collection = collection
        self._name = name
        self._plan = plan

    def __getattr__(self, attr: str) -> Any:
        target = getattr(self._collection, attr)
        if not callable(target) or attr in ("with_options",):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            self._plan.check(self._name, attr)
            return target(*args, **kwargs)

        return call


class FaultyDatabase:
    def __init__(self, database: Any, plan: FaultPlan) -> None:
        self._database = database
        self.plan = plan

    def __getitem__(self, name: str) -> FaultyCollection:
        return FaultyCollection(self._database[name], name, self.plan)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._database, attr)

    async def command(self, *args: Any, **kwargs: Any) -> Any:
        self.plan.check("$cmd", "command")
        return await self._database.command(*args, **kwargs)
