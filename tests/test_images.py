"""Product images: multipart upload, public serving, delete by index; both storage backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from tests.conftest import Api, AppFactory, add_tenant, error_body

BASE = "https://catalogue.example.com"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x10JFIF" + bytes(500)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(500)
GIF = b"GIF89a" + bytes(100)
MAX = 5 * 1024 * 1024


@pytest.fixture
async def api(make_api: AppFactory) -> Api:
    return await make_api(public_base_url=BASE + "/")


def form(data: bytes, *, name: str = "file", content_type: str = "image/png") -> aiohttp.FormData:
    body = aiohttp.FormData()
    body.add_field(name, data, filename="upload.bin", content_type=content_type)
    return body


async def upload(api: Api, product: dict[str, Any], data: Any, **headers: str) -> Any:
    payload = form(data) if isinstance(data, bytes) else data
    return await api.client.post(
        f"/api/v1/products/{product['_id']}/images",
        data=payload,
        headers={**api.tenant.auth, **headers},
    )


async def uploaded(api: Api, product: dict[str, Any], data: bytes = PNG) -> dict[str, Any]:
    response = await upload(api, product, data)
    assert response.status == 201, await response.text()
    return dict(await response.json())


async def serve(api: Api, url: str, **headers: str) -> Any:
    return await api.client.get(urlsplit(url).path, headers=headers)


async def current(api: Api, product: dict[str, Any]) -> dict[str, Any]:
    response = await api.call("GET", f"/api/v1/products/{product['_id']}")
    return dict(await response.json())


@pytest.mark.parametrize(
    ("data", "content_type", "extension"),
    [(PNG, "image/png", "png"), (JPEG, "image/jpeg", "jpg"), (WEBP, "image/webp", "webp")],
)
async def test_upload_stores_and_serves_publicly(
    api: Api, data: bytes, content_type: str, extension: str
) -> None:
    product = await api.create_product(imageUrls=["https://cdn.example.com/a.png"])
    response = await upload(api, product, data)
    assert response.status == 201
    body = await response.json()
    assert set(body) == {"imageUrl", "imageUrls"}
    url = body["imageUrl"]
    assert url.startswith(f"{BASE}/media/images/") and url.endswith(f".{extension}")
    assert body["imageUrls"] == ["https://cdn.example.com/a.png", url]
    assert response.headers["Location"] == url
    assert response.headers["RateLimit-Policy"]
    assert (await current(api, product))["imageUrls"] == body["imageUrls"]

    served = await serve(api, url)  # no Authorization header
    assert served.status == 200
    assert served.headers["Content-Type"] == content_type
    assert "immutable" in served.headers["Cache-Control"]
    assert "max-age=31536000" in served.headers["Cache-Control"]
    assert await served.read() == data
    etag = served.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    cached = await serve(api, url, **{"If-None-Match": etag})
    assert cached.status == 304 and cached.headers["ETag"] == etag


async def test_type_is_judged_by_bytes_not_by_the_declared_type(api: Api) -> None:
    product = await api.create_product()
    for data in (GIF, b"", b"plain text", b"\x89PN"):
        response = await upload(api, product, form(data, content_type="image/png"))
        assert response.status == 415, data
        assert (await response.json())["code"] == "unsupported_media_type"
    response = await upload(api, product, form(PNG, content_type="text/plain"))
    assert response.status == 201
    assert len((await current(api, product))["imageUrls"]) == 1


async def test_upload_over_5_mb_is_413_and_stores_nothing(api: Api) -> None:
    product = await api.create_product()
    response = await upload(api, product, PNG + bytes(MAX))
    assert response.status == 413
    assert (await response.json())["code"] == "payload_too_large"
    assert (await current(api, product))["imageUrls"] == []
    exactly_max = PNG + bytes(MAX - len(PNG))
    assert (await upload(api, product, exactly_max)).status == 201


async def test_oversize_stream_is_not_read_to_the_end(api: Api) -> None:
    """A chunked upload of 40 MB with no Content-Length: the service stops reading just past
    5 MB and answers 413; the client is never asked for the rest."""
    product = await api.create_product()
    boundary = "xyzboundary"
    sent = 0
    total = 40 * 1024 * 1024

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode() + PNG
        chunk = bytes(256 * 1024)
        while sent < total:
            sent += len(chunk)
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    try:
        response = await api.client.post(
            f"/api/v1/products/{product['_id']}/images",
            data=body(),
            headers={
                **api.tenant.auth,
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        assert response.status == 413
    except aiohttp.ClientError:
        pass  # the server may close the connection while the client is still sending
    assert sent < total / 2
    assert (await current(api, product))["imageUrls"] == []


async def test_declared_oversize_length_is_refused_before_reading(api: Api) -> None:
    product = await api.create_product()
    response = await api.client.post(
        f"/api/v1/products/{product['_id']}/images",
        data=b"x" * 10,
        headers={
            **api.tenant.auth,
            "Content-Type": "multipart/form-data; boundary=b",
            "Content-Length": str(MAX * 2),
        },
        skip_auto_headers=("Content-Length",),
    )
    assert response.status == 413  # judged from the declared length alone


@pytest.mark.parametrize(
    ("payload", "headers", "status", "field"),
    [
        (b'{"file": "x"}', {"Content-Type": "application/json"}, 415, None),
        (b"", {"Content-Type": "image/png"}, 415, None),
        (b"--b\r\n\r\n", {"Content-Type": "multipart/form-data"}, 400, None),  # no boundary
        (b"garbage", {"Content-Type": "multipart/form-data; boundary=b"}, 400, None),
    ],
)
async def test_wrong_body_shapes(
    api: Api, payload: bytes, headers: dict[str, str], status: int, field: str | None
) -> None:
    product = await api.create_product()
    response = await api.client.post(
        f"/api/v1/products/{product['_id']}/images",
        data=payload,
        headers={**api.tenant.auth, **headers},
    )
    assert response.status == status, await response.text()
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert (await current(api, product))["imageUrls"] == []


async def test_multipart_needs_exactly_one_part_named_file(api: Api) -> None:
    product = await api.create_product()
    wrong_name = form(PNG, name="image")
    response = await upload(api, product, wrong_name)
    assert response.status == 400
    assert "image" in (await response.json())["details"]["fieldErrors"]
    empty = aiohttp.FormData(default_to_multipart=True)
    empty.add_field("note", "hello")
    assert (await upload(api, product, empty)).status == 400
    two = form(PNG)
    two.add_field("file", PNG, filename="b.png", content_type="image/png")
    response = await upload(api, product, two)
    assert response.status == 400
    assert "file" in (await response.json())["details"]["fieldErrors"]
    assert (await current(api, product))["imageUrls"] == []


async def test_twenty_images_at_most_even_in_parallel(api: Api) -> None:
    product = await api.create_product(imageUrls=["https://cdn.example.com/a.png"] * 2)
    responses = await asyncio.gather(*(upload(api, product, PNG) for _ in range(30)))
    statuses = [r.status for r in responses]
    assert statuses.count(201) == 18 and statuses.count(409) == 12
    refused = next(r for r in responses if r.status == 409)
    assert (await refused.json())["code"] == "image_limit_reached"
    assert len((await current(api, product))["imageUrls"]) == 20


async def test_upload_to_unknown_or_foreign_product_is_404(api: Api) -> None:
    product = await api.create_product()
    intruder = await add_tenant(api.storage, name="Intruder")
    response = await api.client.post(
        f"/api/v1/products/{product['_id']}/images", data=form(PNG), headers=intruder.auth
    )
    assert response.status == 404
    for product_id in ("0123456789abcdef01234567", "nope"):
        response = await upload(api, {"_id": product_id}, PNG)
        assert response.status == 404
        assert (await response.json())["code"] == "not_found"


async def test_idempotency_key_does_not_apply_to_uploads(api: Api) -> None:
    product = await api.create_product()
    first = await upload(api, product, PNG, **{"Idempotency-Key": "same"})
    second = await upload(api, product, PNG, **{"Idempotency-Key": "same"})
    assert first.status == second.status == 201
    assert "Idempotent-Replayed" not in second.headers
    assert len((await current(api, product))["imageUrls"]) == 2


async def test_delete_image_by_index_deletes_the_stored_file(api: Api) -> None:
    product = await api.create_product(imageUrls=["https://cdn.example.com/a.png"])
    stored = (await uploaded(api, product))["imageUrl"]
    response = await api.call("DELETE", f"/api/v1/products/{product['_id']}/images/1")
    assert response.status == 200
    body = await response.json()
    assert body["imageUrls"] == ["https://cdn.example.com/a.png"] and body["_id"] == product["_id"]
    assert (await serve(api, stored)).status == 404
    response = await api.call("DELETE", f"/api/v1/products/{product['_id']}/images/0")
    assert (await response.json())["imageUrls"] == []


@pytest.mark.parametrize("index", ["1", "5", "-1", "x", "1.0", "01x", "99999"])
async def test_delete_image_out_of_range_is_404(api: Api, index: str) -> None:
    product = await api.create_product(imageUrls=["https://cdn.example.com/a.png"])
    response = await api.call("DELETE", f"/api/v1/products/{product['_id']}/images/{index}")
    assert response.status == 404
    assert await response.json() == error_body("Image not found", "not_found")
    assert len((await current(api, product))["imageUrls"]) == 1


async def test_delete_image_replay_is_byte_identical(api: Api) -> None:
    product = await api.create_product(imageUrls=["https://cdn.example.com/a.png"] * 3)
    path = f"/api/v1/products/{product['_id']}/images/0"
    first = await api.call("DELETE", path, key="img-k")
    again = await api.call("DELETE", path, key="img-k")
    assert first.status == again.status == 200
    assert await first.read() == await again.read()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len((await current(api, product))["imageUrls"]) == 2  # removed once


async def test_patch_keeps_stored_urls_and_dropping_one_deletes_its_file(
    make_api: AppFactory,
) -> None:
    api = await make_api()  # default base URL: http://127.0.0.1:8080, not a public https URL
    product = await api.create_product()
    first = (await uploaded(api, product))["imageUrl"]
    second = (await uploaded(api, product))["imageUrl"]
    assert first.startswith("http://127.0.0.1:8080/media/images/")
    response = await api.call(
        "PATCH", f"/api/v1/products/{product['_id']}", {"imageUrls": [second, first]}
    )
    assert response.status == 200, await response.text()
    response = await api.call(
        "PATCH", f"/api/v1/products/{product['_id']}", {"imageUrls": [second]}
    )
    assert (await response.json())["imageUrls"] == [second]
    assert (await serve(api, first)).status == 404
    assert (await serve(api, second)).status == 200
    # A stored URL of another product is not "already held" here: it must pass the URL rules.
    other = await api.create_product(model="OTHER")
    response = await api.call("PATCH", f"/api/v1/products/{other['_id']}", {"imageUrls": [second]})
    assert response.status == 400


async def test_deleting_the_product_deletes_its_files(api: Api) -> None:
    product = await api.create_product()
    url = (await uploaded(api, product))["imageUrl"]
    assert (await api.call("DELETE", f"/api/v1/products/{product['_id']}")).status == 200
    assert (await serve(api, url)).status == 404


@pytest.mark.parametrize(
    "name",
    ["nope", "../../etc/passwd", "%2e%2e%2fsecret", "0" * 32 + ".png", "0" * 32 + ".gif", ""],
)
async def test_unknown_media_names_are_404_json(api: Api, name: str) -> None:
    response = await api.client.get(f"/media/images/{name}")
    assert response.status == 404
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


async def test_served_extension_must_match_the_stored_type(api: Api) -> None:
    product = await api.create_product()
    url = (await uploaded(api, product))["imageUrl"]
    assert (await serve(api, url.replace(".png", ".jpg"))).status == 404


async def test_upload_counts_one_write_and_refusals_give_it_back(make_api: AppFactory) -> None:
    api = await make_api(plan="tiny", plan_limit=2, public_base_url=BASE)
    product = await api.create_product()
    assert (await upload(api, product, GIF)).status == 415
    response = await upload(api, product, PNG)
    assert response.status == 201
    assert response.headers["RateLimit"].startswith('"writes";r=0;')
    assert (await upload(api, product, PNG)).status == 429


async def test_image_delete_counts_one_write_and_a_miss_gives_it_back(
    make_api: AppFactory,
) -> None:
    """Contract §4: an image delete that succeeds is one write (with RateLimit headers); one
    that does not (no image at that index) spends nothing."""
    api = await make_api(plan="tiny", plan_limit=3)
    product = await api.create_product(imageUrls=["https://cdn.example.com/a.png"])  # 1 used
    missing = await api.call("DELETE", f"/api/v1/products/{product['_id']}/images/5")
    assert missing.status == 404
    deleted = await api.call("DELETE", f"/api/v1/products/{product['_id']}/images/0")
    assert deleted.status == 200
    assert deleted.headers["RateLimit-Policy"] == '"writes";q=3;w=86400'
    assert deleted.headers["RateLimit"].startswith('"writes";r=1;')
