"""Ids that must be distinct but not secret: request ids and idempotency claim owners."""

from __future__ import annotations

import random


def distinct_id() -> str:
    """128 random bits as 32 hex digits, from the `random` module's generator.

    `secrets.token_hex` reads the OS's random source on every call, a system call that showed
    as 1-2 % of a request in the profiles. A request id is a reference for logs and support and
    a claim owner never leaves the service; neither grants anything, so the Mersenne Twister
    serves: it is seeded from the OS at start-up and reseeded in a forked child, so processes
    never share a sequence.
    """
    # to_bytes().hex(): half the cost of formatting the integer with "032x"; the same text.
    return random.getrandbits(128).to_bytes(16, "big").hex()
