"""Bot messages to a Telegram chat: HTML text in parts of at most 4096, buttons inline.

Every text is HTML-escaped and sent with `parse_mode=HTML`, so whatever a response or
a resident's own words contain (`*`, `_`, `<b>`, `&`) arrives literally; only a
response's `[tekst](https://…)` becomes a link (core/links.py), and the
values a response marks as copyable (case number, controlecode; core/channel_hints.py)
become `<code>` spans, which Telegram copies with one tap. Rasa buttons become an
inline keyboard whose `callback_data` is the payload; a payload over Telegram's 64
bytes travels as a short key that `CallbackKeys` maps back. A question about a place
comes with Telegram's own "Deel mijn locatie" reply keyboard, taken away again with
the first message after the resident answered.
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import re
from collections import OrderedDict
from functools import partial
from typing import TYPE_CHECKING, Any

from rasa.core.channels.channel import OutputChannel

from core import feedback, links
from core.channel_hints import asks_location, copyable_values
from core.residents import texts
from rasa_plugins.connectors.telegram_bot import call
from rasa_plugins.connectors.telegram_feedback import FeedbackOffers
from rasa_plugins.connectors.telegram_live import QueueMessages

if TYPE_CHECKING:
    from telegram import Bot, InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

    Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove

log = logging.getLogger(__name__)

MAX_MESSAGE = 4096  # Telegram's limit, in UTF-16 code units
MAX_CALLBACK_DATA = 64  # bytes
KEY_PREFIX = "#"  # no Rasa payload starts with it: payloads start with "/", titles are text


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> int:
    """The longest prefix (in characters) of `text` within `limit` UTF-16 units."""
    if utf16_len(text) <= limit:
        return len(text)
    low, high = 0, min(len(text), limit)
    while low < high:  # binary search: a character is 1 or 2 units
        mid = (low + high + 1) // 2
        if utf16_len(text[:mid]) <= limit:
            low = mid
        else:
            high = mid - 1
    return low


def to_html(text: str, copyable: list[str] | tuple[str, ...] = ()) -> str:
    """`text` escaped for `parse_mode=HTML`: `[tekst](url)` links (core/links.py) as links,
    each copyable value as a code span."""
    return "".join(
        _escaped(words, copyable)
        if url is None
        else f'<a href="{html.escape(url)}">{html.escape(words, quote=False)}</a>'
        for words, url in links.segments(text)
    )


def _escaped(text: str, copyable: list[str] | tuple[str, ...]) -> str:
    values = sorted({v for v in copyable if v}, key=len, reverse=True)
    if not values:
        return html.escape(text, quote=False)
    pattern = re.compile("|".join(re.escape(v) for v in values))
    out, at = [], 0
    for found in pattern.finditer(text):
        out.append(html.escape(text[at : found.start()], quote=False))
        out.append(f"<code>{html.escape(found.group(), quote=False)}</code>")
        at = found.end()
    out.append(html.escape(text[at:], quote=False))
    return "".join(out)


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Parts of at most `limit`, cut after a line break, else a space, else anywhere."""
    parts: list[str] = []
    rest = text.strip()
    while rest:
        end = _cut(rest, limit)
        if end < len(rest):
            head = rest[:end]
            # A break in the first half would leave tiny parts: cut harder instead.
            for sep in ("\n\n", "\n", " "):
                at = head.rfind(sep)
                if at > end // 2:
                    end = at + len(sep)
                    break
        part = rest[:end].rstrip()
        if part:
            parts.append(part)
        rest = rest[end:].lstrip()
    return parts


class CallbackKeys:
    """Short stand-ins for payloads too long for `callback_data`, kept in memory.

    The key is a hash of the payload, so the same button always gets the same key and
    the map only grows with distinct payloads; it is bounded all the same. A key that
    is gone (the Rasa server restarted) falls back to the button's title, see telegram.py.
    """

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._payloads: OrderedDict[str, str] = OrderedDict()

    def data_for(self, payload: str) -> str:
        if len(payload.encode()) <= MAX_CALLBACK_DATA and not payload.startswith(KEY_PREFIX):
            return payload
        digest = hashlib.sha256(payload.encode()).digest()[:18]
        key = KEY_PREFIX + base64.urlsafe_b64encode(digest).decode()
        self._payloads[key] = payload
        self._payloads.move_to_end(key)
        while len(self._payloads) > self.capacity:
            self._payloads.popitem(last=False)
        return key

    def payload_of(self, data: str) -> str | None:
        """The payload behind callback data; None for a key this process does not know."""
        if not data.startswith(KEY_PREFIX):
            return data
        return self._payloads.get(data)


