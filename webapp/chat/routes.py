"""HTTP and WebSocket routes of the widget relay.

- `GET /chat/ws`: the widget's WebSocket (protocol in docs/widget.md).
- `POST /chat/callback`: Rasa's `balie_web` channel delivers bot messages here.
- `POST /chat/upload`: a photo for a melding, staged in the case store.
- `GET /chat/gemeente`: the gemeente's name, colour, logo and privacy statement (CORS).
- `GET /demo`, `/demo/{pagina}`: a fictional gemeente's pages with the widget on them.

A resident who types `/vergeet` can have Balie forget them (forget.py); `/help` asks Rasa
what Balie can do (core/residents/commands.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import jinja2
from aiohttp import WSMsgType, web

from core import feedback, photos
from core.bearer import same_secret
from core.channel_hints import card_values
from core.client_address import bucket, of_request, stamp
from core.content import gemeente_settings
from core.observability import metrics
from core.privacy.sealing import sealer
from core.residents import commands, guard, texts
from core.residents.commands import Command
from core.residents.guard import MAX_LENGTH
from core.safe_json import loads
from core.throttle import Throttle, key
from core.widget_protocol import CALLBACK_PATH, SECRET_HEADER, channel_secret
from webapp import bus as instance_bus
from webapp.bodies import BodyTooLarge, read_body
from webapp.cases.models import Attempts, utcnow
from webapp.cases.store import CaseStore
from webapp.chat import feedback as chat_feedback
from webapp.chat import forget
from webapp.chat.hub import Connection, Hub
from webapp.chat.log import BOT, RESIDENT, ChatLog, Conversation, RateLimited
from webapp.chat.relay import RasaRelay, RasaUnavailable
from webapp.feedback.store import asked
from webapp.live import api as live_api
from webapp.live import offer as live_offer
from webapp.live import telegram as live_telegram
from webapp.live.service import LIVE_KEY, Live
from webapp.live.store import LiveStore
from webapp.privacy.retention import RETENTION_KEY
from webapp.settings import WebSettings

log = logging.getLogger(__name__)

RATE_LIMIT = 20  # messages per resident per minute
RATE_WINDOW = timedelta(minutes=1)
UPLOAD_LIMIT = 10  # photos per conversation per hour
UPLOAD_WINDOW = timedelta(hours=1)
# The window of the new conversations one client address may start (widget_new_per_hour).
NEW_WINDOW = timedelta(hours=1)
HELLO_TIMEOUT = 15
MAX_FRAME = 16 * 1024
MAX_CALLBACK = 64 * 1024
SESSION_HEADER = "X-Balie-Sessie"
ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
UPLOAD_ID_RE = re.compile(r"^[0-9a-f-]{36}$")
# The pages this module serves load nothing but their own scripts and styles.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DEMO_PAGES = {
    "": "Home",
    "afval": "Afval en grofvuil",
    "melden": "Melding openbare ruimte",
    "contact": "Contact",
}


def notice(code: str) -> str:
    """The Dutch text (core/residents/texts.py) of an error the widget shows."""
    telefoon = gemeente_settings().get("telefoon", "14 0123")
    return {
        guard.TOO_LONG.code: guard.TOO_LONG.text,
        guard.NOT_OFFERED.code: guard.NOT_OFFERED.text,
        "te_snel": texts.TOO_FAST,
        "niet_bereikbaar": texts.unavailable(telefoon),
        "onleesbaar": texts.UNREADABLE,
        "geen_sessie": texts.SESSION_EXPIRED,
        "te_veel_fotos": texts.TOO_MANY_PHOTOS,
        "foto_te_groot": texts.PHOTO_TOO_BIG,
        "geen_foto": texts.NOT_A_PHOTO,
        "foto_kapot": texts.PHOTO_BROKEN,
        "te_veel_gesprekken": texts.too_many_conversations(telefoon),
    }[code]


def error_frame(code: str, message_id: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": code, "text": notice(code)}
    if message_id:
        frame["id"] = message_id
    return frame


class BadFrame(ValueError):
    def __init__(self, code: str = "onleesbaar") -> None:
        super().__init__(code)
        self.code = code


def clean_metadata(raw: Any) -> dict[str, Any] | None:
    """Only what the forms read: a point the resident chose to share, a staged photo."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise BadFrame
    metadata: dict[str, Any] = {}
    point = raw.get("locatie")
    if point is not None:
        lat, lon = (point or {}).get("lat"), (point or {}).get("lon")
        if not (isinstance(lat, int | float) and isinstance(lon, int | float)):
            raise BadFrame
        if isinstance(lat, bool) or isinstance(lon, bool):
            raise BadFrame
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise BadFrame
        metadata["locatie"] = {"lat": float(lat), "lon": float(lon)}
    foto = raw.get("foto")
    if foto is not None:
        upload_id = (foto or {}).get("upload_id") if isinstance(foto, dict) else None
        if not (isinstance(upload_id, str) and UPLOAD_ID_RE.match(upload_id)):
            raise BadFrame
        metadata["foto"] = {"upload_id": upload_id}
    return metadata or None


