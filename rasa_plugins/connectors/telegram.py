"""Residents on Telegram: a Rasa input channel (`rasa_plugins.connectors.telegram.TelegramInput`).

Telegram (webhook mode) or Balie's own poller (`python -m bot telegram-poll`, for a
server without a public URL) POSTs every update to `/webhooks/telegram/webhook`
with the secret in `X-Telegram-Bot-Api-Secret-Token`. A request without the right
secret gets 403 and goes no further. A good one is answered at once; the update is
then handled in the background, one at a time per chat (so a resident's messages
keep their order) and concurrently across chats.

The chat id is Rasa's sender id; text, button clicks, a shared location (metadata
`locatie`) and photos (staged with the Case API, metadata `foto`; the caption whole in
`bijschrift`, also when the photo is refused) go to Rasa, and
everything else gets a short Dutch answer (core/residents/texts.py) or is ignored. The
commands (core/residents/commands.py, also the menu Balie sets at start with
`setMyCommands`): `/start` greets and turns status messages back on; `/stop` turns them
off. `/vergeet` asks, with two buttons, whether Balie should forget the resident; the
answer goes to the Case API (`POST /vergeten`), not to Rasa. `/help` (and `/hulp`) says
what Balie can do.

Live chat with a medewerker (telegram_live.py, webapp/live/telegram.py): while one has
the chat, the resident's messages (text, photos, locations) go to them instead of Rasa,
and theirs arrive here from the web app (`/webhooks/telegram/live`); so do a waiting
resident's new place (`/live/plaats`, the queue message is edited) and the
medewerker's typing (`/live/typen`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from core import feedback, kcc
from core.bearer import same_secret
from core.photos import MAX_BYTES as MAX_PHOTO_BYTES
from core.photos import TYPES as PHOTO_TYPES
from core.residents import commands, texts
from core.residents.commands import Command
from core.residents.guard import MAX_LENGTH, TOO_LONG
from core.safe_json import loads
from core.settings import Settings
from core.widget_protocol import SECRET_HEADER as RELAY_SECRET_HEADER
from core.widget_protocol import channel_secret
from rasa_plugins import settings as plugin_settings
from rasa_plugins.connectors import guard, telegram_live
from rasa_plugins.connectors.ready import agent_ready
from rasa_plugins.connectors.telegram_bot import (
    ALLOWED_UPDATES,
    SECRET_HEADER,
    TelegramConfig,
    call,
)
from rasa_plugins.connectors.telegram_cases import ChatCases, PhotoRefused
from rasa_plugins.connectors.telegram_feedback import FeedbackOffers
from rasa_plugins.connectors.telegram_output import CallbackKeys, TelegramOutput

if TYPE_CHECKING:
    from telegram import Bot, CallbackQuery, Message, Update

log = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
T = TypeVar("T")
MAX_UPDATE_BYTES = 256 * 1024  # a real update is a few kB
MAX_PENDING_PER_CHAT = 20
SEEN_UPDATES = 4096

# What Balie answers to the kinds of message it cannot read (core/residents/texts.py).
MEDIA_REPLIES = {
    "sticker": texts.STICKER,
    "voice": texts.VOICE,
    "video_note": texts.VIDEO_NOTE,
    "video": texts.VIDEO,
    "audio": texts.AUDIO,
    "animation": texts.UNSUPPORTED,
    "document": texts.NOT_A_PHOTO,
    "contact": texts.CONTACT_CARD,
    "poll": texts.UNSUPPORTED,
    "dice": texts.UNSUPPORTED,
}


class ChatQueue:
    """Runs jobs one after another per chat, and different chats concurrently.

    Each job waits for the one submitted before it for the same chat; nothing waits
    for another chat. A chat with too many jobs waiting gets the new ones dropped.
    """

    def __init__(self, max_pending: int = MAX_PENDING_PER_CHAT) -> None:
        self.max_pending = max_pending
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._pending: dict[str, int] = {}

    def submit(self, chat: str, job: Callable[[], Awaitable[None]]) -> bool:
        if self._pending.get(chat, 0) >= self.max_pending:
            log.warning("chat %s has %d updates waiting; dropping one", chat, self.max_pending)
            return False
        previous = self._tails.get(chat)
        task = asyncio.get_running_loop().create_task(self._run(chat, previous, job))
        self._tails[chat] = task
        self._pending[chat] = self._pending.get(chat, 0) + 1
        task.add_done_callback(lambda done: self._finished(chat, done))
        return True

    @staticmethod
    async def _run(
        chat: str, previous: asyncio.Task[None] | None, job: Callable[[], Awaitable[None]]
    ) -> None:
        if previous is not None:
            await asyncio.wait({previous})  # only its end matters, not how it ended
        try:
            await job()
        except Exception:
            log.exception("telegram update for chat %s failed", chat)

    def _finished(self, chat: str, task: asyncio.Task[None]) -> None:
        self._pending[chat] -= 1
        if not self._pending[chat]:
            del self._pending[chat]
        if self._tails.get(chat) is task:
            del self._tails[chat]

    async def close(self, timeout: float = 10.0) -> None:
        tails = set(self._tails.values())
        if tails:
            _, late = await asyncio.wait(tails, timeout=timeout)
            for task in late:
                task.cancel()


class TelegramInput(InputChannel):
    """Telegram's webhook for Rasa; configured in credentials.yml from `TELEGRAM_*`.

    `settings` say where the Case API is, for photos and the chat commands.
    """

    def __init__(self, config: TelegramConfig, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.keys = CallbackKeys()
        self.offers = FeedbackOffers()
        self.queue = ChatQueue()
        self._bot: Bot | None = None
        self._output: TelegramOutput | None = None
        self._queue_messages: telegram_live.QueueMessages | None = None
        self._cases: ChatCases | None = None
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._clicked: OrderedDict[tuple[str, int], None] = OrderedDict()
        # Chats offered "Medewerker spreken" after a thumbs-down (not in Rasa's tracker).
        self._person_offered: OrderedDict[str, None] = OrderedDict()
        self._background: set[asyncio.Task[Any]] = set()
        self._app: Any = None  # the Sanic app, whose `ctx.agent` holds the tracker store
        # The web app posts the live chat's messages with the widget channel's secret.
        self.relay_secret = channel_secret(settings.api_token())

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        creds = {k: "" if v is None else str(v) for k, v in (credentials or {}).items()}
        settings = plugin_settings.settings()
        env = settings.telegram  # what credentials.yml leaves out
        return cls(
            TelegramConfig(
                token=creds.get("token", env.token).strip(),
                secret=creds.get("webhook_secret", env.secret).strip(),
                webhook_url=creds.get("webhook_url", env.webhook_url).strip(),
                api_url=creds.get("api_url", env.api_url).strip(),
            ),
            settings,
        )

    def get_output_channel(self) -> TelegramOutput | None:
        """For messages Rasa sends on its own (status changes through `trigger_intent`)."""
        return self._output

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        if not self.config.enabled:
            log.info("Telegram channel off: TELEGRAM_TOKEN is not set")
            return
        if not self.config.secret:
            log.error("TELEGRAM_WEBHOOK_SECRET is empty: every Telegram update will be refused")
        self._bot = self.config.make_bot()
        output = TelegramOutput(self._bot, self.keys, self.offers)
        self._queue_messages = output.queue_messages = telegram_live.QueueMessages(output.edit)
        self._output = output
        self._cases = ChatCases.of(self.settings)
        self._spawn(self._connect())

    async def stop(self) -> None:
        await self.queue.close()
        if self._queue_messages is not None:
            self._queue_messages.close()
        for task in list(self._background):
            task.cancel()
        if self._cases:
            await self._cases.close()
        if self._bot:
            await self._bot.shutdown()

    async def _connect(self) -> None:
        """Check the token (getMe) and, in webhook mode, register the webhook with the secret."""
        from telegram.error import InvalidToken

        bot = self._bot
        assert bot is not None
        delay = 1.0
        while True:
            try:
                await bot.initialize()
                break
            except InvalidToken:
                log.error("Telegram refused TELEGRAM_TOKEN; the Telegram channel cannot work")
                return
            except Exception as exc:  # network trouble at start: keep trying in the background
                log.warning("Telegram not reachable (%s); retrying in %.0fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
        log.info("Telegram bot @%s ready", bot.username)
        await call(lambda: bot.set_my_commands(command_menu()), "setMyCommands", attempts=10)
        if self.config.polling:
            return
        ok = await call(
            lambda: bot.set_webhook(
                self.config.webhook_url,
                secret_token=self.config.secret,
                allowed_updates=ALLOWED_UPDATES,
            ),
            "setWebhook",
            attempts=10,
        )
        if ok:
            log.info("Telegram webhook registered: %s", self.config.webhook_url)
        else:
            log.error("Telegram webhook not registered: %s", self.config.webhook_url)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- HTTP ------------------------------------------------------------------------

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        telegram = Blueprint("balie_telegram", __name__)

        @telegram.listener("after_server_start")
        async def started(app, loop) -> None:
            self._app = app
            await self.start()

        @telegram.listener("before_server_stop")
        async def stopping(app, loop) -> None:
            await self.stop()

        @telegram.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            ready = agent_ready(request)
            body = {"status": "ok" if ready else "starting", "enabled": self.config.enabled}
            return response.json(body, status=200 if ready else 503)

        @telegram.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            return self.receive(request, on_new_message)

        @telegram.route("/live", methods=["POST"])
        async def live(request: Request) -> HTTPResponse:
            return await self.live_relay(request)

        @telegram.route("/live/plaats", methods=["POST"])
        async def live_place(request: Request) -> HTTPResponse:
            return await self.live_place(request)

        @telegram.route("/live/typen", methods=["POST"])
        async def live_typing(request: Request) -> HTTPResponse:
            return await self.live_typing(request)

        return telegram

    def _agent(self) -> Any:
        """Rasa's agent (its tracker store), None before the server started."""
        return self._app.ctx.agent if self._app is not None else None

    def _authorized(self, request: Request) -> bool:
        return same_secret(request.headers.get(SECRET_HEADER), self.config.secret)

    def receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """Check, parse and queue one update; the reply to Telegram never waits for Rasa."""
        if self._bot is None:
            return response.json({"error": "Telegram channel not configured"}, status=404)
        if not self._authorized(request):
            log.warning(
                "refused a Telegram update from %s: %s secret token",
                request.remote_addr or request.ip,
                "wrong" if request.headers.get(SECRET_HEADER) else "no",
            )
            return response.json({"error": "forbidden"}, status=403)
        if not agent_ready(request):  # Telegram and the poller retry until the model is loaded
            return response.json({"error": "starting"}, status=503)
        body = request.body or b""
        if len(body) > MAX_UPDATE_BYTES:
            return response.json({"error": "update too large"}, status=413)
        try:
            data = loads(body)
        except ValueError:
            log.warning("Telegram update is not JSON")
            return response.json({"error": "not JSON"}, status=400)
        if not isinstance(data, dict):
            return response.json({"error": "not an update"}, status=400)
        self.dispatch(data, on_new_message)
        return response.json({"ok": True})

    def _from_web_app(
        self, request: Request, read: Callable[[Any], T | None], expected: str
    ) -> T | HTTPResponse:
        """The web app's post (webapp/live/telegram.py) as `read` reads it, or the refusal."""
        if not same_secret(request.headers.get(RELAY_SECRET_HEADER), self.relay_secret):
            return response.json({"error": "missing or wrong channel secret"}, status=401)
        if self._output is None or self._queue_messages is None:
            return response.json({"error": "Telegram channel not configured"}, status=404)
        try:
            found = read(loads(request.body or b""))
        except ValueError:
            found = None
        return (
            response.json({"error": f"expected {expected}"}, status=400) if found is None else found
        )

    async def live_relay(self, request: Request) -> HTTPResponse:
        """The web app sends a message of the live chat."""
        found = self._from_web_app(request, telegram_live.relayed, "chat_id and tekst")
        if isinstance(found, HTTPResponse):
            return found
        assert self._output is not None and self._queue_messages is not None
        chat_id, text, still_open = found
        self._queue_messages.forget(chat_id)  # taken, stopped, ended: no place to show
        markup = self._output.keyboard(telegram_live.end_button()) if still_open else None
        await self._output.send(chat_id, text, markup)
        return response.json({"ok": True})

    async def live_place(self, request: Request) -> HTTPResponse:
        """A waiting resident's new place or wait: edit the queue message (throttled)."""
        found = self._from_web_app(request, telegram_live.place_of, "chat_id and positie")
        if isinstance(found, HTTPResponse):
            return found
        assert self._queue_messages is not None
        self._spawn(self._queue_messages.update(*found))  # the answer never waits for Telegram
        return response.json({"ok": True})

    async def live_typing(self, request: Request) -> HTTPResponse:
        """The medewerker types: Telegram's "typing…" in the resident's chat."""
        chat_id = self._from_web_app(request, telegram_live.typing_chat, "chat_id")
        if isinstance(chat_id, HTTPResponse):
            return chat_id
        assert self._output is not None
        self._spawn(self._output.typing(chat_id))
        return response.json({"ok": True})

    async def _to_medewerker(
        self, chat_id: str, text: str, update_id: int, metadata: dict[str, Any] | None
    ) -> bool:
        """Hand the message to the live chat; True when a medewerker has it (not for Rasa)."""
        if self._cases is None or not await telegram_live.asked_for_medewerker(
            self._agent(), chat_id
        ):
            return False
        bericht = telegram_live.resident_message(text, metadata)
        return await self._cases.live_message(
            f"telegram:{chat_id}", bericht, f"telegram-{update_id}"
        )

    async def _live_stop(self, chat_id: str) -> None:
        """The resident's button: stop waiting, or end the chat (the web app says so)."""
        assert self._cases is not None and self._queue_messages is not None
        self._queue_messages.forget(chat_id)  # its button is gone: edits must not bring it back
        if not await self._cases.live_stop(f"telegram:{chat_id}"):
            await self.reply(chat_id, texts.LIVE_NOTHING_OPEN)

    # -- updates ---------------------------------------------------------------------

    def _first_time(self, update_id: int) -> bool:
        """Telegram (or the poller) may deliver an update twice; handle it once."""
        if update_id in self._seen:
            return False
        self._seen[update_id] = None
        if len(self._seen) > SEEN_UPDATES:
            self._seen.popitem(last=False)
        return True

    def dispatch(self, data: dict[str, Any], on_new_message: OnNewMessage) -> None:
        from telegram import Update

        update_id = data.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            log.warning("Telegram update without update_id ignored")
            return
        if not self._first_time(update_id):
            return
        try:
            update = Update.de_json(data, self._bot)
        except Exception as exc:  # a shape python-telegram-bot cannot read
            log.warning("unreadable Telegram update %s ignored: %r", update_id, exc)
            return
        chat = update.effective_chat
        if chat is None:
            log.info("Telegram update %s has no chat; ignored", update_id)
            return
        query = update.callback_query
        if query is not None:
            # Stop the spinner on the button at once, even if the chat is busy.
            self._spawn(call(lambda: query.answer(), "answerCallbackQuery"))
        self.queue.submit(str(chat.id), lambda: self.handle(update, on_new_message))

    async def handle(self, update: Update, on_new_message: OnNewMessage) -> None:
        if update.callback_query is not None:
            await self._on_click(update.callback_query, update.update_id, on_new_message)
        elif update.message is not None:
            await self._on_message(update.message, update.update_id, on_new_message)
        elif update.edited_message is not None:
            await self._on_edit(update.edited_message)
        else:
            log.debug("Telegram update %s of another kind ignored", update.update_id)

    async def reply(self, chat_id: str, text: str) -> None:
        assert self._output is not None
        await self._output.send(chat_id, text)

    async def forward(
        self,
        chat_id: str,
        text: str,
        update_id: int,
        on_new_message: OnNewMessage,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Hand one resident message to Rasa; its answers go out through the output channel.

        Typed words, photos and locations go to the medewerker instead while one has
        the chat; commands and button payloads (starting with "/") stay Balie's.
        """
        assert self._output is not None
        self._output.resident_spoke(chat_id)
        if not text.startswith("/") and await self._to_medewerker(
            chat_id, text, update_id, metadata
        ):
            return
        message = UserMessage(
            text,
            self._output,
            chat_id,
            input_channel=self.name(),
            message_id=f"telegram-{update_id}",
            metadata=metadata,
        )
        try:
            await on_new_message(message)
        except Exception:
            log.exception("Rasa failed on a Telegram message from chat %s", chat_id)
            await self.reply(chat_id, texts.SOMETHING_WENT_WRONG)

    async def _on_message(self, message: Message, update_id: int, on_new: OnNewMessage) -> None:
        chat_id = str(message.chat.id)
        if message.chat.type != "private":
            if (message.text or "").startswith("/"):  # only answer when addressed
                await self.reply(chat_id, texts.PRIVATE_ONLY)
            return
        if message.from_user is not None and message.from_user.is_bot:
            return
        if message.text is not None:
            await self._on_text(chat_id, message.text, update_id, on_new)
        elif message.location is not None:
            point = {"lat": message.location.latitude, "lon": message.location.longitude}
            await self.forward(chat_id, "[locatie]", update_id, on_new, {"locatie": point})
        elif message.photo or _is_image(message):
            caption = (message.caption or "").strip()
            # The whole caption rides along as metadata (the form adds it to the
            # description), also when the photo is refused: its words are never lost.
            meta: dict[str, Any] = {"bijschrift": caption} if caption else {}
            upload_id = await self._stage_photo(chat_id, message)
            if upload_id:
                meta["foto"] = {"upload_id": upload_id}
            if meta:
                text = caption[:MAX_LENGTH] or "[foto]"
                await self.forward(chat_id, text, update_id, on_new, meta)
        else:
            kind = next((k for k in MEDIA_REPLIES if getattr(message, k, None)), None)
            if kind:
                await self.reply(chat_id, MEDIA_REPLIES[kind])
            else:  # service messages and kinds Telegram adds later
                log.debug("Telegram message %s without content Balie reads", update_id)

    async def _on_text(self, chat_id: str, text: str, update_id: int, on_new: OnNewMessage) -> None:
        text = text.strip()
        if len(text) > MAX_LENGTH:  # before NLU ever sees it (core/residents/guard.py)
            await self.reply(chat_id, TOO_LONG.text)
            return
        command = commands.parse(text)
        if command is Command.START:
            await self._status_messages_on(chat_id)
            await self.forward(chat_id, commands.HELP_PAYLOAD, update_id, on_new)
        elif command is Command.STOP:
            assert self._cases is not None
            stopped = await self._cases.opt_out(f"telegram:{chat_id}")
            await self.reply(chat_id, texts.STATUS_MESSAGES_OFF if stopped else texts.STOP_FAILED)
        elif command is Command.FORGET:
            await self._forget_ask(chat_id)
        elif command is Command.HELP:
            await self.forward(chat_id, commands.HELP_PAYLOAD, update_id, on_new)
        elif words := commands.as_words(text):  # typed text is never an intent payload
            self.offers.heard(chat_id, words)
            await self.forward(chat_id, words, update_id, on_new)

    async def _forget_ask(self, chat_id: str) -> None:
        """What forgetting removes and keeps, with a button to confirm and one to cancel."""
        assert self._output is not None
        keyboard = self._output.keyboard(commands.forget_buttons())
        await self._output.send(chat_id, texts.FORGET_ASK + texts.FORGET_TELEGRAM_NOTE, keyboard)

    async def _forget(self, chat_id: str, confirmed: bool) -> None:
        if not confirmed:
            await self.reply(chat_id, texts.FORGET_CANCELLED)
            return
        assert self._cases is not None
        removed = await self._cases.forget("telegram", chat_id)
        await self.reply(chat_id, texts.FORGET_DONE if removed is not None else texts.FORGET_FAILED)

    async def _status_messages_on(self, chat_id: str) -> None:
        assert self._cases is not None
        if await self._cases.opt_in(f"telegram:{chat_id}"):
            await self.reply(chat_id, texts.STATUS_MESSAGES_ON)

    async def _stage_photo(self, chat_id: str, message: Message) -> str | None:
        """Fetch the photo from Telegram and stage it in the case system; its upload id."""
        assert self._bot is not None and self._cases is not None
        if message.photo:
            # The largest size Telegram offers that is within Balie's limit.
            sizes = [p for p in message.photo if (p.file_size or 0) <= MAX_PHOTO_BYTES]
            if not sizes:
                await self.reply(chat_id, texts.PHOTO_TOO_BIG)
                return None
            file_id = max(sizes, key=lambda p: p.width * p.height).file_id
            content_type = "image/jpeg"  # Telegram recompresses photos to JPEG
        else:
            document = message.document
            assert document is not None
            if (document.file_size or 0) > MAX_PHOTO_BYTES:
                await self.reply(chat_id, texts.PHOTO_TOO_BIG)
                return None
            file_id, content_type = document.file_id, "application/octet-stream"
        bot = self._bot
        file = await call(lambda: bot.get_file(file_id), "getFile")
        data = None
        if file is not None and file.file_path:
            data = await call(file.download_as_bytearray, "file download")
        try:
            upload_id = await self._cases.stage_photo(bytes(data), content_type) if data else None
        except PhotoRefused as exc:
            await self.reply(
                chat_id, texts.PHOTO_TOO_BIG if exc.status == 413 else texts.PHOTO_BROKEN
            )
            return None
        if not upload_id:
            await self.reply(chat_id, texts.PHOTO_NOT_SAVED)
        return upload_id

    async def _on_click(self, query: CallbackQuery, update_id: int, on_new: OnNewMessage) -> None:
        from telegram import Message

        message = query.message
        if message is None or message.chat.type != "private":
            return
        chat_id = str(message.chat.id)
        clicked = (chat_id, message.message_id)
        if clicked in self._clicked:  # a second tap before the keyboard disappeared
            return
        self._clicked[clicked] = None
        if len(self._clicked) > SEEN_UPDATES:
            self._clicked.popitem(last=False)
        data = query.data or ""
        if self.offers.is_feedback(data):  # never to NLU: straight to the web app
            await self._on_feedback(chat_id, message, data)
            return
        payload = self.keys.payload_of(data)
        if isinstance(message, Message) and message.reply_markup is not None:
            if payload is None:  # a key from before a restart: the button's title still says it
                payload = next(
                    (
                        b.text
                        for row in message.reply_markup.inline_keyboard
                        for b in row
                        if b.callback_data == data
                    ),
                    None,
                )
            # The choice is made: take the keyboard away so it cannot be used again.
            await call(lambda: message.edit_reply_markup(None), "editMessageReplyMarkup")
        if not payload:
            await self.reply(chat_id, texts.NOT_OFFERED)
            return
        if payload == kcc.STOP_PAYLOAD:  # the live chat's own button, never Rasa's
            await self._live_stop(chat_id)
            return
        answer = commands.forget_answer(payload)
        if answer is not None:  # our own buttons, not Rasa's
            await self._forget(chat_id, answer)
            return
        # Only a button Balie offered in this chat, and never an internal intent: an
        # update can carry any callback data and any keyboard (core/residents/guard.py).
        # The connector's own offer after a thumbs-down is not in Rasa's tracker.
        own = payload == kcc.OFFER_PAYLOAD and chat_id in self._person_offered
        if own:
            del self._person_offered[chat_id]
        refused = None if own else await guard.check(self._agent(), chat_id, payload)
        if refused:
            await self.reply(chat_id, refused.text)
            return
        await self.forward(chat_id, payload, update_id, on_new)

    async def _on_feedback(self, chat_id: str, message: Any, data: str) -> None:
        from telegram import Message

        taken = self.offers.take(chat_id, data)
        if isinstance(message, Message) and message.reply_markup is not None:
            await call(lambda: message.edit_reply_markup(None), "editMessageReplyMarkup")
        if taken is None:  # not offered in this chat, or before a restart
            await self.reply(chat_id, texts.NOT_OFFERED)
            return
        offer, good = taken
        assert self._cases is not None
        stored = await self._cases.feedback(
            {
                "gesprek": chat_id,
                "onderwerp": offer.topic,
                "goed": good,
                "vraag": offer.question,
                "antwoord": offer.answer,
            }
        )
        await self.reply(
            chat_id, feedback.thanks(None) if stored is not False else feedback.ALREADY["u"]
        )
        if not good and stored is not False:
            await self._offer_person(chat_id)

    async def _offer_person(self, chat_id: str) -> None:
        """After a thumbs-down: chat with a medewerker now, or a call-back (actions/live.py)."""
        assert self._cases is not None and self._output is not None
        text = texts.live_offer(await self._cases.live_available())
        self._person_offered[chat_id] = None
        if len(self._person_offered) > SEEN_UPDATES:
            self._person_offered.popitem(last=False)
        await self._output.send(chat_id, text, self._output.keyboard([kcc.OFFER_BUTTON]))

    async def _on_edit(self, message: Message) -> None:
        # Live locations arrive as a stream of edits: those are not the resident's doing.
        if message.chat.type == "private" and message.location is None:
            await self.reply(str(message.chat.id), texts.EDITED)


def command_menu() -> list[Any]:
    from telegram import BotCommand

    return [BotCommand(command.value, description) for command, description in commands.MENU]


def _is_image(message: Message) -> bool:
    """A photo sent "as file": a document that says it is an image Balie accepts."""
    document = message.document
    return document is not None and document.mime_type in PHOTO_TYPES.values()
