"""Who may see what: sessions in encrypted cookies, CSRF tokens, role marks.

Every route of the console declares its roles with @requires (or is @public);
the guard (guard.py) refuses a route that declares nothing, so a forgotten check
fails closed.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp_session import Session, get_session
from yarl import URL

from webapp.cases.models import StaffUser

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
COOKIE = "balie_staff"
IDLE_SECONDS = 2 * 3600  # the cookie (and its encryption) expires after this idle time
MAX_SESSION_SECONDS = 12 * 3600  # a working day: then log in again
PREFIX = "/staff"
USER_KEY = "staff_user"


def url_for(request: web.Request, name: str, **parts: object) -> URL:
    """A console route's URL; the console's route names are prefixed with "staff."."""
    return request.app.router[f"staff.{name}"].url_for(**{k: str(v) for k, v in parts.items()})


def is_console(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def requires(*roles: str) -> Callable[[Handler], Handler]:
    """Allow a logged-in user with any of roles (no roles: every logged-in user)."""

    def mark(handler: Handler) -> Handler:
        handler.staff_roles = frozenset(roles)  # type: ignore[attr-defined]  # a mark on the function
        return handler

    return mark


def public(handler: Handler) -> Handler:
    handler.staff_public = True  # type: ignore[attr-defined]  # a mark on the function
    return handler


def current_user(request: web.Request) -> StaffUser:
    return request[USER_KEY]


def csrf_token(session: Session) -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


async def start_session(request: web.Request, user: StaffUser) -> None:
    """A fresh session after login: nothing from before (fixation), new CSRF token."""
    session = await get_session(request)
    session.invalidate()
    session = await get_session(request)
    session.update({"uid": user.id, "v": user.sessie_versie, "sinds": int(time.time())})
    csrf_token(session)


def safe_next(target: str | None) -> str:
    """Only our own pages after login: no open redirect."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//"):
        return target
    return PREFIX + "/"
