"""What the Mongo repositories really send: PyMongo's command monitoring on a test client.

A `CommandLog` passed as `event_listeners=[log]` sees every command the client puts on the wire
(one command = one round trip), with its collection and, for reads and writes, the filter and
sort it carries. Heartbeats and connection handshakes are not commands and are not counted.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from typing import Any

from pymongo import monitoring

Keys = list[tuple[str, int]]


@dataclasses.dataclass(frozen=True)
class SentCommand:
    name: str  # the command: find, insert, findAndModify, update, delete, aggregate...
    collection: str | None  # None for database-level commands (ping, dropDatabase...)
    document: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.collection}.{self.name}" if self.collection else self.name


@dataclasses.dataclass(frozen=True)
class Query:
    """One filter the server evaluates, with the sort applied to its result."""

    collection: str
    command: str
    filter: dict[str, Any]
    sort: Keys = dataclasses.field(default_factory=list)
    limit: int = 0  # 0: no limit


def _sort(spec: Any) -> Keys:
    return [(field, int(direction)) for field, direction in dict(spec or {}).items()]


class CommandLog(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: list[SentCommand] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        collection = target if isinstance(target, str) else None
        document = copy.deepcopy(dict(event.command))
        self.commands.append(SentCommand(event.command_name, collection, document))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def clear(self) -> None:
        self.commands.clear()

    def count(self) -> int:
        return len(self.commands)

    def labels(self) -> Counter[str]:
        return Counter(command.label for command in self.commands)

    def queries(self) -> list[Query]:
        """Every filter sent, by the command that carries it."""
        found: list[Query] = []
        for sent in self.commands:
            doc, collection = sent.document, sent.collection
            if collection is None:
                continue
            if sent.name == "find":
                found.append(
                    Query(
                        collection,
                        "find",
                        doc.get("filter", {}),
                        _sort(doc.get("sort")),
                        int(doc.get("limit", 0)),
                    )
                )
            elif sent.name == "findAndModify":
                found.append(
                    Query(collection, "findAndModify", doc.get("query", {}), _sort(doc.get("sort")))
                )
            elif sent.name in ("count", "distinct"):
                found.append(Query(collection, sent.name, doc.get("query", {})))
            elif sent.name == "update":
                found.extend(Query(collection, "update", u["q"]) for u in doc["updates"])
            elif sent.name == "delete":
                found.extend(Query(collection, "delete", d["q"]) for d in doc["deletes"])
            elif sent.name == "aggregate":
                stages = doc.get("pipeline") or [{}]
                match = stages[0].get("$match")
                found.append(Query(collection, "aggregate", match if match is not None else {}))
        return found
