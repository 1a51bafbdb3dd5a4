"""A fake Telegram Bot API server on loopback, for the Telegram channel's tests.

Speaks the subset Balie uses, as https://core.telegram.org/bots/api describes it:
`getMe`, `setWebhook`, `deleteWebhook`, `getWebhookInfo`, `setMyCommands` (1..32
lowercase `a-z 0-9 _`, descriptions 1..256), `getUpdates` (long polling with offsets;
409 while a webhook is set), `sendMessage` (text 1..4096 UTF-16 units after parsing
`parse_mode=HTML`, which refuses unescaped `<`, `>`, `&` and unknown or unclosed
tags; inline keyboards with `callback_data` 1..64 bytes, reply keyboards,
`remove_keyboard: true`; known chats only), `answerCallbackQuery`,
`editMessageReplyMarkup` ("message is not modified" when nothing changes),
`editMessageText` (the bot's own text messages; the text checked as for sendMessage;
an inline keyboard not sent again is removed, as Telegram does; "message is not
modified" when text, entities and keyboard stay the same), `sendChatAction` (known
actions only),
`getFile` (files over 20 MB refused, as Telegram does) and the file download path
`/file/bot<token>/<file_path>` (sent chunked, in small pieces). Parameters
arrive as python-telegram-bot sends them (form fields, objects JSON-encoded) or as JSON.

The Telegram side: `send_update` delivers an update the way Telegram does, to the
registered webhook with its secret header (retrying while it answers 5xx), or queues
it for getUpdates when no webhook is set. `throttle` makes a method answer 429 with
`retry_after`. What the bot sent is kept per chat in `sent(chat_id)` (as it reads now,
edits applied), each edit's new text in `edited(chat_id)`.

It runs its own event loop in a thread, so it answers while a test's loop waits.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from collections import defaultdict
from typing import Any

import aiohttp
from aiohttp import web

TOKEN = "123456789:AAHfakeTokenForBalieTests_0123456789ab"
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
MAX_DOWNLOAD = 20 * 1024**2  # the Bot API hands out files up to 20 MB
JSON_PARAMS = {
    "reply_markup",
    "allowed_updates",
    "link_preview_options",
    "reply_parameters",
    "commands",
}
COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
# Tags Telegram's HTML parse mode knows, and the entity each becomes.
HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}
HTML_TOKEN = re.compile(r"<(/?)([a-zA-Z-]*)([^<>]*)>|&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);|[<>&]")
CHAR_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
INT_PARAMS = {"chat_id", "message_id", "offset", "limit", "timeout", "max_connections"}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Text and entities of a `parse_mode=HTML` message, refusing what Telegram refuses."""
    text, entities, open_tags = "", [], []
    at = 0
    for token in HTML_TOKEN.finditer(source):
        text += source[at : token.start()]
        at = token.end()
        closing, tag, entity = token.group(1), token.group(2), token.group(4)
        if entity:
            text += CHAR_ENTITIES.get(entity) or chr(
                int(entity[2:], 16) if entity.startswith("#x") else int(entity[1:])
            )
        elif tag is None or tag.lower() not in HTML_TAGS:
            raise ApiError(
                400,
                f"Bad Request: can't parse entities: unsupported start tag or character "
                f"{token.group()!r} at byte offset {token.start()}",
            )
        elif closing:
            if not open_tags or open_tags[-1][0] != tag.lower():
                raise ApiError(400, f"Bad Request: can't parse entities: unmatched end tag {tag}")
            name, start = open_tags.pop()
            entities.append(
                {"type": HTML_TAGS[name], "offset": start, "length": utf16_len(text) - start}
            )
        else:
            open_tags.append((tag.lower(), utf16_len(text)))
    text += source[at:]
    if open_tags:
        raise ApiError(400, "Bad Request: can't parse entities: unclosed start tag")
    return text, sorted(entities, key=lambda e: e["offset"])


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


def not_modified() -> ApiError:
    return ApiError(
        400,
        "Bad Request: message is not modified: specified new message content and reply "
        "markup are exactly the same as a current content and reply markup of the message",
    )


