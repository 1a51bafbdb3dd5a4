"""Medewerkers: the Live page, where they chat with residents who asked for a person.

The page (live.html, live.js) holds one WebSocket, `/staff/live/ws`, behind the console's
session and the medewerker role (guard.py) and only from the console's own origin. It
carries the queue, the conversations this medewerker has (readable to them: the widget's
log, decrypted for the handler only; the queue shows the resident's words masked) and
every action: available/away, take, send, hand back to Balie, close with a note.
The guard checks the session once, at the handshake; a socket lives for hours, so it is
closed (1008) as soon as its user is logged out everywhere, deactivated, loses the role
or reaches the session's age limit (checked on every frame and every RECHECK_SECONDS).
Protocol in docs/staff.md, "Live".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp_session import get_session

from core.content import tijdzone_naam
from core.safe_json import loads
from webapp.live.service import LIVE_KEY, ConsoleSocket, Live
from webapp.staff.console.context import console
from webapp.staff.console.render import render
from webapp.staff.console.security import MAX_SESSION_SECONDS, current_user, requires
from webapp.staff.users import MEDEWERKER, has_role

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
MAX_FRAME = 16 * 1024
NAME_MAX = 40
RECHECK_SECONDS = 30.0


def first_name(gebruikersnaam: str) -> str:
    """The name the resident sees by default: 'marieke.jansen' -> 'Marieke'."""
    word = gebruikersnaam.replace("_", ".").replace("-", ".").split(".")[0]
    return (word[:1].upper() + word[1:])[:NAME_MAX] or "Een medewerker"


def clean_name(value: Any, default: str) -> str:
    """A first name only: letters, at most NAME_MAX characters."""
    if not isinstance(value, str):
        return default
    word = value.strip().split(" ")[0][:NAME_MAX]
    return word if word and all(c.isalpha() or c in "-'" for c in word) else default


@routes.get("/live", name="live")
@requires(MEDEWERKER)
async def live_page(request: web.Request) -> web.Response:
    user = current_user(request)
    live = request.app[LIVE_KEY]
    beschikbaar, voornaam = await live.store.availability(user.id)
    return await render(
        request,
        "staff/live.html",
        beschikbaar=beschikbaar,
        voornaam=voornaam or first_name(user.gebruikersnaam),
        tijdzone=tijdzone_naam(),  # times on the page in the gemeente's zone
    )


@routes.get("/live/ws", name="live_ws")
@requires(MEDEWERKER)
async def live_socket(request: web.Request) -> web.StreamResponse:
    # Browsers always send Origin on a WebSocket: another site's page is refused
    # (the cookie is SameSite=Strict as well).
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise web.HTTPForbidden(text="origin not allowed")
    user = current_user(request)
    live = request.app[LIVE_KEY]
    _, voornaam = await live.store.availability(user.id)
    still = await _session_check(request)
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_FRAME)
    await ws.prepare(request)
    sock = ConsoleSocket(ws, user.id, voornaam or first_name(user.gebruikersnaam))
    await live.attach(sock)
    revoked = asyncio.Event()
    watcher = asyncio.ensure_future(_watch(ws, still, revoked))
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            if not await still():
                revoked.set()
                break
            await _frame(live, sock, msg.data)
    except asyncio.CancelledError:
        raise
    finally:
        watcher.cancel()
        live.detach(sock)
        # 1008: live.js reloads the page, and the guard shows the login form.
        code = WSCloseCode.POLICY_VIOLATION if revoked.is_set() else WSCloseCode.OK
        await ws.close(code=code)
    return ws


async def _session_check(request: web.Request) -> Callable[[], Awaitable[bool]]:
    """Is the session that opened this socket still valid (the guard's rules, again)?"""
    user = current_user(request)
    since = float((await get_session(request)).get("sinds", 0))
    users = console(request).users

    async def still() -> bool:
        now = await users.get(user.id)
        return (
            now is not None
            and now.actief
            and now.sessie_versie == user.sessie_versie
            and has_role(now, MEDEWERKER)
            and time.time() - since <= MAX_SESSION_SECONDS
        )

    return still


async def _watch(
    ws: web.WebSocketResponse, still: Callable[[], Awaitable[bool]], revoked: asyncio.Event
) -> None:
    """A quiet socket still gets residents' words: check it now and then as well."""
    while not ws.closed:
        await asyncio.sleep(RECHECK_SECONDS)
        with contextlib.suppress(Exception):  # a database hiccup: check again next time
            if not await still():
                revoked.set()
                # Wakes the handler's loop, whose close sends 1008 (this code would be
                # overtaken by its close: aiohttp lets the reader finish first).
                await ws.close(code=WSCloseCode.POLICY_VIOLATION)
                return


def _chat_id(frame: dict[str, Any]) -> int | None:
    value = frame.get("id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def _frame(live: Live, sock: ConsoleSocket, data: str) -> None:
    try:
        frame = loads(data)
    except ValueError:
        frame = None
    if not isinstance(frame, dict):
        await sock.send({"type": "fout", "tekst": "Dit bericht kon niet worden gelezen."})
        return
    kind, chat_id = frame.get("type"), _chat_id(frame)
    await live.store.seen(sock.staff_id)
    if kind == "ping":
        return
    if kind == "beschikbaar":
        sock.voornaam = clean_name(frame.get("voornaam"), sock.voornaam)
        on = frame.get("aan") is True
        await live.store.set_available(sock.staff_id, sock.voornaam, on)
        await sock.send({"type": "beschikbaar", "aan": on, "voornaam": sock.voornaam})
        return
    ok = False
    if kind == "nemen" and chat_id is not None:
        ok = await live.take(sock, chat_id)
        if not ok:
            await sock.send(
                {"type": "fout", "tekst": "Deze inwoner is al door een collega genomen."}
            )
            live.changed()
        return
    if kind == "bericht" and chat_id is not None and isinstance(frame.get("tekst"), str):
        ok = await live.say(sock, chat_id, frame["tekst"])
    elif kind == "teruggeven" and chat_id is not None:
        ok = await live.finish(sock, chat_id, close=False)
    elif kind == "sluiten" and chat_id is not None:
        note = frame.get("notitie")
        ok = await live.finish(
            sock, chat_id, close=True, note=note if isinstance(note, str) else None
        )
    if not ok:
        await sock.send({"type": "fout", "tekst": "Dat lukte niet: deze chat is al afgelopen."})
