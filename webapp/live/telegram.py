"""Live chat for Telegram residents: the same queue, log and service as the widget.

A Telegram chat gets a conversation in the widget's log (`chat_sessions`, sender
`telegram:<chat id>`, a random id no browser token hashes to), made when the resident
asks for a medewerker. From then on everything is the widget's path (webapp/live/
service.py): the queue, taking, the medewerker's console, handing back. Only the two
ends differ:

- In: the connector (rasa_plugins/connectors/telegram.py) hands every message of a
  chat that asked for a medewerker to `POST /api/v1/live/bericht` (Case API token)
  before Rasa sees it. While the resident waits it is stored (the queue shows it) and
  goes on to Balie; once a medewerker has the chat it is stored only, for them, as the
  widget's relay does (webapp/chat/routes.py). Photos come as staged uploads (the
  melding photos' path, whole, within core/photos.py's limit); locations as a point,
  stored with readable text.
- Out: what the service says in the chat (the medewerker's messages, "U chat nu met
  ...", handed back) is posted by the instance that stored it to the connector's
  `/webhooks/telegram/live` (the widget channel's secret), one message after another
  per chat. As for the widget, a waiting resident's new place or expected wait goes
  out when it changes (`/live/plaats`: the connector edits the queue message, at most
  once per ~10 s per chat) and the medewerker's typing as it reaches the widget
  (`/live/typen`: Telegram's "typing…"). The resident stops waiting or ends the chat
  with a button the connector handles (`POST /api/v1/live/stoppen`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from datetime import timedelta
from typing import Any

import aiohttp
import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.exc import IntegrityError

from core.caseapi import models as m
from core.kcc import (
    MESSAGE_PATH,
    STOP_PATH,
    TELEGRAM_PLACE_PATH,
    TELEGRAM_RELAY_PATH,
    TELEGRAM_TYPING_PATH,
)
from core.settings import Settings
from core.widget_protocol import SECRET_HEADER, channel_secret
from webapp.api import parse
from webapp.cases.models import ChatSession
from webapp.chat.log import BOT, MEDEWERKER, RESIDENT, Conversation, RateLimited, token_hash
from webapp.errors import ApiError
from webapp.live.service import LIVE_KEY, Live
from webapp.live.store import Waiting

log = logging.getLogger(__name__)

PREFIX = "telegram:"
CHAT_ID_RE = re.compile(r"^-?\d{1,20}$")
UPLOAD_ID_RE = re.compile(r"^[0-9a-f-]{36}$")
MAX_JSON = 8 * 1024
MAX_TEXT = 2000
RATE = (20, timedelta(minutes=1))  # as the widget's relay
SEND_TIMEOUT = 30.0
QUICK_TIMEOUT = aiohttp.ClientTimeout(total=5.0)  # a place or typing: the next one comes soon


def location_text(lat: float, lon: float) -> str:
    """A shared point as the medewerker reads it (the melding summary's wording)."""
    return f"Gedeelde locatie ({lat:.5f}, {lon:.5f})"


def resident_message(raw: Any) -> dict[str, Any]:
    """What the connector sent, checked: text, and a staged photo or a point."""
    if not isinstance(raw, dict):
        raise ApiError(400, "bericht must be an object")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "bericht.text must be a non-empty string")
    bericht: dict[str, Any] = {"text": text.strip()[:MAX_TEXT]}
    foto = raw.get("foto")
    if foto is not None:
        if not (isinstance(foto, str) and UPLOAD_ID_RE.match(foto)):
            raise ApiError(400, "bericht.foto must be an upload id")
        bericht["foto"] = foto
    point = raw.get("locatie")
    if point is not None:
        lat = point.get("lat") if isinstance(point, dict) else None
        lon = point.get("lon") if isinstance(point, dict) else None
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lon))
        if not numbers or not (-90 <= lat <= 90 and -180 <= lon <= 180):  # type: ignore[operator]
            raise ApiError(400, "bericht.locatie must be {lat, lon}")
        bericht["locatie"] = {"lat": float(lat), "lon": float(lon)}  # type: ignore[arg-type]
        bericht["text"] = location_text(float(lat), float(lon))  # type: ignore[arg-type]
    return bericht


def chat_of(melder: Any) -> str:
    """The chat id of `telegram:<chat id>`; 400 otherwise."""
    if not isinstance(melder, str) or not melder.startswith(PREFIX):
        raise ApiError(400, "melder must be 'telegram:<chat id>'")
    chat_id = melder[len(PREFIX) :]
    if not CHAT_ID_RE.match(chat_id):
        raise ApiError(400, "melder must be 'telegram:<chat id>'")
    return chat_id