def bot_message(body: dict[str, Any]) -> dict[str, Any]:
    """What the widget renders of a Rasa message: text, buttons, an image link."""
    message: dict[str, Any] = {}
    text = body.get("text")
    if isinstance(text, str) and text.strip():
        message["text"] = text[:4000]
    buttons = [
        {"title": b["title"][:120], "payload": b["payload"][:500]}
        for b in body.get("buttons") or []
        if isinstance(b, dict)
        and isinstance(b.get("title"), str)
        and isinstance(b.get("payload"), str)
    ]
    if buttons:
        message["buttons"] = buttons[:12]
    image = body.get("image")
    if isinstance(image, str) and image.startswith(("https://", "http://")):
        message["image"] = image[:1000]
    card = card_values(body.get("custom"))
    if card:
        message["card"] = card  # shown as a card with copy buttons
    topic = feedback.clean_topic(body.get(feedback.MESSAGE_KEY))
    if topic and message.get("text"):
        message[feedback.MESSAGE_KEY] = topic  # the widget offers thumbs up/down
    return message


def widget_look(settings: dict[str, str]) -> dict[str, str]:
    """The gemeente's name, colour, logo and privacy statement for the widget."""
    look = {"naam": settings.get("naam", "")}
    if COLOUR_RE.fullmatch(settings.get("kleur", "")):
        look["kleur"] = settings["kleur"]
    for name in ("logo", "privacy_url"):
        value = settings.get(name, "")
        # A path on this web app (/static/...) or an http(s) address; nothing else.
        if value.startswith(("https://", "http://")) or SAFE_PATH_RE.fullmatch(value):
            look[name] = value
    return look


