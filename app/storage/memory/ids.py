"""Ids for the embedded store: the same 24-hex ObjectId format MongoDB uses."""

from bson import ObjectId


def new_id() -> str:
    return str(ObjectId())
