"""Numbers, secrets and header text from a request, checked so that no value raises.

- Numbers are ASCII digits only: `str.isdigit()` is true for '²' (which `int()`
  refuses) and for '١٢' (which `int()` reads as 12); neither belongs in a URL.
- Database ids stop at PostgreSQL's `integer`: a larger one cannot exist.
"""

from __future__ import annotations

import re

from aiohttp import web

from core.safe_json import clean_text
from webapp.errors import ApiError

ASCII_NUMBER = re.compile(r"[0-9]{1,18}")
MAX_ROW_ID = 2**31 - 1  # sa.Integer primary keys are int4 on PostgreSQL


def whole_number(raw: str | None, low: int, high: int) -> int | None:
    """`raw` as an int within [low, high], or None when it is anything else."""
    if raw is None or not ASCII_NUMBER.fullmatch(raw):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def row_id(request: web.Request, name: str = "id") -> int:
    """A database id from the URL; 404 when it cannot be one."""
    value = whole_number(request.match_info[name], 1, MAX_ROW_ID)
    if value is None:
        raise web.HTTPNotFound()
    return value


def header_text(request: web.Request, name: str) -> str | None:
    """A header's value as text a database can store; 400 when it is not UTF-8."""
    value = request.headers.get(name)
    if value is not None and not clean_text(value):
        raise ApiError(400, f"header {name} must be UTF-8 text")
    return value