class FakeTelegram:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.me = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "Balie",
            "username": "balie_test_bot",
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.webhook: dict[str, Any] | None = None
        self.commands: list[dict[str, Any]] = []
        self.reply_keyboards: dict[int, dict[str, Any]] = {}  # what each chat's app shows
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status of the webhook)
        self.downloads: list[str] = []
        # each chat's edits, in order: (time.monotonic(), the new text)
        self.edits: dict[int, list[tuple[float, str]]] = defaultdict(list)
        self._sent: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self._chats: dict[int, dict[str, Any]] = {}
        self._callbacks: set[str] = set()
        self._files: dict[str, tuple[str, bytes]] = {}
        self._faults: dict[str, list[int]] = defaultdict(list)
        self._queue: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(700_000_000)
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._new_update: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------

    @property
    def url(self) -> str:
        """What `TELEGRAM_API_URL` points at: methods under /bot<token>/, files under /file/."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeTelegram:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake Telegram did not start")
        return self

    def stop(self) -> None:
        self._closing = True
        if self._runner is not None and self._new_update is not None:
            self._loop.call_soon_threadsafe(self._new_update.set)  # end open long polls
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._new_update = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        runner = self._runner = web.AppRunner(app)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        self._ready.set()
        self._loop.run_forever()

    # -- what tests use --------------------------------------------------------------

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def sent(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot sent to the chat, oldest first (as Message objects)."""
        with self._lock:
            return [dict(m) for m in self._sent[chat_id]]

    def edited(self, chat_id: int) -> list[str]:
        """The texts `editMessageText` gave the chat's messages, oldest first."""
        with self._lock:
            return [text for _, text in self.edits[chat_id]]

    def edit_times(self, chat_id: int) -> list[float]:
        """When (`time.monotonic()`) each of those edits came."""
        with self._lock:
            return [at for at, _ in self.edits[chat_id]]

    def method_calls(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [params for name, params in self.calls if name == method]

    def add_file(self, data: bytes, path: str) -> dict[str, Any]:
        """Register a file the resident sent; returns its File fields (id, size)."""
        n = next(self._ids)
        file_id = f"AgACAgQAAxkBAAI{n:06d}fake"
        with self._lock:
            self._files[file_id] = (path, data)
        return {"file_id": file_id, "file_unique_id": f"AQAD{n:06d}", "file_size": len(data)}

    def throttle(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` answer 429 with this retry_after."""
        with self._lock:
            self._faults[method].extend([retry_after] * times)

    async def send_update(self, update: dict[str, Any]) -> int | None:
        """Deliver as Telegram would; the webhook's HTTP status, or None when queued."""
        self._remember_chat(update)
        future = asyncio.run_coroutine_threadsafe(self._deliver(update), self._loop)
        return await asyncio.wrap_future(future)

    # -- Telegram's side -------------------------------------------------------------

    def _remember_chat(self, update: dict[str, Any]) -> None:
        for kind in ("message", "edited_message"):
            chat = (update.get(kind) or {}).get("chat") if isinstance(update, dict) else None
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                with self._lock:
                    self._chats[chat["id"]] = chat
        query = update.get("callback_query") if isinstance(update, dict) else None
        if isinstance(query, dict) and query.get("id"):
            with self._lock:
                self._callbacks.add(query["id"])

    async def _deliver(self, update: dict[str, Any]) -> int | None:
        webhook = self.webhook
        if webhook is None:
            with self._lock:
                self._queue.append(update)
            assert self._new_update is not None
            self._new_update.set()
            return None
        headers = {}
        if webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook["secret_token"]
        status = 0
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            for _ in range(60):  # Telegram retries a failing webhook
                try:
                    async with http.post(webhook["url"], json=update, headers=headers) as resp:
                        status = resp.status
                except aiohttp.ClientError:
                    status = 0
                if 200 <= status < 300 or 400 <= status < 500:
                    break
                await asyncio.sleep(0.5)
        with self._lock:
            self.deliveries.append((update.get("update_id", 0), status))
        return status

    # -- the Bot API -----------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            data = await request.json()
            return data if isinstance(data, dict) else {}
        params: dict[str, Any] = dict(await request.post()) if request.can_read_body else {}
        params.update(request.query)
        for name, value in list(params.items()):
            if not isinstance(value, str):
                continue
            if name in JSON_PARAMS:
                params[name] = json.loads(value)
            elif name in INT_PARAMS and re.fullmatch(r"-?\d+", value):
                params[name] = int(value)
        return params

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await self._params(request)
        with self._lock:
            self.calls.append((method, params))
            fault = self._faults[method].pop(0) if self._faults[method] else None
        try:
            if fault is not None:
                raise ApiError(429, f"Too Many Requests: retry after {fault}", fault)
            handler = getattr(self, "_api_" + method, None)
            if handler is None:
                raise ApiError(404, "Not Found")
            result = await handler(params)
        except ApiError as exc:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": exc.code,
                "description": exc.description,
            }
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
            return web.json_response(body, status=exc.code)
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        with self._lock:
            found = next((data for p, data in self._files.values() if p == path), None)
            self.downloads.append(path)
        if found is None:
            return web.Response(status=404)
        # In pieces, without Content-Length: a client must read until the end.
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(found), 64 * 1024):
            await response.write(found[start : start + 64 * 1024])
        await response.write_eof()
        return response

    async def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.me

    async def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            self.webhook = None
            return True
        secret = params.get("secret_token")
        if secret is not None and not SECRET_RE.fullmatch(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": params.get("allowed_updates"),
        }
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            pending = len(self._queue)
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": pending,
        }

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        assert self._new_update is not None
        while True:
            with self._lock:
                if isinstance(offset, int):  # confirms everything before it
                    self._queue = [u for u in self._queue if u.get("update_id", 0) >= offset]
                ready = list(self._queue[: int(params.get("limit") or 100)])
            if ready or self._closing or time.monotonic() >= deadline:
                return ready
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())
            except asyncio.TimeoutError:
                pass

    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        with self._lock:
            chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    @staticmethod
    def _text(params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        """A message's text and entities after parsing, refused as Telegram does."""
        text = str(params.get("text") or "")
        entities: list[dict[str, Any]] = []
        if params.get("parse_mode") == "HTML":
            text, entities = parse_html(text)
        elif params.get("parse_mode"):
            raise ApiError(400, f"Bad Request: unsupported parse_mode {params['parse_mode']}")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return text, entities

    @staticmethod
    def _check_markup(markup: Any, *, inline_only: bool = False) -> None:
        if markup is None:
            return
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if not inline_only and "keyboard" in markup:
            rows = markup["keyboard"]
            buttons = [b for row in rows for b in row] if isinstance(rows, list) else []
            if not buttons or not all(isinstance(b, dict) and b.get("text") for b in buttons):
                raise ApiError(400, "Bad Request: keyboard button text is empty")
            return
        if not inline_only and "remove_keyboard" in markup:
            if markup["remove_keyboard"] is not True:
                raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
            return
        rows = markup.get("inline_keyboard")
        if not isinstance(rows, list):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for button in (b for row in rows for b in row):
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            if button.get("request_location"):
                raise ApiError(400, "Bad Request: BUTTON_TYPE_INVALID")

    async def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100")
        for command in commands:
            if not COMMAND_RE.fullmatch(str(command.get("command") or "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description") or "").strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands = commands
        return True

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        text, entities = self._text(params)
        markup = params.get("reply_markup")
        self._check_markup(markup)
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "from": self.me,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if entities:
            message["entities"] = entities
        # Only an inline keyboard belongs to the message; a reply keyboard is the app's.
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        with self._lock:
            if markup and "keyboard" in markup:
                self.reply_keyboards[chat["id"]] = markup
            elif markup and markup.get("remove_keyboard"):
                self.reply_keyboards.pop(chat["id"], None)
            self._sent[chat["id"]].append(
                {**message, "parse_mode": params.get("parse_mode"), "sent_markup": markup}
            )
        return message

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        with self._lock:
            known = params.get("callback_query_id") in self._callbacks
        if not known:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        return True

    def _to_edit(self, chat: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """The bot's message an edit names (call with the lock held)."""
        message = next(
            (m for m in self._sent[chat["id"]] if m["message_id"] == params.get("message_id")),
            None,
        )
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        markup = params.get("reply_markup") or None
        self._check_markup(markup, inline_only=True)
        with self._lock:
            message = self._to_edit(chat, params)
            if message.get("reply_markup") == markup:
                raise not_modified()
            if markup is None:
                message.pop("reply_markup", None)
            else:
                message["reply_markup"] = markup
            result = {k: v for k, v in message.items() if k not in ("parse_mode", "sent_markup")}
        return result

    async def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")  # no inline mode here
        chat = self._chat(params)
        text, entities = self._text(params)
        markup = params.get("reply_markup") or None
        self._check_markup(markup, inline_only=True)
        with self._lock:
            message = self._to_edit(chat, params)
            if "text" not in message:
                raise ApiError(400, "Bad Request: there is no text in the message to edit")
            if (
                message["text"] == text
                and message.get("entities", []) == entities
                and message.get("reply_markup") == markup
            ):
                raise not_modified()
            message["text"] = text
            message["edit_date"] = int(time.time())
            for key, value in (("entities", entities), ("reply_markup", markup)):
                if value:
                    message[key] = value
                else:
                    message.pop(key, None)
            self.edits[chat["id"]].append((time.monotonic(), text))
            result = {k: v for k, v in message.items() if k not in ("parse_mode", "sent_markup")}
        return result

    async def _api_sendChatAction(self, params: dict[str, Any]) -> bool:
        self._chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id") or "")
        with self._lock:
            found = self._files.get(file_id)
        if found is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, data = found
        if len(data) > MAX_DOWNLOAD:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": "AQAD" + file_id[-10:],
            "file_size": len(data),
            "file_path": path,
        }


class TelegramChat:
    """One resident in a private chat: builds the updates their app would cause."""

    def __init__(self, fake: FakeTelegram, chat_id: int, first_name: str = "Inwoner") -> None:
        self.fake = fake
        self.chat_id = chat_id
        self.user = {
            "id": chat_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": "nl",
        }
        self.chat = {"id": chat_id, "type": "private", "first_name": first_name}
        self._message_ids = itertools.count(1)

    def message(self, **content: Any) -> dict[str, Any]:
        return {
            "update_id": self.fake.next_update_id(),
            "message": {
                "message_id": next(self._message_ids),
                "from": self.user,
                "chat": self.chat,
                "date": int(time.time()),
                **content,
            },
        }

    def text(self, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.message(**content)

    def location(self, lat: float, lon: float) -> dict[str, Any]:
        return self.message(location={"latitude": lat, "longitude": lon})

    def photo(self, data: bytes, caption: str | None = None) -> dict[str, Any]:
        """A photo as Telegram sends it: several sizes, largest last."""
        n = next(self._message_ids)
        thumb = self.fake.add_file(data, f"photos/file_{n}_s.jpg")
        large = self.fake.add_file(data, f"photos/file_{n}.jpg")
        sizes = [{**thumb, "width": 90, "height": 67}, {**large, "width": 1280, "height": 960}]
        content: dict[str, Any] = {"photo": sizes}
        if caption:
            content["caption"] = caption
        return self.message(**content)

    def document(self, data: bytes, mime_type: str) -> dict[str, Any]:
        """A file sent "as file" (not recompressed by Telegram)."""
        n = next(self._message_ids)
        file = self.fake.add_file(data, f"documents/file_{n}")
        return self.message(document={**file, "file_name": f"file_{n}", "mime_type": mime_type})

    def click(self, bot_message: dict[str, Any], title: str) -> dict[str, Any]:
        """The callback query of tapping the inline button `title` under `bot_message`."""
        rows = bot_message.get("reply_markup", {}).get("inline_keyboard", [])
        button = next((b for row in rows for b in row if b["text"] == title), None)
        assert button, f"no button {title!r} in {rows}"
        shown = {k: v for k, v in bot_message.items() if k not in ("parse_mode", "sent_markup")}
        update_id = self.fake.next_update_id()
        return {
            "update_id": update_id,
            "callback_query": {
                "id": f"{update_id}-cb",
                "from": self.user,
                "message": shown,
                "chat_instance": f"-{self.chat_id}42",
                "data": button["callback_data"],
            },
        }
