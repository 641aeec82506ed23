"""Product images the service stores: upload (append to imageUrls), delete by index, serve."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Awaitable

from app.domain.clock import utc_now
from app.domain.errors import ApiError, ImageLimitReached, ImageNotFound, ProductNotFound
from app.domain.image_types import ImageType
from app.domain.image_urls import MAX_IMAGE_URLS
from app.domain.media import image_url, stored_image_id
from app.domain.record import record
from app.domain.records import Product, StoredImage, Workspace
from app.storage.protocols import ImageLimitError, ImageRepository, ProductRepository

log = logging.getLogger("app.images")
MAX_IMAGE_BYTES = 5 * 1024 * 1024


@record
class ImageUpload:
    """A received file whose type was judged by its magic bytes."""

    data: bytes
    image_type: ImageType


@record
class AttachedImage:
    url: str
    product: Product


class ImageService:
    def __init__(
        self, products: ProductRepository, images: ImageRepository, public_base_url: str
    ) -> None:
        self._products = products
        self._images = images
        self._base_url = public_base_url

    async def check_room(self, workspace: Workspace, product_id: str) -> None:
        """Fail fast (404 / 409) before the client's file is read; attach() re-checks atomically."""
        product = await self._products.get(workspace.id, product_id)
        if product is None:
            raise ProductNotFound()
        if len(product.image_urls) >= MAX_IMAGE_URLS:
            raise ImageLimitReached(MAX_IMAGE_URLS)

    async def attach(
        self, workspace: Workspace, product_id: str, upload: ImageUpload
    ) -> AttachedImage:
        now = utc_now()
        image = StoredImage(
            id=secrets.token_hex(16),  # unguessable: the URL is public
            workspace_id=workspace.id,
            product_id=product_id,
            content_type=upload.image_type.content_type,
            etag=f'"{hashlib.sha256(upload.data).hexdigest()[:32]}"',
            data=upload.data,
            created_at=now,
        )
        url = image_url(self._base_url, image.id, upload.image_type.extension)
        # File first, then the URL: a URL never points at a file that is not there yet.
        await self._images.put(image)
        try:
            product = await self._products.push_image_url(
                workspace.id, product_id, url, MAX_IMAGE_URLS, now
            )
        except ImageLimitError:
            await self._discard(image)
            raise ImageLimitReached(MAX_IMAGE_URLS) from None
        except BaseException:
            await self._discard(image)
            raise
        if product is None:
            await self._discard(image)
            raise ProductNotFound()
        return AttachedImage(url, product)

    async def detach(self, workspace: Workspace, product_id: str, index: int) -> Product:
        try:
            result = await self._products.remove_image_url(
                workspace.id, product_id, index, utc_now()
            )
        except IndexError:
            raise ImageNotFound() from None
        if result is None:
            raise ProductNotFound()
        product, removed_url = result
        await self.discard_stored(product, [removed_url])
        return product

    async def find(self, image_id: str) -> StoredImage | None:
        return await self._images.get(image_id)

    async def discard_stored(self, product: Product, urls: list[str]) -> None:
        """Delete the files behind URLs this service stored for the product (best effort:
        the URLs are already gone from the product, so a leftover file is only storage)."""
        for url in urls:
            image_id = stored_image_id(url)
            if image_id is not None:
                await self._best_effort(
                    self._images.delete(product.workspace_id, product.id, image_id), image_id
                )

    async def discard_all(self, product: Product) -> None:
        await self._best_effort(
            self._images.delete_for_product(product.workspace_id, product.id), product.id
        )

    async def _discard(self, image: StoredImage) -> None:
        await self._best_effort(
            self._images.delete(image.workspace_id, image.product_id, image.id), image.id
        )

    @staticmethod
    async def _best_effort(cleanup: Awaitable[object], subject: str) -> None:
        try:
            await cleanup
        except ApiError:
            log.warning("could not delete stored image(s) of %s", subject)
