"""JSON errors for the whole web app, and the guard that keeps any input from causing a 500.

Handlers raise `ApiError` for input they refuse. `guard`, the outermost error
middleware, turns it (and aiohttp's own 4xx under /api and /health) into a JSON body,
refuses URLs and form fields with text no database can store (NUL, lone surrogates),
answers input that fails to encode or decode with a 400 instead of a traceback, and
logs whatever else goes wrong as the server bug it is (a JSON 500 without details).
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from core.safe_json import clean_text

log = logging.getLogger(__name__)

JSON_PATHS = ("/api", "/health", "/chat")
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class ApiError(Exception):
    def __init__(self, status: int, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status, self.message, self.details = status, message, details


def error(status: int, message: str, details: list[dict[str, Any]] | None = None) -> web.Response:
    body: dict[str, Any] = {"error": message, "status": status}
    if details:
        body["details"] = details
    return web.json_response(body, status=status)


def _url_is_clean(request: web.Request) -> bool:
    return clean_text(request.path) and all(
        clean_text(key) and clean_text(value) for key, value in request.query.items()
    )


async def _form_is_clean(request: web.Request) -> bool:
    """A form's fields (the staff console's): read once here, cached for the handler."""
    if request.method not in ("POST", "PUT", "PATCH") or request.content_type not in FORMS:
        return True
    if request.path.startswith(JSON_PATHS):  # these read raw bodies and refuse forms
        return True
    try:
        form = await request.post()
    except ValueError:  # e.g. multipart without a boundary
        return False
    return all(
        clean_text(key) and (not isinstance(value, str) or clean_text(value))
        for key, value in form.items()
    )


@web.middleware
async def guard(request: web.Request, handler):
    try:
        if not _url_is_clean(request):
            return error(400, "the URL contains a NUL character or bytes that are not UTF-8")
        if not await _form_is_clean(request):
            return error(400, "the form cannot be read or a field contains a NUL character")
        return await handler(request)
    except ApiError as exc:
        return error(exc.status, exc.message, exc.details)
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith(JSON_PATHS):
            raise
        return error(exc.status, exc.reason)
    except UnicodeError:
        # Only the client's text fails to encode or decode: a request to fix, not a bug.
        log.warning("refused %s %s: text that is not UTF-8", request.method, request.path)
        return error(400, "the request contains text that is not valid UTF-8")
    except Exception:
        log.exception("unexpected error in %s %s", request.method, request.path)
        return error(500, "internal error")
