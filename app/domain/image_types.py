"""Image type by magic bytes (contract §7): the client's Content-Type and file name are ignored."""

from __future__ import annotations

from app.domain.record import record


@record
class ImageType:
    content_type: str
    extension: str


PNG = ImageType("image/png", "png")
JPEG = ImageType("image/jpeg", "jpg")
WEBP = ImageType("image/webp", "webp")
BY_EXTENSION = {t.extension: t for t in (PNG, JPEG, WEBP)}
SNIFF_BYTES = 12  # enough for the longest signature (RIFF....WEBP)


def sniff_image_type(head: bytes) -> ImageType | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if len(head) >= SNIFF_BYTES and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None
