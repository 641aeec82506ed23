"""Conversions between the records' 24-hex string ids and BSON ObjectIds."""

from __future__ import annotations

from bson import ObjectId


def oid(value: str) -> ObjectId:
    return ObjectId(value)


def maybe_oid(value: str) -> ObjectId | None:
    """A malformed id is answered like an unknown one, so it simply matches nothing."""
    return ObjectId(value) if ObjectId.is_valid(value) and len(value) == 24 else None
