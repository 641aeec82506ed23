"""Opening the storage the settings select, for the service and the admin CLI alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app.settings import Settings
from app.storage.memory.store import MemoryStorage
from app.storage.protocols import Storage


@asynccontextmanager
async def opened_storage(settings: Settings, owner: str) -> AsyncIterator[Storage]:
    """STORAGE=memory: the in-process store. MONGODB_URI: that MongoDB. Otherwise the embedded
    database on EMBEDDED_DB_PATH: started here unless a running service already serves it
    (then its server is used), and stopped on exit if it was started here."""
    if settings.in_memory:
        yield MemoryStorage()
        return
    # Only Mongo modes need the driver and the process management.
    from app.storage.mongo.embedded import EmbeddedDatabase
    from app.storage.mongo.store import MongoStorage

    embedded = None
    uri = settings.mongodb_uri
    if not uri:
        embedded = EmbeddedDatabase(
            settings.embedded_db_path, "serve" if owner == "serve" else "cli"
        )
        uri = await embedded.open()
    storage = MongoStorage.connect(settings, uri)
    try:
        yield storage
    finally:
        await storage.close()
        if embedded is not None:
            await embedded.close()
