"""`GET /api/v1/passports/{id}/qr` and `/by-serial/{serial}/qr` (passports-api §10), on both
backends: what the served code encodes is read back with a real decoder."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from app.domain.qr_codes import module_rows
from tests.conftest import Api, add_tenant
from tests.passport_setup import GTIN, stored_passport
from tests.qr_reading import decode_png, png_pixels, svg_modules


def qr_path(passport_id: str, query: str = "") -> str:
    return f"/api/v1/passports/{passport_id}/qr{query}"


async def test_svg_by_default(api: Api) -> None:
    passport = await stored_passport(api, "BP-48V-100-000001")
    response = await api.call("GET", qr_path(passport.id))
    assert response.status == 200
    assert response.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
    svg = await response.text()
    assert svg.startswith('<?xml version="1.0" encoding="utf-8"?>\n<svg ')
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    side = len(module_rows(passport.digital_link_uri))
    assert root.attrib["viewBox"] == f"0 0 {side} {side}"
    assert svg_modules(svg) == module_rows(passport.digital_link_uri)
    assert not [p for p in root.iter("{http://www.w3.org/2000/svg}path") if "fill" in p.attrib]


async def test_png_decodes_to_the_stored_uri(api: Api) -> None:
    passport = await stored_passport(api, "BP-48V-100-000002")
    response = await api.call("GET", qr_path(passport.id, "?format=png"))
    assert response.status == 200
    assert response.headers["Content-Type"] == "image/png"
    data = await response.read()
    decoded = decode_png(data)
    assert decoded.text == passport.digital_link_uri
    assert decoded.error_correction == "M"
    assert decoded.width == len(module_rows(passport.digital_link_uri)) * 8
    pixels = png_pixels(data)
    assert pixels[0, 0][3] == 0  # transparent background
    assert tuple(pixels[4 * 8 + 2, 4 * 8 + 2]) == (0, 0, 0, 255)  # black finder corner


async def test_json_format(api: Api) -> None:
    passport = await stored_passport(api, "BP-48V-100-000003")
    response = await api.call("GET", qr_path(passport.id, "?format=json"))
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = await response.json()
    assert set(body) == {"result", "digitalLinkUri"}
    assert body["digitalLinkUri"] == passport.digital_link_uri
    assert body["result"].startswith("<svg ")
    assert svg_modules(body["result"]) == module_rows(passport.digital_link_uri)


async def test_colours(api: Api) -> None:
    passport = await stored_passport(api, "BP-48V-100-000004")
    png = await api.call(
        "GET", qr_path(passport.id, "?format=png&color=1A2B3C&backgroundColor=FFEEDD80")
    )
    pixels = png_pixels(await png.read())
    assert tuple(pixels[0, 0]) == (0xFF, 0xEE, 0xDD, 0x80)
    assert tuple(pixels[4 * 8 + 2, 4 * 8 + 2]) == (0x1A, 0x2B, 0x3C, 0xFF)
    svg = await (
        await api.call("GET", qr_path(passport.id, "?color=1a2b3c&backgroundColor=ffffff"))
    ).text()
    paths = list(ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}path"))
    assert [p.attrib["fill"] for p in paths if "fill" in p.attrib] in (["#ffffff"], ["#fff"])
    assert [p.attrib["stroke"] for p in paths if "stroke" in p.attrib] == ["#1a2b3c"]


async def test_branding_flag_is_accepted_and_changes_nothing(api: Api) -> None:
    passport = await stored_passport(api, "BP-48V-100-000005")
    plain = await (await api.call("GET", qr_path(passport.id, "?format=png"))).read()
    for flag in ("true", "false"):
        response = await api.call(
            "GET", qr_path(passport.id, f"?format=png&useCompanyBranding={flag}")
        )
        assert response.status == 200
        assert await response.read() == plain


@pytest.mark.parametrize(
    "state",
    ["draft", "in_review", "approved", "published", "suspended", "archived", "expired"],
)
async def test_rendered_in_every_status(api: Api, state: str) -> None:
    passport = await stored_passport(
        api,
        f"SN-{state}",
        "published" if state == "expired" else state,
        expired=state == "expired",
    )
    response = await api.call("GET", qr_path(passport.id, "?format=png"))
    assert response.status == 200
    assert decode_png(await response.read()).text == passport.digital_link_uri


@pytest.mark.parametrize("serial", ["A/B", "50%off", 'say"hi"?', "x"])
async def test_by_serial_twin(api: Api, serial: str) -> None:
    passport = await stored_passport(api, serial)
    encoded = passport.digital_link_uri.rsplit("/", 1)[1]
    for query in ("?format=png", f"?format=png&gtin={GTIN}", "?gtin=4012345000016&format=png"):
        response = await api.call("GET", f"/api/v1/passports/by-serial/{encoded}/qr{query}")
        assert response.status == 200, (serial, query, await response.text())
        assert decode_png(await response.read()).text == passport.digital_link_uri
    svg = await api.call("GET", f"/api/v1/passports/by-serial/{encoded}/qr")
    assert svg.headers["Content-Type"] == "image/svg+xml; charset=utf-8"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?format=gif", "format"),
        ("?format=SVG", "format"),
        ("?color=%23000000", "color"),
        ("?color=00000", "color"),
        ("?color=00000000", "color"),  # 8 digits are for the background only
        ("?color=GGGGGG", "color"),
        ("?backgroundColor=1234567", "backgroundColor"),
        ("?backgroundColor=", "backgroundColor"),
        ("?useCompanyBranding=yes", "useCompanyBranding"),
        ("?size=200", "size"),
        ("?gtin=04012345000016", "gtin"),  # only the by-serial twin takes a gtin
        ("?format=png&format=svg", "format"),
    ],
)
async def test_bad_query_is_400(api: Api, query: str, field: str) -> None:
    passport = await stored_passport(api, "SN-BAD-QUERY")
    response = await api.call("GET", qr_path(passport.id, query))
    assert response.status == 400
    body = await response.json()
    assert body["code"] == "validation_error"
    assert field in body["details"]["fieldErrors"]


async def test_unknown_malformed_and_foreign_ids_are_404(api: Api) -> None:
    other = await add_tenant(api.storage, "Other")
    foreign = await stored_passport(api, "SN-FOREIGN")
    for path in (
        qr_path("0" * 24),
        qr_path("not-an-id"),
        "/api/v1/passports/by-serial/never-issued/qr",
    ):
        response = await api.call("GET", path)
        assert response.status == 404, path
        body = await response.json()
        assert (body["error"], body["code"]) == ("Passport not found", "not_found")
    response = await api.call("GET", qr_path(foreign.id), tenant=other)
    assert response.status == 404
    response = await api.call("GET", "/api/v1/passports/by-serial/SN-FOREIGN/qr", tenant=other)
    assert response.status == 404


async def test_needs_a_key_and_spends_no_write(make_api: Any) -> None:
    api: Api = await make_api(plan="free", plan_limit=2)
    passport = await stored_passport(api, "SN-READ")  # the product used one write
    assert (await api.client.get(qr_path(passport.id))).status == 401
    for _ in range(3):
        response = await api.call("GET", qr_path(passport.id, "?format=json"))
        assert response.status == 200
        assert "RateLimit" not in response.headers
    created = await api.create({"name": "x", "model": "second", "category": "batteries"})
    assert created.status == 201
