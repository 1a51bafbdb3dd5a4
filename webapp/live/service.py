"""Live chat in real time: the resident's widget and the medewerkers' Live page.

- A conversation joins the queue when Balie's action asks (`request`, through the Case
  API, webapp/live/api.py) within the KCC's hours (core/kcc.py) while a medewerker is
  available. The widget gets a `live` frame with its place and expected wait; it is sent
  again whenever the queue changes and every few seconds (the wait goes down).
- While a medewerker has the conversation, the relay (webapp/chat/routes.py) stores the
  resident's messages but does not send them to Rasa; the medewerker's messages are
  stored in the same log (`medewerker`, with their first name) and reach the widget the
  way Balie's do, so a reload loses and doubles nothing.
- Medewerkers' sockets (ConsoleSocket) get the queue, and every new message of the
  conversations they handle, by sequence number from the log.
- Channels without a socket here (Telegram) are outlets: they get each message said,
  the places at every refresh and the medewerker's (throttled) typing, and show them
  their own way.

Several web-app instances: the database is the truth; a change publishes LIVE on the
bus (webapp/bus.py) and every instance refreshes its widgets and Live pages at once; new
messages reach a medewerker on another instance through the hub's MESSAGES events. A
tick every TICK_SECONDS catches whatever was missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from aiohttp import web

from core import kcc
from core.clock import utcnow
from core.privacy.masking import mask
from core.residents import texts
from webapp.bus import LIVE, LIVE_TYPING_MEDEWERKER, LIVE_TYPING_RESIDENT, Bus, Event
from webapp.chat.hub import Connection, Hub
from webapp.chat.log import BOT, MEDEWERKER, RESIDENT, ChatLog, Entry
from webapp.live.store import Chat, LiveStore, Waiting

log = logging.getLogger(__name__)

TICK_SECONDS = 3.0
MAX_TEXT = 2000  # a medewerker's message
PREVIEW = 4  # the resident's last messages shown (masked) in the queue
NONE = {"type": "live", "status": "geen"}
# A medewerker's connection that drops comes back within this many seconds (a reload,
# a hiccup), or their residents go back to the queue (BALIE_LIVE_GRACE_SECONDS).
GRACE_SECONDS = 20.0
# "Typing" goes out at most this often per conversation and direction.
TYPING_EVERY = 2.0
TYPING_FRAME = {"type": "live_typen"}  # to the widget: the medewerker types


def widget_frame(chat: Chat | None, place: Waiting | None) -> dict[str, Any]:
    """The widget's `live` frame: waiting (place, expected wait), live (with whom), or none."""
    if chat is None:
        return NONE
    if chat.status == "wachtend":
        return {
            "type": "live",
            "status": "wachtend",
            "positie": place.positie if place else 1,
            "wacht_minuten": place.wacht_minuten if place else None,
        }
    return {"type": "live", "status": "live", "medewerker": chat.medewerker_naam}


class Outlet(Protocol):
    """A channel that does not read the log or hold a socket here (Telegram,
    webapp/live/telegram.py): the service tells it what the widget would see."""

    async def said(self, session_id: str, afzender: str, bericht: dict[str, Any]) -> None:
        """A message said in the chat, from the instance that stored it, once, in order."""

    async def typing(self, session_id: str) -> None:
        """The medewerker types (already throttled, as the widget's frames)."""

    async def places(self, places: dict[str, Waiting]) -> None:
        """Every waiting conversation's place and expected wait, at every refresh."""


@dataclass(eq=False)
class ConsoleSocket:
    """One open Live page of a medewerker."""

    ws: web.WebSocketResponse
    staff_id: int
    voornaam: str
    # chat id -> (conversation, last seq sent) of the chats this medewerker has
    chats: dict[int, tuple[str, int]] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    queue_sent: list[Any] | None = None
    colleagues_sent: list[Any] | None = None  # the colleagues to transfer to, last sent
    typed: dict[int, float] = field(default_factory=dict)  # chat id -> last "typing" sent

    async def send(self, frame: dict[str, Any]) -> bool:
        if self.ws.closed:
            return False
        try:
            await self.ws.send_json(frame)
            return True
        except (ConnectionError, RuntimeError):
            return False


