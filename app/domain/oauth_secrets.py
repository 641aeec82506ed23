"""OAuth secrets: access and refresh tokens, codes, client secrets. Random, stored as digests."""

from __future__ import annotations

import hashlib
import re
import secrets

ACCESS_PREFIX = "tpat_"
REFRESH_PREFIX = "tprt_"
CLIENT_SECRET_PREFIX = "tpcs_"
_ACCESS_SHAPE = re.compile(r"^tpat_[A-Za-z0-9_-]{43}$")
_REFRESH_SHAPE = re.compile(r"^tprt_[A-Za-z0-9_-]{43}$")
_CLIENT_SECRET_SHAPE = re.compile(r"^tpcs_[A-Za-z0-9_-]{32,256}$")
_CLIENT_ID_SHAPE = re.compile(r"^[A-Za-z0-9._~-]{3,64}$")


def new_access_token() -> str:
    return ACCESS_PREFIX + secrets.token_urlsafe(32)  # 256 bits, 43 characters


def new_refresh_token() -> str:
    return REFRESH_PREFIX + secrets.token_urlsafe(32)


def new_code() -> str:
    return secrets.token_urlsafe(32)


def new_client_secret() -> str:
    return CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)


def new_client_id() -> str:
    return "tpc_" + secrets.token_urlsafe(16)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def is_access_token(value: str) -> bool:
    return bool(_ACCESS_SHAPE.match(value))


def is_refresh_token(value: str) -> bool:
    return bool(_REFRESH_SHAPE.match(value))


def is_client_secret(value: str) -> bool:
    return bool(_CLIENT_SECRET_SHAPE.match(value))


def is_client_id(value: str) -> bool:
    return bool(_CLIENT_ID_SHAPE.match(value))
