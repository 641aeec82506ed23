"""Reading a JSON request body: media type, size limit and a strict parser."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

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


def parse_json_strict(raw: bytes) -> Any:
    """RFC 8259 JSON only: no NaN/Infinity, no duplicate keys, valid UTF-8, and no `\\uD800`
    style escapes of unpaired surrogates (they decode to text that cannot be stored or
    answered as UTF-8)."""
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


NO_CONTENT: Any = object()  # what read_json_body answers for a request without content


async def read_json_body(
    request: web.Request, max_bytes: int, *, may_be_empty: bool = False
) -> Any:
    """The parsed body. With `may_be_empty`, a request without content answers NO_CONTENT
    instead of `invalid_json`, whatever its Content-Type (there is no content to type)."""
    if may_be_empty and not request.body_exists:
        return NO_CONTENT
    if not is_json_media_type(request.content_type):
        raise UnsupportedMediaType()
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge()
        chunks.append(chunk)
    if may_be_empty and not chunks:  # chunked framing with no chunk
        return NO_CONTENT
    return parse_json_strict(b"".join(chunks))
