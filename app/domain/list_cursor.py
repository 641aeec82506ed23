"""Opaque list cursors: the sort key (createdAt, id) of the last item a client has seen.

Page numbers shift when products are created while a client pages through the list; a cursor
names a position in the order itself, so a walk neither repeats nor skips anything.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from app.domain.ids import OBJECT_ID_PATTERN

_PAYLOAD = re.compile(rf"^(\d{{1,15}})\.({OBJECT_ID_PATTERN})$")

ListPosition = tuple[datetime, str]  # (createdAt, id)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)


def encode_cursor(created_at: datetime, product_id: str) -> str:
    millis = (created_at - EPOCH) // MILLISECOND
    return base64.urlsafe_b64encode(f"{millis}.{product_id}".encode()).decode().rstrip("=")


class Listed(Protocol):
    """What a cursor points at: an item's position in createdAt desc, id desc order."""

    @property
    def created_at(self) -> datetime: ...
    @property
    def id(self) -> str: ...


def next_cursor(items: Sequence[Listed], has_more: bool) -> str | None:
    """The cursor after a page's last item, when more items follow it."""
    return encode_cursor(items[-1].created_at, items[-1].id) if items and has_more else None


def decode_cursor(token: str) -> ListPosition | None:
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    match = _PAYLOAD.match(payload)
    if match is None:
        return None
    millis, product_id = match.groups()
    try:
        created_at = EPOCH + int(millis) * MILLISECOND
    except OverflowError:
        return None
    return created_at, product_id
