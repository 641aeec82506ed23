"""Conversions between the records' 24-hex string ids and BSON ObjectIds."""

from __future__ import annotations

from bson import ObjectId

from app.domain.ids import is_object_id


def oid(value: str) -> ObjectId:
    return ObjectId(value)


def maybe_oid(value: str) -> ObjectId | None:
    """A malformed id is answered like an unknown one, so it simply matches nothing."""
    return ObjectId(value) if is_object_id(value) else None
