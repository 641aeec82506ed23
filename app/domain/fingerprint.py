"""Request fingerprint for Idempotency-Key: method + path + canonical JSON body."""

from __future__ import annotations

import hashlib
from typing import Any

from app.domain.compact_json import compact_json


def request_fingerprint(method: str, path: str, body: Any) -> str:
    digest = hashlib.sha256(f"{method.upper()}\n{path}\n".encode())
    digest.update(compact_json(body, sort_keys=True))
    return digest.hexdigest()
