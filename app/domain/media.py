"""Where the service serves the images it stores: a stable public URL per image,
`<base>/media/images/<32-hex id>.<png|jpg|webp>`. One pattern serves the route's
documentation, the public handler and the check for "is this URL one of ours"."""

from __future__ import annotations

import re

from app.domain.image_types import BY_EXTENSION, ImageType

MEDIA_PATH = "/media/images"
IMAGE_NAME_PATTERN = rf"([0-9a-f]{{32}})\.({'|'.join(BY_EXTENSION)})"
_IMAGE_NAME = re.compile(rf"^{IMAGE_NAME_PATTERN}$")
_IMAGE_PATH = re.compile(rf"{MEDIA_PATH}/{IMAGE_NAME_PATTERN}$")


def image_url(base_url: str, image_id: str, extension: str) -> str:
    return f"{base_url}{MEDIA_PATH}/{image_id}.{extension}"


def parse_image_name(name: str) -> tuple[str, ImageType] | None:
    """`<id>.<ext>` → (id, the type that extension names); None for anything else."""
    match = _IMAGE_NAME.match(name)
    return None if match is None else (match.group(1), BY_EXTENSION[match.group(2)])


def stored_image_id(url: str) -> str | None:
    """The id of an image this service stored, judged by the path (survives a base URL change);
    the image store still checks that the id belongs to the product before deleting anything."""
    match = _IMAGE_PATH.search(url.split("?", 1)[0])
    return None if match is None else match.group(1)
