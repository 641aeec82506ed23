"""Test-only bridge from mongomock-motor to the PyMongo async API the Mongo storage is written for.

Differences covered:
- the client is built tz-aware like the production client;
- PyMongo's async GridFS (AsyncGridFSBucket) runs on it: GridFS type-checks for AsyncDatabase /
  AsyncCollection, reaches sub-collections as attributes (`db.images.files`), awaits
  `list_indexes()` and passes `session=`; Motor's mock does none of these the PyMongo way;
- every collection call can be counted (one call = one storage round trip).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import gridfs.asynchronous.grid_file as async_gridfs
from bson.codec_options import CodecOptions
from mongomock_motor import AsyncMongoMockClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.write_concern import WriteConcern

CODEC_OPTIONS: CodecOptions[Any] = CodecOptions(tz_aware=True)


class ShimCollection:
    """A mongomock-motor collection with PyMongo's async calling conventions."""

    is_pymongo_shim = True

    def __init__(self, database: Any, name: str) -> None:
        self._database = database
        self._name = name
        self._target = database[name]
        self.name = name
        self.write_concern = WriteConcern()
        self.codec_options = CODEC_OPTIONS

    def with_options(self, **_options: Any) -> ShimCollection:
        return self

    def __getattr__(self, attr: str) -> Any:
        if attr in ("files", "chunks"):  # GridFS sub-collections
            return ShimCollection(self._database, f"{self._name}.{attr}")
        target = getattr(self._target, attr)
        if not callable(target):
            return target
        if attr == "list_indexes":  # a coroutine in PyMongo, a plain cursor in Motor

            async def listing(*args: Any, session: Any = None, **kwargs: Any) -> Any:
                return target(*args, **kwargs)

            return listing

        def call(*args: Any, session: Any = None, **kwargs: Any) -> Any:
            return target(*args, **kwargs)

        return call


class _ClientOptions:
    timeout = None


class _Client:
    options = _ClientOptions()


class ShimDatabase:
    is_pymongo_shim = True

    def __init__(self, database: Any) -> None:
        self._database = database
        self.name = database.name
        self.write_concern = WriteConcern()
        self.codec_options = CODEC_OPTIONS
        self.client = _Client()

    def with_options(self, **_options: Any) -> ShimDatabase:
        return self

    def __getitem__(self, name: str) -> ShimCollection:
        return ShimCollection(self._database, name)

    async def command(self, *args: Any, **kwargs: Any) -> Any:
        return await self._database.command(*args, **kwargs)


class _AcceptsShims(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        real = AsyncCollection if cls.__name__ == "AsyncCollection" else AsyncDatabase
        # Shims, and test wrappers that delegate attributes to one, say so with this marker.
        return isinstance(obj, real) or getattr(obj, "is_pymongo_shim", False) is True


# GridFS checks `isinstance(db, AsyncDatabase)` by module-level name; let the shims through.
async_gridfs.AsyncDatabase = _AcceptsShims("AsyncDatabase", (), {})  # type: ignore[misc]
async_gridfs.AsyncCollection = _AcceptsShims("AsyncCollection", (), {})  # type: ignore[misc]


def mock_database(name: str = "tracepass_test") -> ShimDatabase:
    return ShimDatabase(AsyncMongoMockClient(tz_aware=True)[name])


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
    """Wraps a (shim) database; `ops` counts calls per collection.method."""

    def __init__(self, database: Any) -> None:
        self._database = database
        self.ops: Counter[str] = Counter()

    def __getitem__(self, name: str) -> CountingCollection:
        return CountingCollection(self._database[name], self.ops, name)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._database, attr)

    async def command(self, *args: Any, **kwargs: Any) -> Any:
        self.ops["command"] += 1
        return await self._database.command(*args, **kwargs)

    def total(self) -> int:
        return sum(self.ops.values())
