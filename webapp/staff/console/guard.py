"""The console's middleware: every request passes the guard before its handler.

It checks the CSRF token and origin of every form, the session's user and the route's
roles (security.py), and shows each refusal (and 404/405) as a console page.
"""

from __future__ import annotations

import hmac
import logging
import time
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp_session import Session, get_session

from webapp.cases.models import StaffUser
from webapp.staff.console.context import console
from webapp.staff.console.render import render
from webapp.staff.console.security import (
    MAX_SESSION_SECONDS,
    PREFIX,
    USER_KEY,
    Handler,
    csrf_token,
    url_for,
)
from webapp.staff.users import has_role

log = logging.getLogger(__name__)

ERRORS = {404: "Deze pagina bestaat niet.", 405: "Dat kan hier niet."}
CSP = (
    "default-src 'self'; img-src 'self'{tiles}; script-src 'self'; style-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def content_policy(request: web.Request) -> str:
    """The console's CSP: its own origin only, plus the map's tile server when set."""
    origin = console(request).config.map_tile_origin
    return CSP.format(tiles=f" {origin}" if origin else "")


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


async def _user(request: web.Request, session: Session) -> StaffUser | None:
    uid = session.get("uid")
    if not isinstance(uid, int):
        return None
    user = await console(request).users.get(uid)
    too_old = time.time() - session.get("sinds", 0) > MAX_SESSION_SECONDS
    if user is None or not user.actief or session.get("v") != user.sessie_versie or too_old:
        session.clear()
        return None
    return user


async def _refuse(request: web.Request, status: int, message: str) -> web.StreamResponse:
    return await render(request, "staff/fout.html", status=status, melding=message)


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await _guarded(request, handler)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise  # redirects
        message = ERRORS.get(exc.status, "Dat verzoek kan niet worden verwerkt.")
        response = await _refuse(request, exc.status, message)
    response.headers["Content-Security-Policy"] = content_policy(request)
    response.headers["Cache-Control"] = "no-store"
    return response


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    unmatched = getattr(request.match_info, "http_exception", None)
    if unmatched is not None:
        raise unmatched  # 404 or 405: the guard shows it as a page
    session = await get_session(request)
    csrf_token(session)
    if request.method not in ("GET", "HEAD"):
        if not _same_origin(request):
            return await _refuse(request, 403, "Dit formulier komt niet van deze website.")
        form = await request.post()
        given = str(form.get("csrf", ""))
        if not hmac.compare_digest(given.encode(), session["csrf"].encode()):
            return await _refuse(
                request,
                403,
                "Het formulier is verlopen. Laad de pagina opnieuw en probeer het nog eens.",
            )
    route_handler = request.match_info.route.handler
    if getattr(route_handler, "staff_public", False):
        return await handler(request)
    user = await _user(request, session)
    if user is None:
        if request.method in ("GET", "HEAD"):
            target = request.rel_url.path_qs if request.path != f"{PREFIX}/" else ""
            login = url_for(request, "inloggen")
            if target:
                login = login.with_query(volgende=target)
            raise web.HTTPSeeOther(login)
        return await _refuse(request, 401, "U bent niet (meer) ingelogd. Log opnieuw in.")
    request[USER_KEY] = user
    roles = getattr(route_handler, "staff_roles", None)
    if roles is None:
        log.error("staff route without a role check: %s", request.path)
        return await _refuse(request, 403, "U heeft geen toegang tot deze pagina.")
    if roles and not any(has_role(user, role) for role in roles):
        return await _refuse(request, 403, "U heeft geen toegang tot deze pagina.")
    session["gezien"] = int(time.time())  # renews the cookie: the idle limit restarts
    return await handler(request)