class TelegramLive:
    def __init__(self, live: Live, settings: Settings) -> None:
        self.live = live
        self.rasa = settings.rasa_url.rstrip("/")
        self.headers = {SECRET_HEADER: channel_secret(settings.api_token())}
        self.chats: dict[str, str | None] = {}  # session id -> chat id (None: a widget's)
        self.locks: dict[str, asyncio.Lock] = {}
        # Telegram session id -> the place and wait last sent to the connector
        self.places_sent: dict[str, tuple[int, int | None]] = {}
        # Waiting session id -> its place and wait at the latest refresh
        self._places_wanted: dict[str, tuple[int, int | None]] = {}
        # Session id -> the task posting its place: one a chat, kept so it is not collected
        self._place_senders: dict[str, asyncio.Task[None]] = {}
        self._http: aiohttp.ClientSession | None = None
        live.outlets.append(self)

    # --- the chat's conversation -----------------------------------------------------------

    async def conversation(self, chat_id: str, *, create: bool) -> Conversation | None:
        sender = PREFIX + chat_id
        for _ in range(3):
            found = await self.live.log.by_sender(sender)
            if found is not None and not found[1]:
                self.chats[found[0].id] = chat_id
                return found[0]
            if not create:
                return None
            try:
                async with self.live.log.sessions() as session, session.begin():
                    if found is not None:  # wiped (forgotten): start afresh
                        await session.execute(
                            sa.delete(ChatSession).where(ChatSession.id == found[0].id)
                        )
                    # A random id: no browser token can ever hash to it.
                    session.add(
                        ChatSession(id=token_hash(secrets.token_urlsafe(32)), sender=sender)
                    )
            except IntegrityError:  # made by another request a moment ago
                continue
        return None

    async def chat_id_of(self, session_id: str) -> str | None:
        if session_id not in self.chats:
            async with self.live.log.sessions() as session:
                sender = (
                    await session.execute(
                        sa.select(ChatSession.sender).where(ChatSession.id == session_id)
                    )
                ).scalar_one_or_none()
            self.chats[session_id] = (
                sender[len(PREFIX) :] if sender and sender.startswith(PREFIX) else None
            )
            if len(self.chats) > 10_000:
                self.chats.pop(next(iter(self.chats)))
        return self.chats[session_id]

    # --- in: the resident --------------------------------------------------------------------

    async def incoming(self, chat_id: str, bericht: dict[str, Any], message_id: str | None) -> bool:
        """Store a resident's message for the medewerker; True when one has the chat."""
        conversation = await self.conversation(chat_id, create=False)
        if conversation is None:
            return False
        chat = await self.live.store.open_of(conversation.id)
        if chat is None:
            return False
        try:
            stored = await self.live.log.append(
                conversation.id, RESIDENT, bericht, message_id, rate=RATE
            )
        except RateLimited:
            stored = None  # a flood still never reaches Balie mid-chat
        if stored is not None:
            self.live.hub.notify(conversation.id)
        return chat.status == "live"

    async def stop(self, chat_id: str) -> bool:
        conversation = await self.conversation(chat_id, create=False)
        if conversation is None or await self.live.store.open_of(conversation.id) is None:
            return False
        await self.live.resident_stops(conversation.id)
        return True

    # --- out: to the chat ---------------------------------------------------------------------

    async def said(self, session_id: str, afzender: str, bericht: dict[str, Any]) -> None:
        """Called (spawned) for each live message the service stored, in order."""
        lock = self.locks.setdefault(session_id, asyncio.Lock())
        async with lock:  # no await before this: the messages keep their order
            chat_id = await self.chat_id_of(session_id)
            text = str(bericht.get("text") or "").strip()
            if chat_id is None or not text or afzender not in (BOT, MEDEWERKER):
                return
            if afzender == MEDEWERKER:
                text = f"{bericht.get('naam') or 'Medewerker'}: {text}"
            chat = await self.live.store.open_of(session_id)
            body = {"chat_id": chat_id, "tekst": text, "stoppen": chat is not None}
            await self._post(TELEGRAM_RELAY_PATH, body)

    async def typing(self, session_id: str) -> None:
        chat_id = await self.chat_id_of(session_id)
        if chat_id is not None:  # a moment's indicator: no retries
            await self._post(TELEGRAM_TYPING_PATH, {"chat_id": chat_id}, attempts=1)

    async def places(self, places: dict[str, Waiting]) -> None:
        """A waiting Telegram resident's place or wait changed: the connector shows it.

        Every instance does this at every refresh; the connector (one) drops what its
        queue message already says and throttles the edits. The posts run as tasks, one
        a chat, so the refresh never waits for the connector and a slow chat holds up no
        other.
        """
        for gone in [s for s in self.places_sent if s not in places]:
            del self.places_sent[gone]
        self._places_wanted = {s: (p.positie, p.wacht_minuten) for s, p in places.items()}
        for session_id, now in self._places_wanted.items():
            if self.places_sent.get(session_id) == now or session_id in self._place_senders:
                continue  # sent already, or its task sends the latest place when it is done
            if session_id in self.chats and self.chats[session_id] is None:
                continue  # a widget's conversation: the widget has its place
            task = asyncio.ensure_future(self._send_place(session_id))
            self._place_senders[session_id] = task
            task.add_done_callback(self._place_sent)

    async def _send_place(self, session_id: str) -> None:
        """Post the chat's place until the connector has the latest (a refresh may come
        while a post is under way); one post at a time, so the chat's edits keep their order.
        A failed post is tried again at the next refresh, as it is not marked sent."""
        try:
            chat_id = await self.chat_id_of(session_id)
            while chat_id is not None:
                now = self._places_wanted.get(session_id)
                if now is None or self.places_sent.get(session_id) == now:
                    return  # no longer waiting, or the connector has it
                body = {"chat_id": chat_id, "positie": now[0], "wacht_minuten": now[1]}
                if not await self._post(TELEGRAM_PLACE_PATH, body, attempts=1):
                    return
                if session_id in self._places_wanted:  # not taken or stopped meanwhile
                    self.places_sent[session_id] = now
        finally:
            # Gone with no await after the last look: a refresh from now on starts a new one.
            if self._place_senders.get(session_id) is asyncio.current_task():
                del self._place_senders[session_id]

    @staticmethod
    def _place_sent(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("queue place to Telegram failed", exc_info=task.exception())

    async def _post(self, path: str, body: dict[str, Any], attempts: int = 3) -> bool:
        if self._http is None or self._http.closed:
            # Shutting down: the message is in the log, the chat just does not hear it now.
            log.warning("live chat to Telegram not sent: the web app is stopping")
            return False
        timeout = QUICK_TIMEOUT if attempts == 1 else self._http.timeout
        for attempt in range(attempts):
            try:
                async with self._http.post(
                    self.rasa + path, json=body, headers=self.headers, timeout=timeout
                ) as resp:
                    if resp.status == 200:
                        return True
                    log.warning("live chat to Telegram: Rasa answered %s", resp.status)
                    if resp.status < 500:
                        return False
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                log.warning("live chat to Telegram failed: %r", exc)
            if attempt + 1 < attempts:
                await asyncio.sleep(0.5 * 2**attempt)
        return False

    async def lifecycle(self, app: web.Application) -> Any:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT))
        yield
        # Places still being posted: the resident is waiting and the web app stops anyway.
        senders = list(self._place_senders.values())
        for task in senders:
            task.cancel()
        await asyncio.gather(*senders, return_exceptions=True)
        await self._http.close()


