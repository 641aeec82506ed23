"""QR renderings of a Digital Link URI (passports-api §10), read back with a real decoder."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app.domain.qr_codes import QrColours, module_rows, render_png, render_svg
from tests.qr_reading import decode_png, png_pixels, svg_modules

URIS = [
    "https://dpp.example.com/01/04012345000016/21/BP-48V-100-000001",
    # encodeURIComponent output of a serial with `/`, `%`, `"`, `?` and spaces around.
    "https://dpp.example.com/01/04012345000016/21/A%2FB%25C%22D%3F!'()*",
    "http://127.0.0.1:8080/01/00000000000017/21/x",
]


@pytest.mark.parametrize("uri", URIS)
def test_png_decodes_to_the_uri_with_error_correction_m(uri: str) -> None:
    data = render_png(uri, QrColours())
    decoded = decode_png(data)
    assert decoded.text == uri
    assert decoded.error_correction == "M"
    side = len(module_rows(uri))
    assert decoded.width == decoded.height == side * 8  # 8 px per module, quiet zone included


def test_png_is_black_on_transparent_with_a_four_module_quiet_zone() -> None:
    uri = URIS[0]
    pixels = png_pixels(render_png(uri, QrColours()))
    rows = module_rows(uri)
    assert not any(any(row) for row in rows[:4]) and not any(row[0] or row[3] for row in rows)
    assert rows[4][4]  # the finder pattern's corner starts right after the quiet zone
    assert pixels[0, 0][3] == 0  # transparent paper
    corner = pixels[4 * 8 + 3, 4 * 8 + 3]
    assert tuple(corner) == (0, 0, 0, 255)


def test_png_colours() -> None:
    uri = URIS[0]
    pixels = png_pixels(render_png(uri, QrColours(dark="1A2B3C", light="FFEEDD80")))
    assert tuple(pixels[0, 0]) == (0xFF, 0xEE, 0xDD, 0x80)
    assert tuple(pixels[4 * 8 + 3, 4 * 8 + 3]) == (0x1A, 0x2B, 0x3C, 0xFF)
    assert decode_png(render_png(uri, QrColours(dark="123456", light="ffffff"))).text == uri


@pytest.mark.parametrize("uri", URIS)
def test_svg_draws_the_same_modules_as_the_decoded_png(uri: str) -> None:
    svg = render_svg(uri, QrColours())
    assert svg.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(svg)  # well-formed, standalone
    side = len(module_rows(uri))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.attrib["viewBox"] == f"0 0 {side} {side}"
    assert root.attrib["width"] == root.attrib["height"] == str(side * 8)
    assert svg_modules(svg) == module_rows(uri)
    # No background: transparent by default.
    assert [p for p in root.iter("{http://www.w3.org/2000/svg}path") if "fill" in p.attrib] == []


def test_svg_colours() -> None:
    svg = render_svg(URIS[0], QrColours(dark="1A2B3C", light="FFEEDD80"), xml_declaration=False)
    assert svg.startswith("<svg ")
    root = ET.fromstring(svg)
    paths = list(root.iter("{http://www.w3.org/2000/svg}path"))
    background = [p for p in paths if "fill" in p.attrib]
    assert len(background) == 1
    assert background[0].attrib["fill"].lower() in ("#ffeedd", "#fed")
    assert float(background[0].attrib["fill-opacity"]) == pytest.approx(0x80 / 255, abs=0.01)
    stroke = [p.attrib["stroke"].lower() for p in paths if "stroke" in p.attrib]
    assert stroke == ["#1a2b3c"]
    assert svg_modules(svg) == module_rows(URIS[0])
