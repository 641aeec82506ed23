"""A hostile-input corpus across every route: each case gets its documented 4xx JSON answer,
stores nothing, spends no write budget, and leaves the service healthy. Both backends.

Requests aiohttp itself rejects before the app (broken request lines, NUL or CR/LF in header
values, oversize headers) are in tests/test_raw_http.py, against the real process.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from yarl import URL

from app.domain.clock import utc_day, utc_now
from app.domain.records import PRODUCT_STATUSES, ProductListQuery
from tests.conftest import SEED_BODY, Api, AppFactory

P = "/api/v1/products"
ONE = "/api/v1/products/{id}"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    status: int
    code: str | None
    json_body: Any = None
    raw: bytes | None = None
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    form: Callable[[], aiohttp.FormData] | None = None


def raw(name: str, data: bytes, path: str = P, method: str = "POST", **kw: Any) -> Case:
    return Case(
        name, method, path, kw.pop("status", 400), kw.pop("code", "invalid_json"), raw=data, **kw
    )


def body(name: str, data: Any, path: str = P, method: str = "POST", **kw: Any) -> Case:
    return Case(
        name,
        method,
        path,
        kw.pop("status", 400),
        kw.pop("code", "validation_error"),
        json_body=data,
        **kw,
    )


def upload(name: str, build: Callable[[], aiohttp.FormData], status: int, code: str) -> Case:
    return Case(name, "POST", ONE + "/images", status, code, content_type=None, form=build)


def form_with(*parts: tuple[str, bytes, str | None]) -> Callable[[], aiohttp.FormData]:
    def build() -> aiohttp.FormData:
        data = aiohttp.FormData(default_to_multipart=True)
        for name, payload, filename in parts:
            if filename is None:  # a plain form field, not a file
                data.add_field(name, payload.decode("latin-1"))
            else:
                data.add_field(name, payload, filename=filename, content_type="image/png")
        return data

    return build


WRONG_TYPES = {
    "name": 5,
    "model": True,
    "category": ["batteries"],
    "description": {"text": "x"},
    "imageUrls": "https://cdn.example.com/a.png",
    "defaultFieldValues": [1, 2],
    "sourceLocale": 12,
}

CORPUS: list[Case] = [
    # -- broken JSON, on both JSON write routes
    *[
        raw(f"{label} ({route})", data, path=route, method=method)
        for route, method in ((P, "POST"), (ONE, "PATCH"))
        for label, data in (
            ("truncated", b'{"name": "Pack", "model": "M'),
            ("unquoted keys", b"{name: 1}"),
            ("trailing garbage", b"{}}"),
            ("NaN literal", b'{"name": NaN}'),
            ("Infinity literal", b'{"name": Infinity}'),
            ("-Infinity literal", b'{"name": -Infinity}'),
            ("duplicate keys", b'{"name": "a", "name": "b"}'),
            (
                "duplicate keys beside a colon in a string",
                b'{"imageUrls": ["https://x.example/a.png"], "name": "a", "name": "b"}',
            ),
            ("duplicate keys in a nested object", b'{"defaultFieldValues": {"a": 1, "a": 2}}'),
            ("invalid UTF-8", b'{"name": "\xff\xfe"}'),
            ("raw NUL in a string", b'{"name": "a\x00b"}'),
            ("lone surrogate escape", b'{"name": "\\ud800"}'),
            ("number overflowing a double", b'{"name": 1e400}'),
            ("nesting depth 100000", b"[" * 100000 + b"]" * 100000),
        )
    ],
    raw(f"empty body ({P})", b""),
    # A PATCH without content asks for no change: a validation error, not broken JSON.
    raw(f"empty body ({ONE})", b"", path=ONE, method="PATCH", code="validation_error"),
    raw(
        f"empty body without Content-Type ({ONE})",
        b"",
        path=ONE,
        method="PATCH",
        code="validation_error",
        content_type=None,
    ),
    # -- valid JSON, wrong shapes
    *[body(f"wrong type: {key}", {**SEED_BODY, key: value}) for key, value in WRONG_TYPES.items()],
    *[
        body(f"PATCH wrong type: {key}", {key: value}, path=ONE, method="PATCH")
        for key, value in WRONG_TYPES.items()
        if key != "category"
    ],
    body("body is an array", [SEED_BODY]),
    body("body is a string", "name"),
    body("body is null", None, status=400),
    body("escaped NUL in name", {**SEED_BODY, "name": "a\u0000b"}),
    body(
        "10,000 image URLs", {**SEED_BODY, "imageUrls": ["https://cdn.example.com/a.png"] * 10000}
    ),
    body(
        "10,000-element field value",
        {**SEED_BODY, "defaultFieldValues": {"nominalVoltage": [1] * 10000}},
    ),
    raw(
        "depth 1,000 in defaultFieldValues",
        b'{"name": "Pack", "model": "D", "category": "batteries", "defaultFieldValues": {"x": '
        + b'{"a": ' * 1000
        + b"1"
        + b"}" * 1000
        + b"}}",
        code=None,  # invalid_json (beyond the parser's depth) or validation_error (depth > 8)
    ),
    body(
        "$-key in a field value",
        {**SEED_BODY, "defaultFieldValues": {"materialComposition": {"$gt": 1}}},
    ),
    body(
        "dotted key in a field value",
        {**SEED_BODY, "defaultFieldValues": {"materialComposition": {"a.b": 1}}},
    ),
    body("$-key at the top level", {**SEED_BODY, "$where": "1"}),
    body("huge integer", {**SEED_BODY, "defaultFieldValues": {"nominalVoltage": 10**40}}),
    body("unknown category", {**SEED_BODY, "category": "weapons"}, code="template_not_found"),
    body("non-public image URL", {**SEED_BODY, "imageUrls": ["https://169.254.169.254/latest"]}),
    body("javascript: image URL", {**SEED_BODY, "imageUrls": ["javascript:alert(1)"]}),
    body("PATCH empty object", {}, path=ONE, method="PATCH"),
    body("PATCH category", {"category": "textiles"}, path=ONE, method="PATCH"),
    body("PATCH null name", {"name": None}, path=ONE, method="PATCH"),
    body("PATCH passportCount", {"passportCount": 99}, path=ONE, method="PATCH"),
    # -- transport
    Case(
        "text/plain body",
        "POST",
        P,
        415,
        "unsupported_media_type",
        raw=b"{}",
        content_type="text/plain",
    ),
    Case(
        "form-encoded body",
        "PATCH",
        ONE,
        415,
        "unsupported_media_type",
        raw=b"name=x",
        content_type="application/x-www-form-urlencoded",
    ),
    Case("no content type", "POST", P, 415, "unsupported_media_type", raw=b"{}", content_type=None),
    Case(
        "body over 1 MiB",
        "POST",
        P,
        413,
        "payload_too_large",
        raw=b'{"name": "' + b"x" * (1024 * 1024) + b'"}',
    ),
    # -- Idempotency-Key abuse (aiohttp's client refuses CR/LF; raw cases cover them)
    *[
        Case(
            f"Idempotency-Key {label}",
            "POST",
            P,
            400,
            "invalid_idempotency_key",
            json_body=SEED_BODY,
            headers={"Idempotency-Key": value},
        )
        for label, value in (
            ("empty", ""),
            ("256 chars", "k" * 256),
            ("non-ASCII", "schlüssel"),
            ("tab inside", "a\tb"),
            ("only quotes", '""'),
        )
    ],
    Case(
        "Idempotency-Key on archive, too long",
        "POST",
        ONE + "/archive",
        400,
        "invalid_idempotency_key",
        headers={"Idempotency-Key": "k" * 300},
        content_type=None,
    ),
    # -- absurd list queries
    *[
        Case(f"list {query}", "GET", f"{P}?{query}", 400, "validation_error", content_type=None)
        for query in (
            "page=1000000000",
            "page=-5",
            "limit=100000000000000000000",
            "limit=abc",
            "page=0x10",
            "limit=1e2",
            "status=*",
            "showArchived=maybe",
            "search=%00",
            "category[$ne]=x",
            "cursor=..%2F..%2F",
            "page=1&page=1",
        )
    ],
    # -- path traversal and odd ids on product and image routes
    *[
        Case(f"path {path}", "GET", path, 404, "not_found", content_type=None)
        for path in (
            "/media/images/..%2F..%2Fetc%2Fpasswd",
            "/media/images/%2e%2e%2f%2e%2e%2fapp",
            "/media/images/....//....//etc/passwd.png",
            "/api/v1/products/..%2F..%2Fopenapi.json",
            "/api/v1/products/%24where",
            "/api/v1/products/{id}%00",
        )
    ],
    Case(
        "image index traversal",
        "DELETE",
        ONE + "/images/..%2F0",
        404,
        "not_found",
        content_type=None,
    ),
    Case("image index negative", "DELETE", ONE + "/images/-1", 404, "not_found", content_type=None),
    Case(
        "image index huge",
        "DELETE",
        ONE + "/images/99999999999999999999",
        404,
        "not_found",
        content_type=None,
    ),
    # -- wrong multipart shapes
    upload("multipart: no file part", form_with(("other", PNG, None)), 400, "validation_error"),
    upload(
        "multipart: two files",
        form_with(("file", PNG, "a.png"), ("file", PNG, "b.png")),
        400,
        "validation_error",
    ),
    upload(
        "multipart: GIF bytes",
        form_with(("file", b"GIF89a" + bytes(64), "a.png")),
        415,
        "unsupported_media_type",
    ),
    upload(
        "multipart: empty file", form_with(("file", b"", "a.png")), 415, "unsupported_media_type"
    ),
    upload(
        "multipart: HTML posing as PNG",
        form_with(("file", b"<html><script>", "a.png")),
        415,
        "unsupported_media_type",
    ),
    Case(
        "multipart: no boundary",
        "POST",
        ONE + "/images",
        400,
        "validation_error",
        raw=b"--x\r\n\r\n",
        content_type="multipart/form-data",
    ),
    Case(
        "multipart: truncated",
        "POST",
        ONE + "/images",
        400,
        "validation_error",
        raw=b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n\x89PNG',
        content_type="multipart/form-data; boundary=b",
    ),
    Case(
        "multipart: JSON instead",
        "POST",
        ONE + "/images",
        415,
        "unsupported_media_type",
        json_body={"file": "iVBORw0KGgo="},
    ),
]


async def snapshot(api: Api, product_id: str) -> tuple[Any, ...]:
    page = await api.storage.products.list_page(
        ProductListQuery(api.tenant.workspace.id, limit=100, statuses=PRODUCT_STATUSES)
    )
    product = await api.storage.products.get(api.tenant.workspace.id, product_id)
    used = await api.storage.usage.used(api.tenant.workspace.id, utc_day(utc_now()))
    return page.total, product, used


@pytest.fixture
async def target(make_api: AppFactory) -> tuple[Api, str]:
    api = await make_api(plan="tiny", plan_limit=50)
    created = await api.create_product(imageUrls=["https://cdn.example.com/a.png"])
    return api, created["_id"]


def test_corpus_is_large() -> None:
    assert len(CORPUS) >= 60
    assert len({case.name for case in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
async def test_hostile_input(target: tuple[Api, str], case: Case) -> None:
    api, product_id = target
    before = await snapshot(api, product_id)
    headers = {**api.tenant.auth, **case.headers}
    kwargs: dict[str, Any] = {}
    if case.form is not None:
        kwargs["data"] = case.form()
    elif case.raw is not None:
        kwargs["data"] = case.raw
    elif case.json_body is not None or case.name == "body is null":
        kwargs["data"] = json.dumps(case.json_body).encode()
    if case.content_type is not None and case.form is None:
        headers["Content-Type"] = case.content_type
    path = case.path.replace("{id}", product_id)
    response = await api.client.request(
        case.method,
        URL(path, encoded=True),
        headers=headers,
        skip_auto_headers={"Content-Type"}
        if case.content_type is None and case.form is None
        else (),
        **kwargs,
    )
    text = await response.text()
    assert response.status == case.status, text[:300]
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    answer = json.loads(text)
    assert isinstance(answer["error"], str) and answer["error"]
    assert answer["message"] == answer["error"]  # what TracePass's clients display
    if case.code is not None:
        assert answer["code"] == case.code, answer
    assert "RateLimit" not in response.headers or response.status == 429
    assert await snapshot(api, product_id) == before  # nothing stored, no budget spent
    assert (await api.client.get("/healthz")).status == 200
    assert (await api.call("GET", f"/api/v1/products/{product_id}")).status == 200
