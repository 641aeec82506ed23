"""argon2id password hashing, run in a worker thread so the event loop never blocks on it."""

from __future__ import annotations

import asyncio
import functools

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@functools.cache
def _hasher() -> argon2.PasswordHasher:
    return argon2.PasswordHasher()  # argon2id with RFC 9106's low-memory profile


@functools.cache
def _dummy_hash() -> str:
    # Unknown emails are checked against this, so they take as long as a wrong password.
    return _hasher().hash("not a password anyone has")


def is_argon2id_hash(value: str) -> bool:
    if not value.startswith("$argon2id$"):
        return False
    try:
        argon2.extract_parameters(value)
    except InvalidHashError:
        return False
    return True


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher().hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    """None (no such user) costs the same as a real hash and is always False."""
    return await asyncio.to_thread(_verify, password_hash, password)