def entry_frame(chat_id: int, entry: Entry) -> dict[str, Any]:
    """A message of the conversation for the medewerker who handles it (in clear text)."""
    frame = entry.frame()
    return {
        "type": "bericht",
        "id": chat_id,
        "seq": entry.seq,
        "from": frame["from"],
        "time": frame["time"],
        "text": str(entry.bericht.get("text") or ""),
        "naam": entry.bericht.get("naam"),
        **media_fields(chat_id, entry.bericht),
    }


def media_fields(chat_id: int, bericht: dict[str, Any]) -> dict[str, Any]:
    """A Telegram resident's photo (a staff URL) or shared point (webapp/live/telegram.py)."""
    found: dict[str, Any] = {}
    if isinstance(bericht.get("foto"), str):
        found["foto"] = f"/staff/live/foto/{chat_id}/{bericht['foto']}"
    if isinstance(bericht.get("locatie"), dict):
        found["locatie"] = bericht["locatie"]
    return found


class Live:
    def __init__(
        self,
        store: LiveStore,
        chat_log: ChatLog,
        hub: Hub,
        bus: Bus | None,
        grace: float = GRACE_SECONDS,
    ) -> None:
        self.store = store
        self.grace = grace
        self._resident_typed: dict[str, float] = {}  # conversation -> last "typing" passed on
        self.log = chat_log
        self.hub = hub
        self.bus = bus if bus is not None and bus.enabled else None
        self.consoles: set[ConsoleSocket] = set()
        # Channels that do not read the log themselves (Telegram, webapp/live/telegram.py).
        self.outlets: list[Outlet] = []
        self._ticker: asyncio.Task[None] | None = None
        hub.watchers.append(self._grew)
        if self.bus is not None:
            self.bus.subscribe(self._event)

    # --- residents -----------------------------------------------------------------------

    async def request(self, session_id: str) -> dict[str, Any]:
        """Balie's action asks for a medewerker: join the queue, or not (call-back)."""
        if not kcc.is_open(utcnow()) or not await self.store.anyone_available():
            return {"wachtrij": False}
        seq = (await self.log.last_seqs([session_id])).get(session_id, 0)
        chat = await self.store.enqueue(session_id, seq)
        self.changed()
        place = (await self.store.places()).get(session_id)
        answer: dict[str, Any] = {"wachtrij": True, "status": chat.status}
        if place is not None:
            answer.update(positie=place.positie, wacht_minuten=place.wacht_minuten)
        return answer

    async def available(self) -> bool:
        """Could a resident chat with a medewerker now? (What Balie offers: chat or call-back.)"""
        return kcc.is_open(utcnow()) and await self.store.anyone_available()

    async def with_medewerker(self, session_id: str) -> bool:
        """Does a medewerker have this conversation (its messages go to them, not Rasa)?"""
        chat = await self.store.open_of(session_id)
        return chat is not None and chat.status == "live"

    async def state(self, session_id: str) -> dict[str, Any]:
        chat = await self.store.open_of(session_id)
        place = (await self.store.places()).get(session_id) if chat else None
        return widget_frame(chat, place)

    async def resident_stops(self, session_id: str) -> None:
        """The resident stops waiting, or ends the chat with the medewerker."""
        chat = await self.store.open_of(session_id)
        if chat is None:
            return
        waiting = chat.status == "wachtend"
        if await self.store.end(chat.id, "geannuleerd" if waiting else "beeindigd"):
            text = texts.LIVE_CANCELLED if waiting else texts.LIVE_ENDED
            await self._say(session_id, BOT, {"text": text})
            self.changed(session_id)

    # --- medewerkers ---------------------------------------------------------------------

    async def take(self, sock: ConsoleSocket, chat_id: int) -> bool:
        chat = await self.store.get(chat_id)
        if chat is None:
            return False
        seq = (await self.log.last_seqs([chat.session_id])).get(chat.session_id, 0)
        if not await self.store.take(chat_id, sock.staff_id, sock.voornaam, seq):
            return False
        await self._say(chat.session_id, BOT, {"text": texts.live_taken(sock.voornaam)})
        await self._open_for(sock, chat_id, chat.session_id)
        self.changed(chat.session_id)
        return True

    async def say(self, sock: ConsoleSocket, chat_id: int, text: str) -> bool:
        held = sock.chats.get(chat_id)
        text = text.strip()[:MAX_TEXT]
        if held is None or not text:
            return False
        chat = await self.store.open_of(held[0])
        if chat is None or chat.id != chat_id or chat.medewerker_id != sock.staff_id:
            return False
        await self._say(held[0], MEDEWERKER, {"text": text, "naam": sock.voornaam})
        sock.typed.pop(chat_id, None)  # typing again shows at once
        return True

    async def finish(
        self, sock: ConsoleSocket, chat_id: int, *, close: bool, note: str | None = None
    ) -> bool:
        """Hand the resident back to Balie, or close the chat with a note."""
        held = sock.chats.get(chat_id)
        if held is None:
            return False
        einde = "gesloten" if close else "teruggegeven"
        if not await self.store.end(chat_id, einde, staff_id=sock.staff_id, notitie=note):
            return False
        text = texts.live_closed(sock.voornaam) if close else texts.live_handed_back(sock.voornaam)
        await self._say(held[0], BOT, {"text": text})
        await self._drop(sock, chat_id, "Gesloten." if close else "Teruggegeven aan Balie.")
        self.changed(held[0])
        return True

    async def attach(self, sock: ConsoleSocket) -> None:
        """A Live page opened: its queue, and the chats this medewerker still has."""
        self.consoles.add(sock)
        await self.store.seen(sock.staff_id)  # back within the grace period (_after_drop)
        await self._queue_to(sock)
        await self._colleagues_to(sock)
        for chat in await self.store.of_medewerker(sock.staff_id):
            await self._open_for(sock, chat.id, chat.session_id)

    def detach(self, sock: ConsoleSocket) -> None:
        self.consoles.discard(sock)
        if sock.chats:  # residents are waiting for this medewerker's words
            self.hub.spawn(self._after_drop(sock.staff_id, utcnow()))

    async def _open_for(self, sock: ConsoleSocket, chat_id: int, session_id: str) -> None:
        """The whole conversation so far, then everything new (by sequence number)."""
        async with sock.lock:
            entries = await self.log.after(session_id, 0)
            sock.chats[chat_id] = (session_id, entries[-1].seq if entries else 0)
            await sock.send(
                {
                    "type": "gesprek",
                    "id": chat_id,
                    "berichten": [entry_frame(chat_id, e) for e in entries],
                }
            )

    async def _pull(self, sock: ConsoleSocket, chat_id: int) -> None:
        async with sock.lock:
            held = sock.chats.get(chat_id)
            if held is None:
                return
            session_id, delivered = held
            for entry in await self.log.after(session_id, delivered):
                if not await sock.send(entry_frame(chat_id, entry)):
                    return
                sock.chats[chat_id] = (session_id, entry.seq)

    async def _drop(self, sock: ConsoleSocket, chat_id: int, tekst: str) -> None:
        await self._pull(sock, chat_id)  # the last words first
        sock.chats.pop(chat_id, None)
        await sock.send({"type": "einde", "id": chat_id, "tekst": tekst})

    # --- the shared log ------------------------------------------------------------------

    async def _say(self, session_id: str, afzender: str, bericht: dict[str, Any]) -> None:
        stored = await self.log.append(
            session_id, afzender, bericht, f"live-{secrets.token_hex(8)}"
        )
        if stored is not None:
            self.hub.notify(session_id)
            for outlet in self.outlets:
                self.hub.spawn(outlet.said(session_id, afzender, bericht))

    def _grew(self, session_id: str) -> None:
        """A conversation has new messages: the medewerker who has it gets them."""
        self._resident_typed.pop(session_id, None)  # typing again shows at once
        for sock in list(self.consoles):
            for chat_id, (held, _) in list(sock.chats.items()):
                if held == session_id:
                    self.hub.spawn(self._pull(sock, chat_id))

    # --- telling everyone ----------------------------------------------------------------

    def changed(self, session_id: str = "*") -> None:
        """The queue changed: refresh here, and tell the other instances."""
        if self.bus is not None and self.bus.up:
            self.hub.spawn(self.bus.publish(LIVE, session_id))
        self.hub.spawn(self.refresh())

    def _event(self, event: Event) -> None:
        if event.kind == LIVE:
            self.hub.spawn(self.refresh())
        elif event.kind == LIVE_TYPING_RESIDENT:
            self.hub.spawn(self._typing_to_consoles(event.session_id))
        elif event.kind == LIVE_TYPING_MEDEWERKER:
            self.hub.spawn(self.hub.broadcast(event.session_id, TYPING_FRAME))

    async def refresh(self) -> None:
        await self._refresh_widgets()
        await self._refresh_consoles()
        await self._refresh_outlets()

    async def _refresh_outlets(self) -> None:
        """The places the widgets get, for the outlets' residents (each keeps what it sent)."""
        if not self.outlets:
            return
        places = await self.store.places()
        for outlet in self.outlets:
            await outlet.places(places)

    async def _refresh_widgets(self) -> None:
        sessions = list(self.hub.connections)
        open_chats = await self.store.open_among(sessions)
        places = (
            await self.store.places()
            if any(c.status == "wachtend" for c in open_chats.values())
            else {}
        )
        for session_id in sessions:
            frame = widget_frame(open_chats.get(session_id), places.get(session_id))
            for conn in list(self.hub.connections.get(session_id, ())):
                await self._tell(conn, frame)

    async def _tell(self, conn: Connection, frame: dict[str, Any]) -> None:
        if frame == (conn.live or NONE):
            return
        if await conn.send(frame):
            conn.live = frame

    async def widget_attached(self, conn: Connection) -> None:
        await self._tell(conn, await self.state(conn.session_id))

    async def _queue(self) -> list[dict[str, Any]]:
        now = utcnow()
        queue = []
        for chat in await self.store.waiting():
            said = [
                mask(str(e.bericht.get("text") or ""))
                for e in await self.log.after(chat.session_id, 0, limit=20)
                if e.afzender == RESIDENT
            ]
            queue.append(
                {
                    "id": chat.id,
                    "sinds": chat.aangemeld_op.isoformat(),
                    "wacht_seconden": int((now - chat.aangemeld_op).total_seconds()),
                    "voorbeeld": said[-PREVIEW:],
                }
            )
        return queue

    async def _queue_to(
        self, sock: ConsoleSocket, queue: list[dict[str, Any]] | None = None
    ) -> None:
        queue = queue if queue is not None else await self._queue()
        if await sock.send({"type": "wachtrij", "wachtenden": queue}):
            sock.queue_sent = [item["id"] for item in queue]

    async def _refresh_consoles(self) -> None:
        if not self.consoles:
            return
        queue = await self._queue()
        await self.store.touch({sock.staff_id for sock in self.consoles})  # still there
        for sock in list(self.consoles):
            await self._queue_to(sock, queue)
            await self._colleagues_to(sock)
            # A chat that ended elsewhere (the resident stopped, another tab closed it).
            still = {c.id for c in await self.store.of_medewerker(sock.staff_id)}
            for chat_id in [c for c in sock.chats if c not in still]:
                await self._drop(sock, chat_id, "De chat is beëindigd.")
            for chat in await self.store.of_medewerker(sock.staff_id):
                if chat.id not in sock.chats:  # taken in another tab of this medewerker
                    await self._open_for(sock, chat.id, chat.session_id)

    # --- lifecycle -----------------------------------------------------------------------

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            try:
                await self.refresh()
            except Exception:  # a database hiccup must not end the ticking for good
                log.exception("refreshing live chats failed")

    async def lifecycle(self, app: web.Application) -> Any:
        self._ticker = asyncio.ensure_future(self._tick())
        yield
        self._ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._ticker

    # --- the medewerker's tools: transfer, typing, a dropped connection, telling -------

    async def tell_resident(self, session_id: str, text: str) -> None:
        """A message from Balie in the resident's chat (a case filed for them)."""
        await self._say(session_id, BOT, {"text": text})

    async def held(self, staff_id: int, chat_id: int) -> Chat | None:
        """The live chat, if this medewerker has it now."""
        chat = await self.store.get(chat_id)
        if chat is None or chat.status != "live" or chat.medewerker_id != staff_id:
            return None
        return chat

    async def transfer(self, sock: ConsoleSocket, chat_id: int, to_id: int) -> bool:
        """Hand the chat to an available colleague; their Live page opens it."""
        held = sock.chats.get(chat_id)
        names = dict(await self.store.colleagues(sock.staff_id))
        if held is None or to_id not in names:
            return False
        if not await self.store.transfer(chat_id, sock.staff_id, to_id, names[to_id]):
            return False
        await self._say(held[0], BOT, {"text": texts.live_transferred(sock.voornaam, names[to_id])})
        await self._drop(sock, chat_id, f"Doorgezet naar {names[to_id]}.")
        self.changed(held[0])
        return True

    async def _colleagues_to(self, sock: ConsoleSocket) -> None:
        found = [{"id": i, "naam": n} for i, n in await self.store.colleagues(sock.staff_id)]
        if found != sock.colleagues_sent and await sock.send({"type": "collegas", "lijst": found}):
            sock.colleagues_sent = found

    async def resident_typing(self, session_id: str) -> None:
        """The resident types: the medewerker who has the conversation sees it."""
        now = time.monotonic()
        if now - self._resident_typed.get(session_id, 0.0) < TYPING_EVERY:
            return
        self._resident_typed[session_id] = now
        if len(self._resident_typed) > 10_000:  # forget the old ones now and then
            self._resident_typed = {
                k: v for k, v in self._resident_typed.items() if now - v < TYPING_EVERY
            }
        if not await self.with_medewerker(session_id):
            return
        if self.bus is not None and self.bus.up:
            self.hub.spawn(self.bus.publish(LIVE_TYPING_RESIDENT, session_id))
        await self._typing_to_consoles(session_id)

    async def _typing_to_consoles(self, session_id: str) -> None:
        for sock in list(self.consoles):
            for chat_id, (held, _) in list(sock.chats.items()):
                if held == session_id:
                    await sock.send({"type": "typt", "id": chat_id})

    async def medewerker_typing(self, sock: ConsoleSocket, chat_id: int) -> None:
        """The medewerker types: the resident's widget shows "Marieke typt…"."""
        held = sock.chats.get(chat_id)
        now = time.monotonic()
        if held is None or now - sock.typed.get(chat_id, 0.0) < TYPING_EVERY:
            return
        sock.typed[chat_id] = now
        if self.bus is not None and self.bus.up:
            self.hub.spawn(self.bus.publish(LIVE_TYPING_MEDEWERKER, held[0]))
        for outlet in self.outlets:  # only here: the instance where the medewerker types
            self.hub.spawn(outlet.typing(held[0]))
        await self.hub.broadcast(held[0], TYPING_FRAME)

    async def _after_drop(self, staff_id: int, dropped_at: datetime) -> None:
        """A Live page with chats closed: unless the medewerker is back within the grace
        period (here or on another instance), their residents go back to the queue."""
        await asyncio.sleep(self.grace)
        if any(sock.staff_id == staff_id for sock in self.consoles):
            return
        seen = await self.store.seen_at(staff_id)
        if seen is not None and seen > dropped_at:  # a page open on another instance
            return
        for chat in await self.store.requeue(staff_id):
            naam = chat.medewerker_naam or "De medewerker"
            await self._say(chat.session_id, BOT, {"text": texts.live_connection_lost(naam)})
            self.changed(chat.session_id)


LIVE_KEY = web.AppKey("live", Live)
