"""Reading a JSON request body: media type, size limit and a strict parser."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import orjson
from aiohttp import hdrs, web

from app.domain.errors import InvalidJson, PayloadTooLarge, UnsupportedMediaType


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("number out of range")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _has_lone_surrogate(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


# orjson turns integers beyond 64 bits into floats: any run of 19 digits takes the slow path.
# Found by mapping every digit to "0", both opening brackets to "{" and everything else to " "
# (one bytes.translate, in C) and looking for 19 zeros: a regex tried at every position cost
# twice orjson's whole parse. The same copy counts the brackets (see _MAX_FAST_BRACKETS).
_DIGITS_AND_OPENERS = bytes(
    48 if 48 <= byte <= 57 else 123 if byte in b"[{" else 32 for byte in range(256)
)
_LONG_DIGIT_RUN = b"0" * 19
# The standard parser refuses nesting deeper than Python's recursion limit allows and orjson
# accepts up to 1024 levels: bodies that could nest that deep take the slow path too.
_MAX_FAST_BRACKETS = 512
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # unrolled: no per-character alternation


def _member_count(value: Any) -> int:
    """Members of every object in a parsed document. Recursive (depth is bounded by
    _MAX_FAST_BRACKETS), looking into containers only: a third cheaper than a work list."""
    members = 0
    if type(value) is dict:
        members = len(value)
        value = value.values()
    elif type(value) is not list:
        return 0
    for item in value:
        if type(item) is dict or type(item) is list:
            members += _member_count(item)
    return members


_UNDECIDED: Any = object()


def _parse_fast(raw: bytes) -> Any:
    """orjson, where it decides exactly as `parse_json_with_stdlib` does; _UNDECIDED when it
    cannot tell (then the standard parser decides). orjson already refuses NaN, Infinity,
    out-of-range numbers, invalid UTF-8 and lone surrogates; it silently keeps the last of
    duplicate keys, so those are found by counting: in valid JSON every `:` outside a string
    separates one object member, and a duplicate leaves the parsed objects fewer members."""
    shape = raw.translate(_DIGITS_AND_OPENERS)
    # `find`, not `in`: bytes.__contains__ first tries its argument as an integer.
    if shape.count(b"{") > _MAX_FAST_BRACKETS or shape.find(_LONG_DIGIT_RUN) != -1:
        return _UNDECIDED
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _UNDECIDED
    members = _member_count(parsed)
    # Most bodies hold no `:` inside strings; then counting every `:` is enough.
    if raw.count(b":") != members and _JSON_STRING.sub(b"", raw).count(b":") != members:
        raise InvalidJson()  # a duplicate key
    return parsed


def parse_json_strict(raw: bytes) -> Any:
    """RFC 8259 JSON only: no NaN/Infinity, no duplicate keys, valid UTF-8, and no `\\uD800`
    style escapes of unpaired surrogates (they decode to text that cannot be stored or
    answered as UTF-8). orjson parses what it can decide alike (about a fifth of the cost);
    the rest, and every refusal, goes through the standard library's parser."""
    parsed = _parse_fast(raw)
    return parse_json_with_stdlib(raw) if parsed is _UNDECIDED else parsed


def parse_json_with_stdlib(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
        parsed = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidJson() from exc
    # Surrogates can only come from escapes (the text itself was valid UTF-8).
    if "\\u" in text and _has_lone_surrogate(parsed):
        raise InvalidJson()
    return parsed


def is_json_media_type(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


def _sends_json(request: web.Request) -> bool:
    # The header as most clients spell it decides without parsing it: aiohttp's parse (and the
    # copy of its parameters) was about 1 % of a create's server time.
    return request.headers.get(hdrs.CONTENT_TYPE) == "application/json" or is_json_media_type(
        request.content_type
    )


NO_CONTENT: Any = object()  # what read_json_body answers for a request without content


async def read_json_body(
    request: web.Request, max_bytes: int, *, may_be_empty: bool = False
) -> Any:
    """The parsed body. With `may_be_empty`, a request without content answers NO_CONTENT
    instead of `invalid_json`, whatever its Content-Type (there is no content to type)."""
    if may_be_empty and not request.body_exists:
        return NO_CONTENT
    if not _sends_json(request):
        raise UnsupportedMediaType()
    raw = await _read_limited(request, max_bytes)
    if may_be_empty and not raw:  # chunked framing with no chunk
        return NO_CONTENT
    return parse_json_strict(raw)


async def read_optional_json_body(request: web.Request, max_bytes: int) -> Any:
    """An optional body: missing or empty (any Content-Type) means `{}`; otherwise JSON."""
    raw = await _read_limited(request, max_bytes)
    if not raw:
        return {}
    if not _sends_json(request):
        raise UnsupportedMediaType()
    return parse_json_strict(raw)


async def _read_limited(request: web.Request, max_bytes: int) -> bytes:
    length = request.content_length
    if length is not None:
        if length > max_bytes:
            raise PayloadTooLarge()
        try:
            return await request.content.readexactly(length)
        except asyncio.IncompleteReadError as exc:
            return exc.partial  # the client stopped early: what came is judged as the body
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)