class ChatServer:
    def __init__(
        self, settings: WebSettings, store: CaseStore, bus: instance_bus.Bus | None = None
    ) -> None:
        secret = channel_secret(settings.api_token())
        self.secret = secret
        self.log = ChatLog(store.sessions, sealer(settings))
        self.store = store
        self.hub = Hub(self.log, settings.chat_poll_seconds, bus)  # bus: other instances' news
        self.relay = RasaRelay(settings.rasa_url, secret)
        # Live chat with a medewerker (webapp/live/): while one has the conversation,
        # the resident's messages go to them, not to Rasa.
        self.live = Live(
            LiveStore(store.sessions), self.log, self.hub, bus, settings.live_grace_seconds
        )
        self.allowed_origins = frozenset(settings.widget_origins)
        self.trusted_proxies = settings.trusted_proxies
        self.throttle = Throttle(store.sessions, Attempts.__table__)
        self.new_per_hour = settings.widget_new_per_hour
        # Set by setup; forgetting uses the app's Retention. Old conversations are
        # deleted by its periodic purge (webapp/privacy/retention.py).
        self.app: web.Application | None = None

    # --- origins -----------------------------------------------------------------------

    def origin_allowed(self, request: web.Request, *, required: bool) -> bool:
        """Same host as the web app, or a site listed in BALIE_WIDGET_ORIGINS."""
        origin = request.headers.get("Origin")
        if not origin:
            return not required
        return origin in self.allowed_origins or urlsplit(origin).netloc == request.host

    def cors(self, request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin and self.origin_allowed(request, required=True):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    # --- the widget's WebSocket ------------------------------------------------------------

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        if not self.origin_allowed(request, required=True):
            raise web.HTTPForbidden(text="origin not allowed")
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_FRAME)
        await ws.prepare(request)
        conn: Connection | None = None
        address = of_request(request.remote, request.headers, self.trusted_proxies)
        try:
            hello = await asyncio.wait_for(ws.receive(), HELLO_TIMEOUT)
            conn = await self._hello(ws, hello, address)
            if conn is None:
                return ws
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    break
                conn = await self._frame(conn, msg.data)
        except asyncio.TimeoutError:
            pass
        finally:
            if conn is not None:
                self.hub.remove(conn)
            await ws.close()
        return ws

    async def may_start(self, address: str | None) -> bool:
        """Count a new conversation from this address; False once the hour's limit is hit.

        Counted in the database, so every web-app instance shares the limit."""
        where = bucket(address) if address else "onbekend"
        sleutel = key("widget-gesprek", where)
        return await self.throttle.count(sleutel, NEW_WINDOW) <= self.new_per_hour

    async def refuse_new(self, ws: web.WebSocketResponse) -> None:
        metrics.WEB_CHAT_ERRORS.labels("te_veel_gesprekken").inc()
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_json(error_frame("te_veel_gesprekken"))

    async def _hello(
        self, ws: web.WebSocketResponse, msg: Any, address: str | None
    ) -> Connection | None:
        try:
            frame = loads(msg.data) if msg.type == WSMsgType.TEXT else None
        except ValueError:
            frame = None
        if not isinstance(frame, dict) or frame.get("type") != "hello":
            await ws.send_json(error_frame("onleesbaar"))
            return None
        token = frame.get("session")
        after = frame.get("after")
        token = token if isinstance(token, str) and 0 < len(token) <= 100 else None
        after = after if isinstance(after, int) and after >= 0 else 0
        found = await self.log.find(token) if token else None
        if found is None and not await self.may_start(address):
            await self.refuse_new(ws)
            return None
        conversation, token, new = await self.log.open(token if found else None)
        if not new:  # a browser cannot have seen more than there is
            latest = await self.log.last_seqs([conversation.id])
            after = min(after, latest.get(conversation.id, 0))
        return await self._attach(
            ws, conversation, token, 0 if new else after, new=new, address=address
        )

    async def _attach(
        self,
        ws: web.WebSocketResponse,
        conversation: Conversation,
        token: str,
        after: int,
        *,
        new: bool,
        address: str | None,
    ) -> Connection:
        """Register the connection, then send what the browser has not rendered yet."""
        conn = Connection(ws, conversation.id, conversation.sender, after, address)
        await conn.send(
            {
                "type": "welcome",
                "session": token,
                "new": new,
                "typing": await self.hub.typing(conversation.id),
                "max_length": MAX_LENGTH,
                "max_photo_bytes": photos.MAX_BYTES,
            }
        )
        self.hub.add(conn)
        await conn.pull(self.log)
        await conn.send({"type": "synced", "seq": conn.delivered})
        await self.live.widget_attached(conn)  # waiting for, or chatting with, a medewerker
        return conn

    async def _frame(self, conn: Connection, data: str) -> Connection:
        frame: Any = None
        try:
            frame = loads(data)
            if not isinstance(frame, dict):
                raise BadFrame
            kind = frame.get("type")
            if kind == "message":
                return await self._message(conn, frame) or conn
            elif kind == "reset":
                return await self._reset(conn)
            elif kind == "feedback":
                reply = await chat_feedback.rate(self.log, self.store.engine, conn, frame)
                await conn.send(reply)
                if frame.get("goed") is False and reply["text"] != feedback.ALREADY["u"]:
                    await live_offer.after_thumbs_down(self.live, conn.session_id)
            elif kind == "live" and frame.get("actie") == "stoppen":
                await self.live.resident_stops(conn.session_id)
            elif kind == "live" and frame.get("actie") == "typen":
                await self.live.resident_typing(conn.session_id)  # throttled there
            else:
                raise BadFrame
        except (ValueError, BadFrame) as exc:
            code = exc.code if isinstance(exc, BadFrame) else "onleesbaar"
            metrics.WEB_CHAT_ERRORS.labels(code).inc()
            message_id = frame.get("id") if isinstance(frame, dict) else None
            await conn.send(error_frame(code, message_id if isinstance(message_id, str) else None))
        return conn

    async def _message(self, conn: Connection, frame: dict[str, Any]) -> Connection | None:
        """Store and relay a resident's message; a new connection if it was moved."""
        message_id, text = frame.get("id"), frame.get("text")
        if not (isinstance(message_id, str) and ID_RE.match(message_id)):
            raise BadFrame
        if not isinstance(text, str) or not text.strip():
            raise BadFrame
        typed = text.strip()
        button = frame.get("button") is True
        command = None if button else commands.parse(typed)
        text = typed if button else commands.as_words(typed)  # typed: never a payload
        if not text:
            raise BadFrame
        # The same rules as on every channel (core/residents/guard.py): the length, and a
        # button's payload only if Balie offered it (payloads can name any intent,
        # including the EXTERNAL_ ones Balie's own services send).
        refused = await guard.refusal(
            text, lambda payload: self.log.offered(conn.session_id, payload)
        )
        if refused:
            raise BadFrame(refused.code)
        label = frame.get("label")
        if label is not None and not (isinstance(label, str) and 0 < len(label) <= 200):
            raise BadFrame
        metadata = clean_metadata(frame.get("metadata"))
        # A message sent again after a reconnect: stored once, answered once.
        if await self.log.seq_of(conn.session_id, message_id) is not None:
            self.hub.notify(conn.session_id)
            return None
        if await self.log.sent_since(conn.session_id, utcnow() - RATE_WINDOW) >= RATE_LIMIT:
            raise BadFrame("te_snel")  # early, before checking buttons; append checks again
        answer = commands.forget_answer(text) if button else None
        if answer is not None:  # the forget buttons are answered here, not by Rasa
            return await self._forget(conn, message_id, label or text, answer)
        if command is Command.FORGET:
            await forget.ask(self.log, self.hub, conn, message_id, label or typed)
            return None
        if command is Command.HELP:
            text = commands.HELP_PAYLOAD
        try:
            stored = await self.log.append(
                conn.session_id,
                RESIDENT,
                {"text": label or typed},
                message_id,
                rate=(RATE_LIMIT, RATE_WINDOW),
            )
        except RateLimited:  # tabs on several instances sending at once
            raise BadFrame("te_snel") from None
        if stored is None:  # wiped by another tab meanwhile
            raise BadFrame("geen_sessie")
        self.hub.notify(conn.session_id)
        if stored[1] and await self.live.with_medewerker(conn.session_id):
            metrics.WEB_CHAT_MESSAGES.labels("in").inc()  # for the medewerker, not Rasa
        elif stored[1]:
            metrics.WEB_CHAT_MESSAGES.labels("in").inc()
            conversation = Conversation(conn.session_id, conn.sender)
            # The address goes with the message: the status form throttles code guessing
            # per client address too (actions/guesser.py).
            self.hub.spawn(self._turn(conversation, text, stamp(metadata, conn.address)))
        return None

    async def _turn(
        self, conversation: Conversation, text: str, metadata: dict[str, Any] | None
    ) -> None:
        async with self.hub.turn(conversation.id):
            try:
                await self.relay.send(conversation.sender, text, metadata)
            except RasaUnavailable:
                metrics.WEB_CHAT_ERRORS.labels("niet_bereikbaar").inc()
                await self.hub.broadcast(conversation.id, error_frame("niet_bereikbaar"))

    async def _reset(self, conn: Connection) -> Connection:
        """Gesprek wissen: forget this conversation here and in Rasa; start a new one."""
        if not await self.may_start(conn.address):
            await self.refuse_new(conn.ws)
            return conn  # the current conversation stays
        self.hub.remove(conn)
        await self.live.resident_stops(conn.session_id)  # no medewerker keeps waiting
        await self.log.wipe(conn.session_id)
        await self.hub.wiped(conn.session_id)  # other tabs, here and on other instances
        self.hub.spawn(self._restart(conn.sender))
        conversation, token, _ = await self.log.open(None)
        return await self._attach(conn.ws, conversation, token, 0, new=True, address=conn.address)

    async def _forget(
        self, conn: Connection, message_id: str, label: str, confirmed: bool
    ) -> Connection | None:
        """A button of /vergeet was pressed; a new connection when the resident was forgotten."""
        if not confirmed:
            await forget.reply(self.log, self.hub, conn, message_id, label, texts.FORGET_CANCELLED)
            return None
        retention = self.app[RETENTION_KEY] if self.app is not None else None
        if not await forget.forget(self.log, self.hub, retention, conn, message_id, label):
            return None
        # Not counted against the address's new conversations: it replaces the forgotten
        # one, and a resident who used their right to be forgotten must hear that it worked.
        conversation, token, _ = await self.log.open(None)
        # The pressed button opens the new conversation (same id: the widget confirms it).
        await self.log.append(conversation.id, RESIDENT, {"text": label}, message_id)
        await self.log.append(conversation.id, BOT, {"text": texts.FORGET_DONE}, None)
        return await self._attach(conn.ws, conversation, token, 0, new=True, address=conn.address)

    async def _restart(self, sender: str) -> None:
        with contextlib.suppress(RasaUnavailable):
            await self.relay.send(sender, "/restart")

    # --- Rasa's callback -------------------------------------------------------------------

    async def callback(self, request: web.Request) -> web.Response:
        if not same_secret(request.headers.get(SECRET_HEADER), self.secret):
            return web.json_response({"error": "missing or wrong channel secret"}, status=401)
        try:
            body = loads(await read_body(request, MAX_CALLBACK))
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("recipient_id"), str):
            return web.json_response({"error": "expected a Rasa message"}, status=400)
        found = await self.log.by_sender(body["recipient_id"])
        if found is None:
            return web.json_response({"error": "unknown conversation"}, status=404)
        conversation, wiped = found
        message = bot_message(body)
        message_id = body.get("id") if isinstance(body.get("id"), str) else None
        topic = message.get(feedback.MESSAGE_KEY)
        if topic and await asked(self.store.engine, conversation.sender, topic):
            del message[feedback.MESSAGE_KEY]  # rated before: never asked twice
        if wiped or not message:
            return web.json_response({"stored": False}, status=202)
        stored = await self.log.append(
            conversation.id, BOT, message, (message_id or "")[:64] or None
        )
        if stored is None:
            return web.json_response({"stored": False}, status=202)
        if stored[1]:
            metrics.WEB_CHAT_MESSAGES.labels("out").inc()
        self.hub.notify(conversation.id)
        return web.json_response({"stored": True, "seq": stored[0]})

    # --- photos --------------------------------------------------------------------------

    async def upload_options(self, request: web.Request) -> web.StreamResponse:
        response = web.Response(status=204)
        response.headers.update(
            {
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": f"Content-Type, {SESSION_HEADER}",
                "Access-Control-Max-Age": "600",
            }
        )
        return self.cors(request, response)

    async def upload(self, request: web.Request) -> web.StreamResponse:
        def fail(code: str, status: int) -> web.StreamResponse:
            body = {"error": code, "melding": notice(code)}
            return self.cors(request, web.json_response(body, status=status))

        if not self.origin_allowed(request, required=False):
            return fail("onleesbaar", 403)
        conversation = await self.log.find(request.headers.get(SESSION_HEADER, "")[:100])
        if conversation is None:
            return fail("geen_sessie", 401)
        try:
            data = await read_body(request, photos.MAX_BYTES)
            content_type = await photos.check(data, request.content_type)
        except BodyTooLarge:
            return fail("foto_te_groot", 413)
        except photos.PhotoError as exc:
            code = {413: "foto_te_groot", 422: "foto_kapot"}.get(exc.status, "geen_foto")
            return fail(code, exc.status)
        if not await self.log.allow_upload(conversation.id, UPLOAD_LIMIT, UPLOAD_WINDOW):
            return fail("te_veel_fotos", 429)
        name = photos.safe_name(request.query.get("bestandsnaam"), content_type)
        upload = await self.store.stage_upload(name, content_type, data)
        body = {"upload_id": upload.id, "bestandsnaam": upload.bestandsnaam}
        return self.cors(request, web.json_response(body, status=201))

    # --- lifecycle -----------------------------------------------------------------------

    async def lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        sealed = await self.log.seal_plain_rows()  # transcripts from before encryption
        if sealed:
            log.info("widget transcripts: %d messages encrypted", sealed)
        await self.relay.start()
        await self.hub.start()
        yield
        await self.hub.close()
        await self.relay.close()


