"""Compact JSON text exactly as the standard library writes it, produced by orjson when it can.

`json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=...)` is what request
fingerprints hash and what the field-value size limit measures, so its bytes must never change
(a fingerprint stored before an upgrade must still match the retry after it). orjson writes the
same bytes for strings, integers, booleans, null, arrays and objects, in about a tenth of the
time, with two exceptions that are detected and handed to the standard library:

- floats below 1e-4 in magnitude: orjson writes `1e-7` and `0.00001` where Python writes
  `1e-07` and `1e-05` (every other float renders alike; tests/test_json_parsing.py checks it);
  a digit followed by `e-`, or `0.0000`, anywhere in the output (also inside a string) takes
  the slow path;
- integers beyond 64 bits, and strings holding lone surrogates: orjson refuses them.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_SMALL_FLOAT = re.compile(rb"[0-9]e-|0\.0000")


def stdlib_compact_json(value: Any, *, sort_keys: bool = False) -> bytes:
    """The reference: what the standard library writes."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
    return text.encode("utf-8", "surrogatepass")


def compact_json(value: Any, *, sort_keys: bool = False) -> bytes:
    """Byte for byte `stdlib_compact_json(value, sort_keys=sort_keys)`."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else None)
    except TypeError:
        return stdlib_compact_json(value, sort_keys=sort_keys)
    # Substring tests first (in C, fast); the regex only when one of them hits. `find`, not
    # `in`: bytes.__contains__ first tries its argument as an integer and clears the TypeError.
    if (text.find(b"e-") != -1 or text.find(b"0.0000") != -1) and _SMALL_FLOAT.search(
        text
    ) is not None:
        return stdlib_compact_json(value, sort_keys=sort_keys)
    return text
