"""Draw the Teams app icons (standard library only) and write them as PNG files.

Teams wants a 192x192 full-colour icon and a 32x32 outline icon that is white on transparent.
Both show a check mark in a rounded square. Shapes are drawn from signed distance functions with
analytic anti-aliasing, so the output is smooth and byte-for-byte reproducible.

Run ``python -m manifest.icons`` to regenerate ``manifest/color.png`` and ``manifest/outline.png``.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

ACCENT = (0x4F, 0x52, 0xB2)
WHITE = (0xFF, 0xFF, 0xFF)
COLOR_SIZE = 192
OUTLINE_SIZE = 32
HERE = Path(__file__).resolve().parent
COLOR_FILE = "color.png"
OUTLINE_FILE = "outline.png"

Pixel = tuple[int, int, int, int]
Distance = Callable[[float, float], float]


def png_bytes(width: int, height: int, rgba: list[Pixel]) -> bytes:
    """Encode 8-bit RGBA pixels (row-major) as a PNG file."""
    if len(rgba) != width * height:
        raise ValueError("pixel count does not match the image size")

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter type 0 (None) for every row
        for r, g, b, a in rgba[y * width : (y + 1) * width]:
            raw += bytes((r, g, b, a))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )


def rounded_square(cx: float, cy: float, half: float, radius: float) -> Distance:
    """Signed distance to a rounded square centred on (cx, cy); negative inside."""

    def dist(x: float, y: float) -> float:
        qx = abs(x - cx) - (half - radius)
        qy = abs(y - cy) - (half - radius)
        outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
        return outside + min(max(qx, qy), 0.0) - radius

    return dist


def polyline(points: list[tuple[float, float]], width: float) -> Distance:
    """Signed distance to a stroked polyline with round caps and joins."""

    def segment(x: float, y: float, a: tuple[float, float], b: tuple[float, float]) -> float:
        ax, ay = a
        bx, by = b
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
        return math.hypot(x - (ax + t * dx), y - (ay + t * dy))

    pairs = list(zip(points, points[1:], strict=False))

    def dist(x: float, y: float) -> float:
        return min(segment(x, y, a, b) for a, b in pairs) - width / 2

    return dist


def coverage(distance: float) -> float:
    """Pixel coverage of a shape edge from its signed distance (one-pixel ramp)."""
    return max(0.0, min(1.0, 0.5 - distance))


def check_points(size: float) -> list[tuple[float, float]]:
    """The check mark's three points for an icon `size` pixels wide."""
    return [(0.29 * size, 0.52 * size), (0.44 * size, 0.67 * size), (0.72 * size, 0.36 * size)]


def color_icon() -> bytes:
    """192x192: accent rounded square (transparent corners) with a white check mark."""
    s = COLOR_SIZE
    square = rounded_square(s / 2, s / 2, s / 2, 0.22 * s)
    check = polyline(check_points(s), 0.095 * s)
    pixels: list[Pixel] = []
    for y in range(s):
        for x in range(s):
            px, py = x + 0.5, y + 0.5
            bg = coverage(square(px, py))
            fg = coverage(check(px, py)) * bg
            rgb = tuple(round(c * (1 - fg) + w * fg) for c, w in zip(ACCENT, WHITE, strict=True))
            pixels.append((rgb[0], rgb[1], rgb[2], round(255 * bg)))
    return png_bytes(s, s, pixels)


def outline_icon() -> bytes:
    """32x32: white rounded-square outline and check mark on a transparent background."""
    s = OUTLINE_SIZE
    stroke = 2.0
    square = rounded_square(s / 2, s / 2, s / 2 - 1 - stroke / 2, 6.5)
    check = polyline(check_points(s), 2.6)
    pixels: list[Pixel] = []
    for y in range(s):
        for x in range(s):
            px, py = x + 0.5, y + 0.5
            ring = coverage(abs(square(px, py)) - stroke / 2)
            alpha = max(ring, coverage(check(px, py)))
            pixels.append((*WHITE, round(255 * alpha)))
    return png_bytes(s, s, pixels)


def write_icons(directory: Path = HERE) -> list[Path]:
    """Write both icons into `directory` and return their paths."""
    written = []
    for name, data in ((COLOR_FILE, color_icon()), (OUTLINE_FILE, outline_icon())):
        path = directory / name
        path.write_bytes(data)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_icons():
        print(f"wrote {path}")  # noqa: T201
