"""Telegram's side of the live chat with a medewerker (webapp/live/telegram.py).

In: a chat whose Rasa tracker says it joined the queue (slot `live_chat`, set by
actions/live.py) has each message offered to the web app first; while a medewerker
has the chat the web app keeps it for them and Rasa never sees it. Every other chat
costs nothing extra. Out: the web app posts what is said in the chat (the medewerker's
messages, "U chat nu met ...", handed back) to `/webhooks/telegram/live` with the
widget channel's secret; it goes out like Balie's own messages, with a button to end
the chat while it lasts.
"""

from __future__ import annotations

import logging
from typing import Any

from core import kcc

log = logging.getLogger(__name__)

MAX_TEXT = 4000  # one Telegram message of the medewerker's 2000 characters and a name


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