COLOUR_RE = re.compile(r"#[0-9a-fA-F]{6}")
SAFE_PATH_RE = re.compile(r"/[A-Za-z0-9/._-]{1,200}")


async def look(request: web.Request) -> web.StreamResponse:
    """`GET /chat/gemeente`: what the widget shows of the gemeente (content/gemeente.yml)."""
    response = web.json_response(widget_look(gemeente_settings()))
    response.headers["Cache-Control"] = "public, max-age=300"
    return request.app[SERVER_KEY].cors(request, response)


async def demo(request: web.Request) -> web.Response:
    pagina = request.match_info.get("pagina", "")
    if pagina not in DEMO_PAGES:
        raise web.HTTPNotFound
    settings = gemeente_settings()
    html = (
        request.app[TEMPLATES_KEY]
        .get_template("demo.html")
        .render(
            gemeente=settings,
            look=widget_look(settings),
            pagina=pagina,
            paginas=DEMO_PAGES,
            base=f"{request.scheme}://{request.host}",
        )
    )
    response = web.Response(text=html, content_type="text/html")
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response


SERVER_KEY = web.AppKey("chat_server", ChatServer)
TEMPLATES_KEY = web.AppKey("chat_templates", jinja2.Environment)


def setup(
    app: web.Application, settings: WebSettings, store: CaseStore, templates: jinja2.Environment
) -> None:
    server = ChatServer(settings, store, instance_bus.setup(app, settings))
    app[SERVER_KEY] = server
    app[TEMPLATES_KEY] = templates
    server.app = app
    app.cleanup_ctx.append(server.lifecycle)
    app[LIVE_KEY] = server.live
    app.cleanup_ctx.append(server.live.lifecycle)
    live_api.setup(app)  # POST /api/v1/live, behind the Case API token
    live_telegram.setup(app, settings)  # Telegram residents' side of the live chat
    app.router.add_get("/chat/ws", server.websocket)
    app.router.add_post(CALLBACK_PATH, server.callback)
    app.router.add_post("/chat/upload", server.upload)
    app.router.add_route("OPTIONS", "/chat/upload", server.upload_options)
    app.router.add_get("/chat/gemeente", look)
    app.router.add_get("/demo", demo)
    app.router.add_get("/demo/{pagina}", demo)
