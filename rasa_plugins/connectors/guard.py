"""The Rasa side of core/residents/guard.py: what Balie offered, read from the tracker.

The REST and Telegram channels ask `check()` before a message reaches Rasa. The widget's
relay asks the same question of its own message log before it relays (the web app holds
the channel secret; the `balie_web` channel trusts it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from core.residents.guard import Refusal, refusal

log = logging.getLogger(__name__)


def payloads(bot_data: Iterable[dict[str, Any]]) -> set[str]:
    """The payloads of the buttons in these bot messages' data."""
    return {
        button["payload"].strip()
        for data in bot_data
        for button in data.get("buttons") or []
        if isinstance(button, dict) and isinstance(button.get("payload"), str)
    }


def offered_payloads(tracker: DialogueStateTracker | None) -> set[str]:
    """The payloads of the buttons in Balie's messages since the resident's last message."""
    data: list[dict[str, Any]] = []
    for event in reversed(tracker.events if tracker else []):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            data.append(event.data)
    return payloads(data)


def configured_store(agent: Any) -> Any:
    """The tracker store endpoints.yml names, inside Rasa's FailSafeTrackerStore."""
    store = agent.tracker_store
    return getattr(store, "_tracker_store", store)


async def offered_now(agent: Any, sender: str) -> set[str]:
    """offered_payloads of the stored conversation. Balie's store answers from a small
    query of its own; any other store (Rasa's, in the stock comparison) from the
    tracker."""
    store = agent.tracker_store
    own = configured_store(agent)
    if hasattr(own, "latest_bot_data"):
        try:
            return payloads(await own.latest_bot_data(sender))
        except Exception:  # the database: Rasa's fail-safe path says what it can
            log.exception("reading the offered buttons failed; reading the tracker")
    return offered_payloads(await store.retrieve(sender))


async def check(agent: Any, sender: str, text: str) -> Refusal | None:
    """Why this message from `sender` must not reach Rasa, or None. Without an agent
    (Rasa still starting) nothing counts as offered."""

    async def offered(payload: str) -> bool:
        if agent is None:
            return False
        return payload in await offered_now(agent, sender)

    return await refusal(text, offered)


async def channels_of(agent: Any, sender: str) -> set[str]:
    """Every input channel that ever sent a message in this conversation, all sessions
    ("" for messages posted through the HTTP API).

    Rasa wraps the configured store in a FailSafeTrackerStore, whose
    `retrieve_full_tracker` only sees the latest session: ask the store it wraps.
    """
    tracker = await configured_store(agent).retrieve_full_tracker(sender)
    return {
        event.input_channel or ""
        for event in (tracker.events if tracker else [])
        if isinstance(event, UserUttered)
    }
