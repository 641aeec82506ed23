"""Picking a representation by the `Accept` header (RFC 9110 §12.5.1), q-values honoured.

python-mimeparse ranks the offers; this module only makes it forgiving: a malformed media range
is skipped instead of failing the whole header (scanner apps send odd ones), and when nothing
is acceptable the caller's default answers, as passports-api §11 asks, rather than a 406.
"""

from __future__ import annotations

from collections.abc import Sequence

import mimeparse


def _well_formed_ranges(accept: str) -> str:
    kept = []
    for media_range in accept.split(","):
        if not media_range.strip():
            continue
        try:
            mimeparse.parse_media_range(media_range)
        except (mimeparse.MimeTypeParseException, ValueError):
            continue
        kept.append(media_range)
    return ",".join(kept)


def negotiate(accept: str | None, offers: Sequence[str], default: str) -> str:
    """The best of `offers` for `accept`. On equal quality and specificity the offer listed
    last wins (python-mimeparse's rule), so list the default last: `*/*` then picks it."""
    if not accept:
        return default
    ranges = _well_formed_ranges(accept)
    if not ranges:
        return default
    return mimeparse.best_match(list(offers), ranges) or default
