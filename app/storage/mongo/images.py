"""Product images in MongoDB GridFS (bucket `images`), through PyMongo's async GridFS API.

Each file's metadata names its workspace and product, so deleting an image or a product removes
exactly the files that product owns. Public reads go by file id alone: ids are random 128-bit
tokens, and GridFS's own indexes (files._id, chunks {files_id, n}) serve them.
"""

from __future__ import annotations

from typing import Any

from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo import ASCENDING, IndexModel

from app.domain.clock import as_utc
from app.domain.records import StoredImage
from app.storage.mongo.errors import translate_errors
from app.storage.mongo.ids import oid

BUCKET = "images"
FILES_COLLECTION = f"{BUCKET}.files"
CHUNKS_COLLECTION = f"{BUCKET}.chunks"  # GridFS indexes it on (files_id, n) at the first upload
FILES_INDEXES = [
    IndexModel(
        [("metadata.workspaceId", ASCENDING), ("metadata.productId", ASCENDING)],
        name="ws_product",
    )
]


class MongoImageRepository:
    def __init__(self, database: Any) -> None:
        self._database = database
        self._files = database[FILES_COLLECTION]
        self._chunks = database[CHUNKS_COLLECTION]
        self._bucket: AsyncGridFSBucket | None = None

    @property
    def bucket(self) -> AsyncGridFSBucket:
        # Built on first use: constructing it needs no round trip, but keeps start-up lean.
        if self._bucket is None:
            self._bucket = AsyncGridFSBucket(self._database, bucket_name=BUCKET)
        return self._bucket

    def _owner(self, workspace_id: str, product_id: str) -> dict[str, Any]:
        return {"metadata.workspaceId": oid(workspace_id), "metadata.productId": oid(product_id)}

    @translate_errors
    async def put(self, image: StoredImage) -> None:
        await self.bucket.upload_from_stream_with_id(
            image.id,
            f"{image.id}",
            image.data,
            metadata={
                "workspaceId": oid(image.workspace_id),
                "productId": oid(image.product_id),
                "contentType": image.content_type,
                "etag": image.etag,
            },
        )

    @translate_errors
    async def get(self, image_id: str) -> StoredImage | None:
        try:
            stream = await self.bucket.open_download_stream(image_id)
        except NoFile:
            return None
        data = await stream.read()
        metadata = stream.metadata or {}
        return StoredImage(
            id=image_id,
            workspace_id=str(metadata.get("workspaceId")),
            product_id=str(metadata.get("productId")),
            content_type=str(metadata.get("contentType", "application/octet-stream")),
            etag=str(metadata.get("etag", "")),
            data=data,
            created_at=as_utc(stream.upload_date),
        )

    @translate_errors
    async def delete(self, workspace_id: str, product_id: str, image_id: str) -> bool:
        # Removed here rather than by GridFS's delete, which matches the file by _id alone:
        # the files document goes by its owner (tenant first), then its chunks.
        result = await self._files.delete_one(
            {**self._owner(workspace_id, product_id), "_id": image_id}
        )
        if result.deleted_count == 0:
            return False  # not this product's image, or deleted concurrently: same outcome
        await self._chunks.delete_many({"files_id": image_id})
        return True

    @translate_errors
    async def delete_for_product(self, workspace_id: str, product_id: str) -> int:
        owner = self._owner(workspace_id, product_id)
        ids = [found["_id"] async for found in self._files.find(owner, {"_id": 1})]
        if not ids:
            return 0
        result = await self._files.delete_many({**owner, "_id": {"$in": ids}})
        await self._chunks.delete_many({"files_id": {"$in": ids}})
        return int(result.deleted_count)
