"""Photo checks: only real, complete JPEG, PNG or WebP images of sensible size are stored.

Every photo is decoded in full before it is accepted, so a file cut short on the
way or with corrupt image data is refused, not only one with a wrong header. The
bytes stored are the bytes received: nothing is re-encoded.
"""

from __future__ import annotations

import asyncio
import io
import re
import threading

from PIL import Image

# Phones make photos of 3-8 MB; Telegram hands out files up to 20 MB. The widget reads
# this limit from the welcome frame, the Telegram connector and the docs quote it.
MAX_BYTES = 10 * 1024**2
MAX_PIXELS = 50_000_000  # a 50 MP photo; about 150 MB once decoded as RGB
# Pillow's own guard, process-wide: it warns above this and refuses above twice this.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Decoding a large photo takes that memory for a moment: two at a time at most.
_DECODING = threading.BoundedSemaphore(2)
TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class PhotoError(ValueError):
    """415: not a JPEG/PNG/WebP; 413: too large; 422: such an image, but corrupt or cut off."""

    def __init__(self, message: str, status: int = 415) -> None:
        super().__init__(message)
        self.status = status


def limit_text() -> str:
    return f"{MAX_BYTES // 1024**2} MB"


def _decode(data: bytes) -> str:
    """The bytes decide the type, not the client's label; every pixel must decode."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, pixels = image.format or "", image.width * image.height
    except Image.DecompressionBombError:
        raise PhotoError("photo has too many pixels", 413) from None
    except Exception:  # UnidentifiedImageError, or a header Pillow cannot read
        raise PhotoError("not a readable JPEG, PNG or WebP image") from None
    if kind not in TYPES:
        raise PhotoError("only JPEG, PNG or WebP photos")
    if pixels > MAX_PIXELS:
        raise PhotoError("photo has too many pixels", 413)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()  # the container: PNG chunk checksums, WebP/JPEG structure
        with _DECODING, Image.open(io.BytesIO(data)) as image:
            image.load()  # the image data itself: a cut-off or corrupt file fails here
    except Exception as exc:  # Pillow's plugins raise many kinds on hostile data
        raise PhotoError(f"image data is corrupt or incomplete ({exc})", 422) from None
    return TYPES[kind]


async def check(data: bytes, declared: str | None = None) -> str:
    """The real content type of a photo; PhotoError if it is not an acceptable one."""
    if not data:
        raise PhotoError("empty body: send the photo bytes", 400)
    if len(data) > MAX_BYTES:
        raise PhotoError(f"photo larger than {limit_text()}", 413)
    if declared and declared not in (*TYPES.values(), "application/octet-stream"):
        raise PhotoError("only image/jpeg, image/png or image/webp")
    return await asyncio.to_thread(_decode, data)


def safe_name(name: str | None, content_type: str) -> str:
    """A file name safe to store and echo in a header."""
    stem = re.sub(r"[^\w.\-]", "_", (name or "foto").rsplit("/", 1)[-1])[:80].strip("._")
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    return f"{stem or 'foto'}.{EXTENSIONS[content_type]}"
