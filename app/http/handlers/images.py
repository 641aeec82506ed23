"""Image handlers: upload (multipart), delete by index, and the public file route."""

from __future__ import annotations

from aiohttp import web

from app.domain.errors import ImageNotFound
from app.domain.media import parse_image_name
from app.domain.records import StoredResponse
from app.http.app_keys import SERVICES, WORKSPACE
from app.http.handlers.products import PRODUCT_ID, product_response
from app.http.image_upload import read_image_upload, require_multipart
from app.http.models import ImageUploadOut
from app.http.responses import model_bytes
from app.http.writes import run_write
from app.services.images import MAX_IMAGE_BYTES, ImageUpload

IMMUTABLE = "public, max-age=31536000, immutable"  # a stored image never changes under its URL


async def upload_image(request: web.Request) -> web.Response:
    workspace = request[WORKSPACE]
    images = request.app[SERVICES].images
    product_id = request.match_info[PRODUCT_ID]
    require_multipart(request, MAX_IMAGE_BYTES)

    async def prepare() -> ImageUpload:
        await images.check_room(workspace, product_id)  # before reading up to 5 MB
        return await read_image_upload(request, MAX_IMAGE_BYTES)

    async def execute(upload: ImageUpload, _key: str | None) -> StoredResponse:
        attached = await images.attach(workspace, product_id, upload)
        body = ImageUploadOut(imageUrl=attached.url, imageUrls=attached.product.image_urls)
        return StoredResponse(status=201, body=model_bytes(body), location=attached.url)

    # The contract exempts the multipart upload from Idempotency-Key: a sent key is ignored.
    return await run_write(
        request, body=None, prepare=prepare, execute=execute, honours_idempotency_key=False
    )


async def delete_image(request: web.Request) -> web.Response:
    workspace = request[WORKSPACE]
    images = request.app[SERVICES].images
    product_id = request.match_info[PRODUCT_ID]
    raw_index = request.match_info["index"]

    async def prepare() -> int:
        # Anything but a plain zero-based number names no image.
        if not (raw_index.isascii() and raw_index.isdigit() and len(raw_index) <= 4):
            raise ImageNotFound()
        return int(raw_index)

    async def execute(index: int, _key: str | None) -> StoredResponse:
        return product_response(await images.detach(workspace, product_id, index))

    return await run_write(request, body=None, prepare=prepare, execute=execute)


async def serve_image(request: web.Request) -> web.Response:
    parsed = parse_image_name(request.match_info["name"])
    if parsed is None:
        raise ImageNotFound()
    image_id, image_type = parsed
    image = await request.app[SERVICES].images.find(image_id)
    if image is None or image.content_type != image_type.content_type:
        raise ImageNotFound()
    headers = {
        "ETag": image.etag,
        "Cache-Control": IMMUTABLE,
        "X-Content-Type-Options": "nosniff",
    }
    if image.etag in request.headers.getall("If-None-Match", []) or (
        request.headers.get("If-None-Match", "").strip() == "*"
    ):
        return web.Response(status=304, headers=headers)
    return web.Response(body=image.data, content_type=image.content_type, headers=headers)
