"""PKCE S256 (RFC 7636): challenge and verifier shapes, and the check."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def is_challenge(value: str) -> bool:
    return bool(_CHALLENGE.match(value))


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verifies(challenge: str, verifier: str) -> bool:
    if not _VERIFIER.match(verifier):
        return False
    return hmac.compare_digest(s256(verifier), challenge)
