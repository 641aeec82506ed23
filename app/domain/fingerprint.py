"""Request fingerprint for Idempotency-Key: method + path + canonical JSON body."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_fingerprint(method: str, path: str, body: Any) -> str:
    payload = f"{method.upper()}\n{path}\n{canonical_json(body)}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
