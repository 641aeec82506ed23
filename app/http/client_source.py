"""Which client sent a request, as the access log's `source`.

Today's official TracePass clients send `X-Source` (`mcp`, `n8n`); older integrations send
`X-TracePass-Source` (`n8n-node/1.0`). Both are free text a client controls, so the value is
cleaned, redacted and bounded before it reaches a log line.
"""

from __future__ import annotations

from collections.abc import Mapping

from multidict import istr

from app.domain.api_keys import redact_api_keys

# The first one sent (non-blank) wins; istr, so a lookup does not fold the name each time.
SOURCE_HEADERS = (istr("X-Source"), istr("X-TracePass-Source"))
MAX_SOURCE_LENGTH = 200


def _clean(value: str) -> str:
    printable = "".join(char for char in value if char.isprintable())
    # Redacted before it is cut: a cut could leave a key fragment too short to recognise.
    return redact_api_keys(printable.strip())[:MAX_SOURCE_LENGTH]


def client_source(headers: Mapping[str, str]) -> str | None:
    for name in SOURCE_HEADERS:
        sent = headers.get(name)
        # Most requests send neither header: no cleaning (a join and a regex) for nothing.
        cleaned = None if sent is None else _clean(sent)
        if cleaned:
            return cleaned
    return None
