"""Reading QR codes back in tests: a real decoder (zxing-cpp) for PNG pixels, and the module
grid an SVG draws (segno's path: horizontal strokes through the middle of each module row)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np
import png
import zxingcpp

SVG_NS = "{http://www.w3.org/2000/svg}"
_PATH_TOKEN = re.compile(r"([MmHhVvZz])\s*([-0-9.\s]*)")


@dataclass(frozen=True)
class Decoded:
    text: str
    error_correction: str
    width: int
    height: int


def png_pixels(data: bytes) -> np.ndarray:
    """RGBA pixels (rows, columns, 4 channels). pypng unpacks the rows; numpy expands palette
    and greyscale images (pypng's own RGBA conversion is pure Python and slow)."""
    width, height, rows, info = png.Reader(bytes=data).read()
    values = np.array([list(row) for row in rows], dtype=np.uint8).reshape(height, width, -1)
    if "palette" in info:
        palette = np.array([(*entry, 255)[:4] for entry in info["palette"]], dtype=np.uint8)
        return palette[values[:, :, 0]]
    assert info["bitdepth"] in (1, 8), info
    scale = 255 if info["bitdepth"] == 1 else 1
    if info["greyscale"]:
        grey = values[:, :, 0] * scale
        alpha = values[:, :, 1] if info["alpha"] else np.full_like(grey, 255)
        if "transparent" in info and not info["alpha"]:
            alpha = np.where(values[:, :, 0] == info["transparent"][0], 0, 255).astype(np.uint8)
        return np.dstack([grey, grey, grey, alpha])
    if info["alpha"]:
        return values
    return np.dstack([values, np.full(values.shape[:2], 255, dtype=np.uint8)])


def decode_pixels(rgba: np.ndarray) -> Decoded:
    # Composite on white as paper would: a transparent background is white when printed.
    alpha = rgba[:, :, 3:4].astype(float) / 255.0
    rgb = (rgba[:, :, :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    found = zxingcpp.read_barcodes(rgb)
    assert len(found) == 1, f"expected one QR code, found {len(found)}"
    code = found[0]
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    return Decoded(code.text, code.ec_level, rgba.shape[1], rgba.shape[0])


def decode_png(data: bytes) -> Decoded:
    return decode_pixels(png_pixels(data))


def svg_modules(svg: str) -> list[list[bool]]:
    """The dark modules an SVG from segno draws, as rows (quiet zone included)."""
    root = ET.fromstring(svg)
    _, _, width, height = (int(float(v)) for v in root.attrib["viewBox"].split())
    grid = [[False] * width for _ in range(height)]
    dark = [p for p in root.iter(f"{SVG_NS}path") if "stroke" in p.attrib]
    assert len(dark) == 1, "one stroked path draws the dark modules"
    x = y = 0.0
    for command, args in _PATH_TOKEN.findall(dark[0].attrib["d"]):
        numbers = [float(n) for n in args.split()]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        elif command == "h":
            row = int(y)  # strokes run through y + 0.5
            for column in range(int(x), int(x + numbers[0])):
                grid[row][column] = True
            x += numbers[0]
        else:
            raise AssertionError(f"unexpected path command {command}")
    return grid
