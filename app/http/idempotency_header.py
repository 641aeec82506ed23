"""The Idempotency-Key request header (contract §3)."""

from __future__ import annotations

import re

from multidict import CIMultiDictProxy, istr

from app.domain.errors import InvalidIdempotencyKey

HEADER = istr("Idempotency-Key")  # istr: its case is folded once, not per lookup
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]{1,255}$")


def idempotency_key(headers: CIMultiDictProxy[str]) -> str | None:
    """The key, unwrapped from structured-field quotes; None when the header is absent."""
    values: list[str] = list(headers.getall(HEADER, []))
    if not values:
        return None
    if len(values) > 1:
        raise InvalidIdempotencyKey("Send exactly one Idempotency-Key header")
    value = values[0].strip()
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        value = value[1:-1]
    if not _PRINTABLE_ASCII.match(value) or not value.strip():
        raise InvalidIdempotencyKey()
    return value
