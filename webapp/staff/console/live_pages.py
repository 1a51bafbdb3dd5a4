"""Medewerkers: the Live page, where they chat with residents who asked for a person.

The page (live.html, live.js) holds one WebSocket, `/staff/live/ws`, behind the console's
session and the medewerker role (guard.py) and only from the console's own origin. It
carries the queue, the conversations this medewerker has (readable to them: the widget's
log, decrypted for the handler only; the queue shows the resident's words masked) and
every action: available/away, take, send, typing, transfer to a colleague, hand back
to Balie, close with a note. Filing a melding, verzoek or call-back for the resident is
a form (POST, CSRF like every console form) handled by webapp/live/filing.py; FAQ
answers to insert come with the page (webapp/live/faq.py).
The guard checks the session once, at the handshake; a socket lives for hours, so it is
closed (1008) as soon as its user is logged out everywhere, deactivated, loses the role
or reaches the session's age limit (checked on every frame and every RECHECK_SECONDS).
Protocol in docs/staff.md, "Live".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp_session import get_session

from core.caseapi.client import CaseApiClient
from core.content import tijdzone_naam
from core.safe_json import loads
from webapp.inputs import row_id
from webapp.live import faq
from webapp.live.filing import FilingError, file_for_resident
from webapp.live.service import LIVE_KEY, ConsoleSocket, Live
from webapp.live.telegram import photo_in_chat
from webapp.staff.console.case_pages import taxonomy
from webapp.staff.console.context import console
from webapp.staff.console.render import render
from webapp.staff.console.security import MAX_SESSION_SECONDS, current_user, requires
from webapp.staff.users import MEDEWERKER, has_role

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
MAX_FRAME = 16 * 1024
NAME_MAX = 40
RECHECK_SECONDS = 30.0


def script_json(value: Any) -> str:
    """JSON to place inside <script type="application/json">: no "</" can end it early."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


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
        faq_json=script_json([{"naam": a.naam, "tekst": a.tekst} for a in await _answers(request)]),
        categorieen_json=script_json(
            [
                {"slug": c.slug, "naam": f"{c.main_name} – {c.name}"}
                for c in sorted(taxonomy(), key=lambda c: (c.main_name, c.name))
            ]
        ),
    )


async def _answers(request: web.Request) -> list[faq.Answer]:
    staff = await console(request).staff_data.data()  # answers added in the console too
    return faq.answers(staff.responses)


@routes.post("/live/{id:\\d+}/zaak", name="live_zaak")
@requires(MEDEWERKER)
async def file_case(request: web.Request) -> web.Response:
    """The Live page's form: a melding, verzoek or call-back for the chat's resident.
    Answers JSON for live.js; only the medewerker who has the chat may."""
    user = current_user(request)
    live = request.app[LIVE_KEY]
    chat = await live.held(user.id, int(request.match_info["id"]))
    if chat is None:
        return web.json_response(
            {"fout": "Dat lukte niet: deze chat is niet (meer) van u."}, status=409
        )
    form = {k: str(v) for k, v in (await request.post()).items() if isinstance(v, str)}
    client = CaseApiClient.of(console(request).settings)
    try:
        filed = await file_for_resident(
            live, client, chat, chat.medewerker_naam or first_name(user.gebruikersnaam), form
        )
    except FilingError as exc:
        return web.json_response({"fout": str(exc)}, status=400)
    finally:
        await client.close()
    return web.json_response({"tekst": filed.tekst, "identificatie": filed.identificatie})


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
        live.changed()  # colleagues' pages list who they can transfer to
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
    elif kind == "typen" and chat_id is not None:
        await live.medewerker_typing(sock, chat_id)  # throttled there; no answer
        return
    elif kind == "doorzetten" and chat_id is not None and isinstance(frame.get("naar"), int):
        ok = await live.transfer(sock, chat_id, frame["naar"])
        if not ok:
            await sock.send(
                {"type": "fout", "tekst": "Doorzetten lukte niet: die collega is niet beschikbaar."}
            )
            return
    elif kind == "teruggeven" and chat_id is not None:
        ok = await live.finish(sock, chat_id, close=False)
    elif kind == "sluiten" and chat_id is not None:
        note = frame.get("notitie")
        ok = await live.finish(
            sock, chat_id, close=True, note=note if isinstance(note, str) else None
        )
    if not ok:
        await sock.send({"type": "fout", "tekst": "Dat lukte niet: deze chat is al afgelopen."})


@routes.get("/live/foto/{id}/{foto}", name="live_foto")
@requires(MEDEWERKER)
async def live_photo(request: web.Request) -> web.Response:
    """A photo a Telegram resident sent in a chat this medewerker has (webapp/live/telegram.py)."""
    upload_id = request.match_info["foto"]
    chat_id = row_id(request)
    user = current_user(request)
    if not await photo_in_chat(request.app[LIVE_KEY], chat_id, user.id, upload_id):
        raise web.HTTPNotFound()
    found = await console(request).store.upload(upload_id)
    if found is None:
        raise web.HTTPNotFound()
    return web.Response(
        body=found.data,
        content_type=found.content_type,
        headers={"Content-Disposition": "inline", "Cache-Control": "private, no-store"},
    )
