"""The strict JSON parser's orjson fast path decides exactly as the standard-library parser,
and compact_json writes exactly the standard library's bytes (fingerprints and size limits
depend on both)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.compact_json import compact_json, stdlib_compact_json
from app.domain.errors import InvalidJson
from app.http.json_body import parse_json_strict, parse_json_with_stdlib

KEYS = st.sampled_from(["a", "b", "A", "é", "\u2028", "x:y", 'q"q', "\\", "😀", "\uffff", ""])
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]) | st.sampled_from('":\\{}[],'),
    max_size=12,
)
NUMBERS = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e-5, -1e-7, 1e16, 1e22, 5e-324, 0.0001, -0.0, 2**63, 2**64 - 1, -(2**63)])
)
SCALARS = st.none() | st.booleans() | NUMBERS | TEXT
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS | TEXT, inner, max_size=4),
    max_leaves=20,
)


def outcome(parse: Any, raw: bytes) -> tuple[str, Any]:
    try:
        value = parse(raw)
    except InvalidJson:
        return ("refused", None)
    # NaN never parses; compare floats by their bits so -0.0 and 0.0 differ.
    return ("parsed", json.dumps(value, sort_keys=True))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(VALUES, st.sampled_from([None, 0, 2]), st.sampled_from([True, False]))
def test_the_fast_path_decides_like_the_standard_parser(
    value: Any, indent: int | None, ascii_only: bool
) -> None:
    raw = json.dumps(value, indent=indent, ensure_ascii=ascii_only).encode()
    assert outcome(parse_json_strict, raw) == outcome(parse_json_with_stdlib, raw)
    if isinstance(value, dict) and value:  # its first key written twice
        duplicated = b"{" + json.dumps(next(iter(value))).encode() + b":0," + raw[1:]
        assert outcome(parse_json_strict, duplicated) == ("refused", None)
        assert outcome(parse_json_with_stdlib, duplicated) == ("refused", None)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1,"a":2}',
        b'{"a":1,"\\u0061":2}',  # the same key, escaped
        b'{"x":{"k":1,"k":1}}',
        b'[{"k":1},{"k":1,"k":2}]',
        b'{"a:b":1,"a":"x:y","c":"\\":"}',  # colons inside strings are not members
        b'{"a":"x:y","a":"z"}',  # a duplicate, and a colon inside a string
        b'{"u":"https://x.example/a.png","u":"h"}',
        b'{"n":123456789012345678901234567890}',  # beyond 64 bits: parsed exactly
        b'{"n":-9223372036854775809}',
        b'{"n":18446744073709551616}',
        b'{"n":1e400}',
        b'{"n":NaN}',
        b'{"s":"\\ud800"}',
        b'{"s":"\\ud83d\\ude00"}',
        b'{"s":"\xff"}',
        b"null",
        b'"text"',
        b"[" * 600 + b"]" * 600,
        b"[" * 5000 + b"]" * 5000,
        b'{"a":1}x',
        b"",
    ],
)
def test_edge_documents_decide_alike(raw: bytes) -> None:
    assert outcome(parse_json_strict, raw) == outcome(parse_json_with_stdlib, raw)


def test_big_integers_keep_every_digit() -> None:
    assert parse_json_strict(b'{"n":123456789012345678901234567890}') == {
        "n": 123456789012345678901234567890
    }


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_compact_json_writes_the_standard_librarys_bytes(value: Any) -> None:
    for sort_keys in (False, True):
        assert compact_json(value, sort_keys=sort_keys) == stdlib_compact_json(
            value, sort_keys=sort_keys
        )


@pytest.mark.parametrize(
    "value", [1e-5, -1e-7, 9.456011395225814e-07, 0.0001, 1e16, 2**64, -(2**63) - 1, math.pi]
)
def test_compact_json_floats_and_big_integers(value: Any) -> None:
    assert compact_json({"v": [value]}) == stdlib_compact_json({"v": [value]})