class TelegramOutput(OutputChannel):
    """Sends to the chat whose id is Rasa's sender id."""

    def __init__(
        self,
        bot: Bot,
        keys: CallbackKeys,
        offers: FeedbackOffers | None = None,
        queue_messages: QueueMessages | None = None,
    ) -> None:
        self.bot = bot
        self.keys = keys
        self.offers = offers
        self.queue_messages = queue_messages  # a live chat's place, edited as it changes
        # Chats showing the location keyboard -> whether the resident spoke since.
        self._location_keyboard: dict[str, bool] = {}

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def resident_spoke(self, chat_id: str) -> None:
        """The resident answered (typed, tapped, shared): the next message hides the keyboard."""
        if chat_id in self._location_keyboard:
            self._location_keyboard[chat_id] = True

    def _reply_keyboard(self, chat_id: str, custom: Any) -> Markup | None:
        """The reply keyboard to show or remove with this message, if any."""
        from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove

        if asks_location(custom):
            self._location_keyboard[chat_id] = False
            return ReplyKeyboardMarkup(
                [[KeyboardButton(texts.SHARE_LOCATION, request_location=True)]],
                resize_keyboard=True,
                one_time_keyboard=True,
                input_field_placeholder=texts.TYPE_ADDRESS,
            )
        if self._location_keyboard.get(chat_id):  # answered: take it away
            del self._location_keyboard[chat_id]
            return ReplyKeyboardRemove()
        return None

    async def send(
        self,
        chat_id: str,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        custom: Any = None,
    ) -> None:
        """Send `text` in as many parts as needed; the keyboard goes with the last part.

        A reply keyboard (or its removal) goes with the first part; a message has one
        `reply_markup`, so when that is also the last part, inline buttons follow in a
        message of their own.
        """
        parts = split_text(text) or ([texts.CHOOSE] if markup else [])
        reply = self._reply_keyboard(chat_id, custom) if parts else None
        if reply is not None and markup is not None and len(parts) == 1:
            parts.append(texts.CHOOSE)
        codes = copyable_values(custom)
        sent = None
        for i, part in enumerate(parts):
            if i == len(parts) - 1 and markup is not None:
                extra: Markup | None = markup
            else:
                extra = reply if i == 0 else None
            sent = await call(
                partial(
                    self.bot.send_message,
                    chat_id,
                    to_html(part, codes),
                    parse_mode="HTML",
                    reply_markup=extra,
                ),
                f"sendMessage to {chat_id}",
            )
        if self.queue_messages is not None and sent is not None and len(parts) == 1:
            self.queue_messages.sent(chat_id, sent.message_id, parts[0], markup)

    async def edit(self, chat_id: str, message_id: int, text: str, markup: Any) -> bool:
        """Say `text` in a message sent before, keeping its inline keyboard."""
        done = await call(
            partial(
                self.bot.edit_message_text,
                to_html(text),
                chat_id=chat_id,
                message_id=message_id,
                parse_mode="HTML",
                reply_markup=markup,
            ),
            f"editMessageText in {chat_id}",
        )
        return done is not None

    async def typing(self, chat_id: str) -> None:
        """Telegram's "typing…" (it lasts about five seconds, or until a message)."""
        await call(
            partial(self.bot.send_chat_action, chat_id, "typing"),
            f"sendChatAction to {chat_id}",
            attempts=1,
        )

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        # An answer (an FAQ, a new case) gets thumbs up/down once per topic (issue #16).
        topic = feedback.topic(kwargs)
        markup = self.offers.offer(recipient_id, topic, text) if topic and self.offers else None
        await self.send(recipient_id, text, markup, custom=kwargs.get("custom"))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send(recipient_id, text, self.keyboard(buttons), kwargs.get("custom"))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send(recipient_id, image)

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        await self.send(recipient_id, str(attachment))

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """Hints went with the text (`custom`); raw JSON is of no use in a chat."""
        log.debug("custom payload for %s not sent to Telegram", recipient_id)

    def keyboard(self, buttons: list[dict[str, Any]]) -> InlineKeyboardMarkup | None:
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup

        rows = []
        for button in buttons:
            title = str(button.get("title") or "").strip()[:64]
            payload = str(button.get("payload") or title).strip()
            url = str(button.get("url") or "")
            if not title:
                continue
            if url.startswith(("https://", "http://")):
                rows.append([InlineKeyboardButton(title, url=url)])
            else:
                data = self.keys.data_for(payload)
                rows.append([InlineKeyboardButton(title, callback_data=data)])
        return InlineKeyboardMarkup(rows) if rows else None
