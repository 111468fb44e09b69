"""Reading a QR code back from a page's inline SVG: rasterised from its own path (one square per dark
module) and decoded with zxing-cpp, independently of the code that drew it."""

from __future__ import annotations

import re

import zxingcpp
from PIL import Image, ImageDraw


def svg_modules(svg: str) -> tuple[int, set[tuple[int, int]]]:
    """The code's size in modules (border included) and its dark modules, from qrcode's SVG path."""
    size = re.search(r'viewBox="0 0 (\d+) \1"', svg)
    assert size is not None, "not a qrcode SVG"
    return int(size.group(1)), {(int(x), int(y)) for x, y in re.findall(r"M(\d+),(\d+)H", svg)}


def decode_svg(svg: str, *, scale: int = 8) -> list[str]:
    """The texts of the QR codes in ``svg`` (one SVG element)."""
    size, modules = svg_modules(svg)
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y in modules:
        draw.rectangle((x * scale, y * scale, (x + 1) * scale - 1, (y + 1) * scale - 1), fill=0)
    return [result.text for result in zxingcpp.read_barcodes(image)]
