"""Ids for requests that bring no usable X-Request-Id."""

from __future__ import annotations

import random
import secrets


class RequestIds:
    """128 random bits as 32 hex digits, from a Mersenne Twister seeded once from the OS.

    `secrets.token_hex` reads the OS's random source on every call, a system call that showed
    as 1-2 % of a request in the profiles. A request id is a reference for logs and support, not
    a secret (it is sent to the client and grants nothing), so a fast generator serves; seeding
    it from the OS keeps ids unrelated across processes and restarts.
    """

    __slots__ = ("_random",)

    def __init__(self) -> None:
        self._random = random.Random(secrets.randbits(128))

    def new(self) -> str:
        return f"{self._random.getrandbits(128):032x}"