async def post_message(request: web.Request) -> web.Response:
    body = await parse(request, m.LiveMessageIn)
    bericht = resident_message(body.bericht.dict(exclude_none=True))
    live = await request.app[TELEGRAM_KEY].incoming(chat_of(body.melder), bericht, body.id)
    return web.json_response(m.LiveMessageAnswer(live=live).dict())


async def post_stop(request: web.Request) -> web.Response:
    body = await parse(request, m.LiveStopIn)
    stopped = await request.app[TELEGRAM_KEY].stop(chat_of(body.melder))
    return web.json_response(m.LiveStopAnswer(gestopt=stopped).dict())


TELEGRAM_KEY = web.AppKey("live_telegram", TelegramLive)


def setup(app: web.Application, settings: Settings) -> None:
    """After the live service (app[LIVE_KEY]); the routes are under /api/ (the token)."""
    telegram = TelegramLive(app[LIVE_KEY], settings)
    app[TELEGRAM_KEY] = telegram
    app.cleanup_ctx.append(telegram.lifecycle)
    app.router.add_post("/api/v1" + MESSAGE_PATH, post_message)
    app.router.add_post("/api/v1" + STOP_PATH, post_stop)


async def photo_in_chat(live: Live, chat_id: int, staff_id: int, upload_id: str) -> bool:
    """Did the resident of this medewerker's chat send this photo (staff may see it)?"""
    chat = await live.store.get(chat_id)
    if chat is None or chat.medewerker_id != staff_id or not UPLOAD_ID_RE.match(upload_id):
        return False
    entries = await live.log.after(chat.session_id, 0)
    return any(e.afzender == RESIDENT and e.bericht.get("foto") == upload_id for e in entries)
