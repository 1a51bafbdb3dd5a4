"""Small real images for upload tests."""

from __future__ import annotations

import io
import random
import struct
import zlib
from functools import cache

from PIL import Image


@cache
def png_bytes(color: str = "orange") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(out, "PNG")
    return out.getvalue()


@cache
def jpeg_bytes(color: str = "green") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "JPEG")
    return out.getvalue()


@cache
def photo_bytes(kind: str, megabytes: float) -> bytes:
    """A real JPEG or PNG of about `megabytes` MB: seeded noise, so it hardly compresses."""
    target = int(megabytes * 1024**2)
    width = 1000
    height = max(16, target // (3 * width))  # PNG of noise: about 3 bytes per pixel
    for _ in range(3):  # JPEG compresses noise a little: measure and resize
        noise = random.Random(f"{kind}{megabytes}").randbytes(width * height * 3)
        out = io.BytesIO()
        Image.frombytes("RGB", (width, height), noise).save(out, kind, quality=95)
        data = out.getvalue()
        if abs(len(data) - target) < target * 0.05:
            break
        height = max(16, int(height * target / len(data)))
    return data


def corrupt_png(width: int = 7000, height: int = 7000) -> bytes:
    """A PNG whose header claims `width` x `height` but whose image data is garbage.

    Every chunk has a correct checksum, so only decoding the pixels finds the damage.
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    garbage = zlib.compress(b"\x00" + bytes(range(256)) * 64)[:-8] + b"\xde\xad\xbe\xef" * 64
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", garbage)
        + chunk(b"IEND", b"")
    )
