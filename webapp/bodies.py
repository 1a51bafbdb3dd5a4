"""Reading request bodies whole, up to a limit, and JSON that is safe to use.

`request.content.read(n)` returns only what has arrived so far, so a photo that
comes in several packets (or chunked) would be cut short: `read_body` reads until
the end of the body. `loads` is the stdlib parser plus what it lets through that
Balie cannot store or should not recurse into: lone surrogates and NUL characters
in strings, nesting deeper than a real message has, NaN/Infinity and huge integers.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from webapp.errors import ApiError, clean_text

MAX_DEPTH = 20  # Balie's deepest real message (a Rasa message with buttons) has 4 levels
MAX_INT = 2**63 - 1


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        size = f"{limit // 1024**2} MB" if limit >= 1024**2 else f"{limit} bytes"
        super().__init__(413, f"body larger than {size}")
        self.limit = limit


class InvalidJson(ValueError):
    pass


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


def _constant(name: str) -> Any:
    raise InvalidJson(f"{name} is not a JSON number")


def _check(value: Any, depth: int) -> None:
    if isinstance(value, str):
        if not clean_text(value):
            raise InvalidJson("JSON text contains a NUL character or a lone surrogate")
    elif isinstance(value, bool | float) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > MAX_INT:
            raise InvalidJson("JSON number too large")
    elif depth >= MAX_DEPTH:
        raise InvalidJson(f"JSON nested deeper than {MAX_DEPTH} levels")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, depth)
            _check(item, depth + 1)
    else:
        for item in value:
            _check(item, depth + 1)


def loads(raw: bytes | str) -> Any:
    """Parsed JSON; InvalidJson (a ValueError) with a reason a client can act on."""
    try:
        data = json.loads(raw, parse_constant=_constant)
    except RecursionError:
        raise InvalidJson(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except InvalidJson:
        raise
    except ValueError:  # also UnicodeDecodeError and over-long integers
        raise InvalidJson("body is not valid JSON") from None
    _check(data, 0)
    return data
