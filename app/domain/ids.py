"""Resource ids: 24-hex ObjectIds, in the lowercase form they are issued in. Any other spelling
names nothing, in both storage backends alike (contract §1: a malformed id is a 404)."""

from __future__ import annotations

import re

OBJECT_ID_PATTERN = "[0-9a-f]{24}"
_OBJECT_ID = re.compile(f"^{OBJECT_ID_PATTERN}$")


def is_object_id(value: str) -> bool:
    return _OBJECT_ID.match(value) is not None
