"""Photo checks: only real JPEG, PNG or WebP images of sensible size are stored."""

from __future__ import annotations

import asyncio
import io
import re

from PIL import Image, UnidentifiedImageError

MAX_BYTES = 8 * 1024**2
MAX_PIXELS = 50_000_000
TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class PhotoError(ValueError):
    def __init__(self, message: str, status: int = 415) -> None:
        super().__init__(message)
        self.status = status


def _sniff(data: bytes) -> str:
    """Decode the header with Pillow: the bytes decide the type, not the client's label."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
            if kind not in TYPES:
                raise PhotoError("only JPEG, PNG or WebP photos")
            if image.width * image.height > MAX_PIXELS:
                raise PhotoError("photo has too many pixels", 413)
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise PhotoError("not a readable JPEG, PNG or WebP image") from None
    return TYPES[kind]


async def check(data: bytes, declared: str | None = None) -> str:
    """The real content type of a photo; PhotoError if it is not an acceptable one."""
    if not data:
        raise PhotoError("empty body: send the photo bytes", 400)
    if len(data) > MAX_BYTES:
        raise PhotoError(f"photo larger than {MAX_BYTES // 1024**2} MB", 413)
    if declared and declared not in (*TYPES.values(), "application/octet-stream"):
        raise PhotoError("only image/jpeg, image/png or image/webp")
    return await asyncio.to_thread(_sniff, data)


def safe_name(name: str | None, content_type: str) -> str:
    """A file name safe to store and echo in a header."""
    stem = re.sub(r"[^\w.\-]", "_", (name or "foto").rsplit("/", 1)[-1])[:80].strip("._")
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    return f"{stem or 'foto'}.{EXTENSIONS[content_type]}"
