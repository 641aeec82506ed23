"""Reading the multipart image upload: one part `file`, read in chunks and never past the limit."""

from __future__ import annotations

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from app.domain.errors import (
    ImageTooLarge,
    UnsupportedImageType,
    UnsupportedMediaType,
    ValidationFailed,
)
from app.domain.image_types import sniff_image_type
from app.services.images import ImageUpload

CHUNK_BYTES = 64 * 1024
MULTIPART_OVERHEAD_BYTES = 64 * 1024  # boundaries and part headers around the file
MALFORMED = "Malformed multipart/form-data body"


def require_multipart(request: web.Request, max_file_bytes: int) -> None:
    """Checks that need no body: media type, and a declared length far over the limit."""
    if request.content_type != "multipart/form-data":
        raise UnsupportedMediaType("Content-Type must be multipart/form-data")
    length = request.content_length
    if length is not None and length > max_file_bytes + MULTIPART_OVERHEAD_BYTES:
        raise ImageTooLarge(max_file_bytes)


async def _read_limited(part: BodyPartReader, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise ImageTooLarge(max_bytes)  # stop reading: the rest is never buffered
        chunks.append(chunk)
    return b"".join(chunks)


async def read_image_upload(request: web.Request, max_bytes: int) -> ImageUpload:
    data: bytes | None = None
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name != "file":
                name = getattr(part, "name", None) or "(unnamed part)"
                raise ValidationFailed({name: ["Unknown field; send one part named `file`"]})
            if data is not None:
                raise ValidationFailed({"file": ["Send exactly one file"]})
            data = await _read_limited(part, max_bytes)
    except (
        HttpProcessingError,
        ValueError,
        RuntimeError,
        AssertionError,
        EOFError,
        LookupError,
    ) as exc:
        # aiohttp's multipart parser reports a broken body (bad part headers, a missing
        # boundary, a truncated stream) with these.
        raise ValidationFailed({}, [MALFORMED]) from exc
    if data is None:
        raise ValidationFailed({"file": ["Required"]})
    image_type = sniff_image_type(data[:12])
    if image_type is None:
        raise UnsupportedImageType()
    return ImageUpload(data, image_type)
