"""API key material: generation, the stored digest and the display prefix."""

from __future__ import annotations

import hashlib
import re
import secrets

KEY_PREFIX = "tp_"
_KEY_SHAPE = re.compile(r"^tp_[A-Za-z0-9_-]{32,256}$")
DISPLAY_PREFIX_LENGTH = 10  # "tp_" + 7 characters: enough to tell keys apart, useless to guess


def generate_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def is_well_formed(token: str) -> bool:
    return bool(_KEY_SHAPE.match(token))


def key_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def display_prefix(token: str) -> str:
    return token[:DISPLAY_PREFIX_LENGTH]


# Anything shaped like a key or an OAuth secret (tp_, tpat_, tprt_, tpcs_ + 16 or more key
# characters), wherever it appears in text.
_KEY_LIKE = re.compile(r"(tp|tpat|tprt|tpcs)_[A-Za-z0-9_-]{16,}")


def looks_like_api_key(text: str) -> bool:
    return _KEY_LIKE.search(text) is not None


def redact_api_keys(text: str) -> str:
    """For free text that ends up in logs (client-sent labels): keys never reach a log line."""
    return _KEY_LIKE.sub(r"\1_[redacted]", text)
