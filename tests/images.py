"""Small real images for upload tests."""

from __future__ import annotations

import io
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
