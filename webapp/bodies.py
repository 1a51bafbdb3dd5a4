"""Reading request bodies whole, up to a limit (their JSON: core/safe_json.py).

`request.content.read(n)` returns only what has arrived so far, so a photo that
comes in several packets (or chunked) would be cut short: `read_body` reads until
the end of the body.
"""

from __future__ import annotations

from aiohttp import web

from webapp.errors import ApiError


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        size = f"{limit // 1024**2} MB" if limit >= 1024**2 else f"{limit} bytes"
        super().__init__(413, f"body larger than {size}")
        self.limit = limit


async def read_body(request: web.Request, limit: int) -> bytes:
    """The whole body, however it arrives (Content-Length or chunked); BodyTooLarge past `limit`."""
    if (request.content_length or 0) > limit:
        raise BodyTooLarge(limit)
    body = bytearray()
    while chunk := await request.content.readany():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(limit)
    return bytes(body)
