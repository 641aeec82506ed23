"""Header names the service both writes and reads, as istr (like `aiohttp.hdrs`): one spelling
for writer and reader, and a case-insensitive lookup by an istr does not fold its case per call."""

from __future__ import annotations

from multidict import istr

REQUEST_ID = istr("X-Request-Id")  # echoed when sane, else generated; on every response
IDEMPOTENT_REPLAYED = istr("Idempotent-Replayed")  # "true" on a replayed write outcome
