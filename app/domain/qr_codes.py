"""QR codes of a passport's Digital Link URI (passports-api §10), drawn by segno.

The payload is the stored URI, byte for byte; error correction is exactly M (segno would
otherwise raise it when the version has room, which changes the printed code between URIs);
the quiet zone is the 4 modules ISO/IEC 18004 asks for.
"""

from __future__ import annotations

import io
import re

import segno

from app.domain.record import record

ERROR_CORRECTION = "m"
QUIET_ZONE_MODULES = 4
PNG_PIXELS_PER_MODULE = 8
# An SVG scales freely (viewBox in modules); width/height give it the PNG's natural size.
SVG_PIXELS_PER_MODULE = PNG_PIXELS_PER_MODULE

DEFAULT_DARK = "000000"  # black modules; the background is transparent unless asked
HEX_RGB = r"[0-9A-Fa-f]{6}"
HEX_RGBA = r"[0-9A-Fa-f]{6}(?:[0-9A-Fa-f]{2})?"
_SVG_OPENING = re.compile(r"<svg ")


@record
class QrColours:
    """`dark` is 6 hex digits (RGB); `light` is 6 or 8 (RGBA), None for transparent."""

    dark: str = DEFAULT_DARK
    light: str | None = None

    def segno_colours(self) -> tuple[str, str | None]:
        return f"#{self.dark.lower()}", None if self.light is None else f"#{self.light.lower()}"


def qr_code(uri: str) -> segno.QRCode:
    # Byte mode keeps the payload exactly the URI's bytes (segno could pick alphanumeric or
    # kanji segments for parts of it otherwise; a decoder returns the same text either way,
    # but the contract promises the bytes).
    return segno.make_qr(uri, error=ERROR_CORRECTION, boost_error=False, mode="byte")


def module_rows(uri: str) -> list[list[bool]]:
    """The code's modules (True is dark), quiet zone included: what every rendering draws."""
    code = qr_code(uri)
    return [[bool(module) for module in row] for row in code.matrix_iter(border=QUIET_ZONE_MODULES)]


def render_svg(uri: str, colours: QrColours, *, xml_declaration: bool = True) -> str:
    code = qr_code(uri)
    dark, light = colours.segno_colours()
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        border=QUIET_ZONE_MODULES,
        dark=dark,
        light=light,
        xmldecl=xml_declaration,
        omitsize=True,  # a viewBox in module units instead of a fixed size...
        svgclass=None,
        lineclass=None,
    )
    side = code.symbol_size(scale=SVG_PIXELS_PER_MODULE, border=QUIET_ZONE_MODULES)[0]
    # ...plus the natural size, so an <img> or a viewer without CSS shows it at 8 px/module.
    return _SVG_OPENING.sub(f'<svg width="{side}" height="{side}" ', out.getvalue().decode(), 1)


def render_png(uri: str, colours: QrColours) -> bytes:
    dark, light = colours.segno_colours()
    out = io.BytesIO()
    qr_code(uri).save(
        out,
        kind="png",
        scale=PNG_PIXELS_PER_MODULE,
        border=QUIET_ZONE_MODULES,
        dark=dark,
        light=light,
    )
    return out.getvalue()
