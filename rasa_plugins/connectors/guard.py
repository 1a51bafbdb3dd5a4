"""The Rasa side of core/residents/guard.py: what Balie offered, read from the tracker.

The REST and Telegram channels ask `check()` before a message reaches Rasa. The widget's
relay asks the same question of its own message log before it relays (the web app holds
the channel secret; the `balie_web` channel trusts it).
"""

from __future__ import annotations

from typing import Any

from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from core.residents.guard import Refusal, refusal


def offered_payloads(tracker: DialogueStateTracker | None) -> set[str]:
    """The payloads of the buttons in Balie's messages since the resident's last message."""
    found: set[str] = set()
    for event in reversed(tracker.events if tracker else []):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            for button in event.data.get("buttons") or []:
                if isinstance(button, dict) and isinstance(button.get("payload"), str):
                    found.add(button["payload"].strip())
    return found


async def check(agent: Any, sender: str, text: str) -> Refusal | None:
    """Why this message from `sender` must not reach Rasa, or None. Without an agent
    (Rasa still starting) nothing counts as offered."""

    async def offered(payload: str) -> bool:
        if agent is None:
            return False
        tracker = await agent.tracker_store.retrieve(sender)
        return payload in offered_payloads(tracker)

    return await refusal(text, offered)


async def channels_of(agent: Any, sender: str) -> set[str]:
    """Every input channel that ever sent a message in this conversation, all sessions
    ("" for messages posted through the HTTP API).

    Rasa wraps the configured store in a FailSafeTrackerStore, whose
    `retrieve_full_tracker` only sees the latest session: ask the store it wraps.
    """
    store = agent.tracker_store
    store = getattr(store, "_tracker_store", store)
    tracker = await store.retrieve_full_tracker(sender)
    return {
        event.input_channel or ""
        for event in (tracker.events if tracker else [])
        if isinstance(event, UserUttered)
    }
