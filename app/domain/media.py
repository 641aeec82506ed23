"""Where the service serves the images it stores: a stable public URL per image."""

from __future__ import annotations

import re

MEDIA_PATH = "/media/images"
_IMAGE_PATH = re.compile(r"/media/images/([0-9a-f]{32})\.(?:png|jpg|webp)$")


def image_url(base_url: str, image_id: str, extension: str) -> str:
    return f"{base_url}{MEDIA_PATH}/{image_id}.{extension}"


def stored_image_id(url: str) -> str | None:
    """The id of an image this service stored, judged by the path (survives a base URL change);
    the image store still checks that the id belongs to the product before deleting anything."""
    match = _IMAGE_PATH.search(url.split("?", 1)[0])
    return None if match is None else match.group(1)
