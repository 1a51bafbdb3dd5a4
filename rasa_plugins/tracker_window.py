"""A turn's tracker from a conversation's latest events, with the state before them.

Rasa rebuilds the whole conversation session for every turn, and its policies walk every
event of it, so a long conversation gets slower turn by turn. Balie loads the latest
`window` events instead (cut where a resident's message starts a turn) and puts in front
of them what the dialogue needs from before: the slots' values and the active form at
the cut, replayed by Rasa's own events from the rows that change them, and every value
the personal slots had (the masker must know every name and code of the conversation).
That prefix is never stored: its first event says how many events of the tracker were
loaded, so the store writes only what comes after them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AllSlotsReset,
    ConversationPaused,
    ConversationResumed,
    LegacyForm,
    LegacyFormValidation,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker

# Metadata key of the prefix's first event: {"loaded": number of events loaded}.
WINDOW_KEY = "balie_window"
# The events that change a conversation's state (slots, form, pause) between turns.
STATE_EVENTS = tuple(
    event.type_name
    for event in (
        SlotSet,
        AllSlotsReset,
        Restarted,
        ActiveLoop,
        LegacyForm,
        LoopInterrupted,
        LegacyFormValidation,
        ActionExecutionRejected,
        ConversationPaused,
        ConversationResumed,
    )
)
# Undoing events depends on the messages around them: before a cut, load everything.
REVERTING = (UserUtteranceReverted.type_name, ActionReverted.type_name)


def cut(types: Sequence[str], window: int) -> int | None:
    """Index of the first event to load: a resident's message about `window` events from
    the end; None: load everything (short enough, or reverted events before the cut)."""
    if not window or len(types) <= window:
        return None
    start = next(
        (i for i in range(len(types) - window, len(types)) if types[i] == UserUttered.type_name),
        None,
    )
    if not start or any(t in REVERTING for t in types[:start]):
        return None
    return start


def prefix(
    sender_id: str,
    before: list[dict[str, Any]],
    slots: list[Slot],
    personal: tuple[str, ...],
    timestamp: float,
) -> list[dict[str, Any]]:
    """The events standing in for everything before the cut.

    `before`: the state-changing events before the cut (STATE_EVENTS), in order.
    """
    state = DialogueStateTracker.from_dict(sender_id, before, slots)
    history = [
        e
        for e in before
        if e.get("event") == SlotSet.type_name
        and e.get("name") in personal
        and e.get("value") is not None
    ]
    values = state.current_slot_values()
    carried = {str(e["name"]) for e in history}
    initial = {slot.name: slot.initial_value for slot in slots}
    events: list[dict[str, Any]] = [
        ActionExecuted("action_session_start").as_dict(),
        SessionStarted().as_dict(),
        *history,
        *(
            SlotSet(name, value).as_dict()
            for name, value in values.items()
            if name in carried or value != initial.get(name)
        ),
    ]
    if state.active_loop_name:
        events.append(ActiveLoop(state.active_loop_name).as_dict())
    if state.is_paused():
        events.append(ConversationPaused().as_dict())
    events.append(ActionExecuted("action_listen").as_dict())
    for event in events:
        event["timestamp"] = timestamp
    return events


def mark(events: list[dict[str, Any]], loaded: int) -> None:
    events[0]["metadata"] = {**(events[0].get("metadata") or {}), WINDOW_KEY: {"loaded": loaded}}


def mark_tracker(tracker: DialogueStateTracker, stored: int) -> None:
    """The tracker's first `stored` events are in the table now."""
    first = tracker.events[0]
    first.metadata = {**(first.metadata or {}), WINDOW_KEY: {"loaded": stored}}


def loaded(tracker: DialogueStateTracker) -> int | None:
    """How many of the tracker's events came from the store, if it was loaded windowed."""
    first = tracker.events[0] if tracker.events else None
    window = (first.metadata or {}).get(WINDOW_KEY) if first is not None else None
    count = window.get("loaded") if isinstance(window, dict) else None
    return count if isinstance(count, int) else None
