"""Telegram's side of the live chat with a medewerker (webapp/live/telegram.py).

In: a chat whose Rasa tracker says it joined the queue (slot `live_chat`, set by
actions/live.py) has each message offered to the web app first; while a medewerker
has the chat the web app keeps it for them and Rasa never sees it. Every other chat
costs nothing extra. Out: the web app posts what is said in the chat (the medewerker's
messages, "U chat nu met ...", handed back) to `/webhooks/telegram/live` with the
widget channel's secret; it goes out like Balie's own messages, with a button to end
the chat while it lasts.

While the resident waits, the web app posts their new place and expected wait when
either changes (`/webhooks/telegram/live/plaats`); `QueueMessages` edits the queue
message Balie sent (`editMessageText`, its "Stoppen met wachten" button kept) at most
once per EDIT_EVERY seconds per chat, the latest value last. The medewerker's typing
arrives on `/webhooks/telegram/live/typen` (already throttled by the web app) and
becomes Telegram's "typing…" (`sendChatAction`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core import kcc
from core.residents import texts

log = logging.getLogger(__name__)

MAX_TEXT = 4000  # one Telegram message of the medewerker's 2000 characters and a name
EDIT_EVERY = 10.0  # seconds between two edits of a chat's queue message
MAX_QUEUE_MESSAGES = 10_000
MAX_PLACE = 100_000
# The place and the wait in utter_live_wachtrij_telegram (domain.yml, "je" and "u" alike);
# the wait is texts.live_wait's sentence, in each of its forms.
PLACE_RE = re.compile(r"nummer \d+ in de wachtrij")
WAIT_RE = re.compile(
    "|".join(
        [re.escape(texts.live_wait(None))]
        + [re.escape(texts.live_wait(n)).replace(str(n), r"\d+") for n in (1, 2)]
    )
)


async def asked_for_medewerker(agent: Any, chat_id: str) -> bool:
    """Did this chat join the live chat queue (so the web app may have it)?"""
    if agent is None:
        return False
    tracker = await agent.tracker_store.retrieve(chat_id)
    return tracker is not None and tracker.get_slot(kcc.SLOT) is True


def resident_message(text: str, metadata: dict[str, Any] | None) -> dict[str, Any]:
    """What the medewerker gets: the words (the whole caption), a staged photo, a point."""
    meta = metadata or {}
    bericht: dict[str, Any] = {"text": str(meta.get("bijschrift") or text)}
    foto = meta.get("foto")
    if isinstance(foto, dict) and isinstance(foto.get("upload_id"), str):
        bericht["foto"] = foto["upload_id"]
    if isinstance(meta.get("locatie"), dict):
        bericht["locatie"] = meta["locatie"]
    return bericht


def relayed(body: Any) -> tuple[str, str, bool] | None:
    """(chat id, text, whether the chat is still open) of the web app's post; None if odd."""
    if not isinstance(body, dict):
        return None
    chat_id, text = body.get("chat_id"), body.get("tekst")
    if not isinstance(chat_id, str) or not chat_id.lstrip("-").isdigit():
        return None
    if not isinstance(text, str) or not text.strip():
        return None
    return chat_id, text[:MAX_TEXT], body.get("stoppen") is True


def end_button() -> list[dict[str, str]]:
    return [kcc.END_BUTTON]


def _chat_id(body: dict[str, Any]) -> str | None:
    chat_id = body.get("chat_id")
    return chat_id if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit() else None


def place_of(body: Any) -> tuple[str, int, int | None] | None:
    """(chat id, place, expected minutes or None) of the web app's post; None if odd."""
    if not isinstance(body, dict) or (chat_id := _chat_id(body)) is None:
        return None
    positie, minuten = body.get("positie"), body.get("wacht_minuten")
    if type(positie) is not int or not 1 <= positie <= MAX_PLACE:
        return None
    if minuten is not None and (type(minuten) is not int or not 0 < minuten <= MAX_PLACE):
        return None
    return chat_id, positie, minuten


def typing_chat(body: Any) -> str | None:
    """The chat id of the web app's "the medewerker types"; None if odd."""
    return _chat_id(body) if isinstance(body, dict) else None


def with_place(text: str, positie: int, minuten: int | None) -> str | None:
    """The queue message `text` saying this place and wait; None if it says no place."""
    if not PLACE_RE.search(text) or not WAIT_RE.search(text):
        return None
    text = PLACE_RE.sub(f"nummer {positie} in de wachtrij", text, count=1)
    return WAIT_RE.sub(lambda _: texts.live_wait(minuten), text, count=1)


# Edit a chat's message: (chat id, message id, new text, its inline keyboard) -> done?
Edit = Callable[[str, int, str, Any], Awaitable[bool]]


@dataclass
class QueueMessage:
    message_id: int
    text: str  # what it says now (before HTML escaping)
    markup: Any  # its inline keyboard, sent again with each edit (or Telegram drops it)
    edited_at: float = float("-inf")
    wanted: str | None = None  # the text it should say next
    timer: asyncio.Task[None] | None = None


class QueueMessages:
    """Each waiting chat's queue message, kept up to date by throttled edits (in memory:
    after a restart the message keeps its last place until the chat moves on)."""

    def __init__(self, edit: Edit, every: float = EDIT_EVERY) -> None:
        self.edit = edit
        self.every = every
        self._shown: OrderedDict[str, QueueMessage] = OrderedDict()

    def sent(self, chat_id: str, message_id: int, text: str, markup: Any) -> None:
        """A message went to the chat; remember it if it is a queue message."""
        if markup is None or with_place(text, 1, None) is None:
            return
        self.forget(chat_id)
        self._shown[chat_id] = QueueMessage(message_id, text, markup)
        while len(self._shown) > MAX_QUEUE_MESSAGES:
            self.forget(next(iter(self._shown)))

    def forget(self, chat_id: str) -> None:
        """The chat moved on (taken, stopped): its queue message stays as it is."""
        shown = self._shown.pop(chat_id, None)
        if shown is not None and shown.timer is not None:
            shown.timer.cancel()

    async def update(self, chat_id: str, positie: int, minuten: int | None) -> None:
        shown = self._shown.get(chat_id)
        if shown is None:
            return
        text = with_place(shown.text, positie, minuten)
        shown.wanted = None if text == shown.text else text
        if shown.wanted is None or shown.timer is not None:  # nothing new, or one is planned
            return
        wait = shown.edited_at + self.every - time.monotonic()
        if wait > 0:
            shown.timer = asyncio.ensure_future(self._later(chat_id, shown, wait))
        else:
            await self._apply(chat_id, shown)

    async def _later(self, chat_id: str, shown: QueueMessage, wait: float) -> None:
        await asyncio.sleep(wait)
        shown.timer = None
        if self._shown.get(chat_id) is shown:
            await self._apply(chat_id, shown)

    async def _apply(self, chat_id: str, shown: QueueMessage) -> None:
        text, shown.wanted = shown.wanted, None
        if text is None:
            return
        shown.edited_at = time.monotonic()
        if await self.edit(chat_id, shown.message_id, text, shown.markup):
            shown.text = text

    def close(self) -> None:
        for chat_id in list(self._shown):
            self.forget(chat_id)
