"""Conversions between the records' 24-hex string ids and BSON ObjectIds."""

from __future__ import annotations

import re

from bson import ObjectId

# The form ids are issued in: lowercase hex. An upper-case spelling names no product (as in the
# embedded store), so both backends answer it alike.
_CANONICAL_ID = re.compile(r"^[0-9a-f]{24}$")


def oid(value: str) -> ObjectId:
    return ObjectId(value)


def maybe_oid(value: str) -> ObjectId | None:
    """A malformed id is answered like an unknown one, so it simply matches nothing."""
    return ObjectId(value) if _CANONICAL_ID.match(value) else None
