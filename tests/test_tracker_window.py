"""A long conversation's turn loads its latest events and the state before them.

The same conversation played into two tracker stores, one loading every event (stock
Rasa's way) and one with a small window: after every turn both trackers have the same
state (slots, form, pause, latest message), both tables hold the same rows, and a name
or code the resident gave long before the window is still masked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from core import ROOT
from rasa_plugins.tracker_window import cut

SECRET = "test-secret-for-the-tracker-window"
WINDOW = 24  # events: about four turns of this conversation
TURNS = 60


@pytest.fixture(scope="module")
def domain():  # type: ignore[no-untyped-def]
    from rasa.shared.core.domain import Domain

    return Domain.load(ROOT / "domain.yml")


def url(tmp_path: Path, name: str) -> str:
    return f"sqlite:///{tmp_path / name}.sqlite"


def stored(database: str) -> list[tuple[str, dict[str, Any]]]:
    """(type, event) of every row; without the timestamps, which each store's run has its own."""
    engine = sa.create_engine(database)
    try:
        with engine.connect() as conn:
            rows = list(conn.execute(sa.text("SELECT type_name, data FROM events ORDER BY id")))
    finally:
        engine.dispose()
    return [
        (t, {k: v for k, v in json.loads(data).items() if k != "timestamp"}) for t, data in rows
    ]


def turn_events(i: int) -> list[Any]:
    """Turn i of a conversation: FAQ questions, a name given and cleared, a code, a form
    that runs for a while, a pause, and late messages repeating the name and the code."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActiveLoop,
        BotUttered,
        ConversationPaused,
        ConversationResumed,
        SessionStarted,
        SlotSet,
        UserUttered,
    )

    events: list[Any] = []
    if i == 0:
        events += [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            SlotSet("gemeente_telefoon", "14 0123"),
            ActionExecuted("action_listen"),
        ]
    text = {
        2: "mijn naam is Joris Hoekstra",
        6: "mijn code is HX4T9B",
        50: "nogmaals, met Joris Hoekstra",
        55: "de code was HX4T9B toch?",
    }.get(i, f"vraag nummer {i} over de afvalkalender")
    events.append(UserUttered(text, {"name": "faq", "confidence": 0.9}, input_channel="rest"))
    if i == 2:
        events.append(SlotSet("naam", "Joris Hoekstra"))
    if i == 4:
        events.append(SlotSet("naam", None))
    if i == 6:
        events += [SlotSet("controlecode", "HX4T9B"), SlotSet("aanspreekvorm", "je")]
    if i == 8:
        events.append(SlotSet("controlecode", None))
    if i == 10:
        events += [ActiveLoop("melding_form"), SlotSet("requested_slot", "omschrijving")]
    if 11 <= i < 20:
        events.append(SlotSet("omschrijving", f"beschrijving {i}"))
    if i == 20:
        events += [ActiveLoop(None), SlotSet("requested_slot", None)]
    if i == 30:
        events.append(ConversationPaused())
    if i == 33:
        events.append(ConversationResumed())
    if i == 40:
        events += [ActiveLoop("status_form"), SlotSet("requested_slot", "zaaknummer")]
    events += [
        ActionExecuted("utter_faq"),
        BotUttered(f"antwoord {i}", metadata={"utter_action": "utter_faq"}),
        ActionExecuted("action_listen"),
    ]
    return events


def state(tracker: Any) -> dict[str, Any]:
    return {
        "slots": tracker.current_slot_values(),
        "loop": tracker.active_loop_name,
        "paused": tracker.is_paused(),
        "latest": tracker.latest_message.text if tracker.latest_message else None,
        "action": tracker.latest_action_name,
    }


@pytest.mark.asyncio(loop_scope="session")
async def test_a_windowed_conversation_keeps_its_state_rows_and_masking(domain, tmp_path) -> None:  # type: ignore[no-untyped-def]

    from rasa_plugins.tracker_store import MaskingTrackerStore
    from tests.brokers import CollectingBroker

    broker = CollectingBroker()
    full_url, window_url = url(tmp_path, "full"), url(tmp_path, "window")
    full = MaskingTrackerStore(domain=domain, host=full_url, secret=SECRET, window=0)
    windowed = MaskingTrackerStore(
        domain=domain, host=window_url, secret=SECRET, window=WINDOW, event_broker=broker
    )
    sizes = []
    for i in range(TURNS):
        trackers = [await store.get_or_create_tracker("lang") for store in (full, windowed)]
        if i:
            assert state(trackers[1]) == state(trackers[0]), f"before turn {i}"
        sizes.append(len(trackers[1].events))
        for tracker, store in zip(trackers, (full, windowed), strict=True):
            for event in turn_events(i):
                tracker.update(event)
            await store.save(tracker)
    # Late turns load a bounded number of events; the full store loads them all.
    assert max(sizes[-20:]) < WINDOW + 25
    assert len((await full.retrieve("lang")).events) > 5 * WINDOW
    # The same rows, masked the same way (encrypted slot values compared decrypted: each
    # encryption has its own IV); the window's prefix was never stored.
    rows = stored(window_url)
    assert all(
        data["value"].startswith("enc:")
        for t, data in rows
        if data.get("name") == "naam" and data.get("value")
    )
    assert [(t, windowed.restore(dict(d))) for t, d in rows] == [
        (t, full.restore(dict(d))) for t, d in stored(full_url)
    ]
    text = json.dumps([data for _, data in rows], ensure_ascii=False)
    assert "Joris" not in text and "Hoekstra" not in text and "HX4T9B" not in text
    assert sum(data["text"].count("[naam]") for t, data in rows if t == "user") == 2
    # The event broker got what was stored, once.
    published = [
        {k: v for k, v in e.items() if k not in ("timestamp", "sender_id")}
        for e in broker.published
    ]
    assert [windowed.restore(e) for e in published] == [windowed.restore(dict(d)) for _, d in rows]
    # The REST API's full tracker has every event and no prefix.
    everything = await windowed.retrieve_full_tracker("lang")
    assert len(everything.events) == len(rows)


def test_the_cut_falls_on_a_message_and_never_before_an_undo() -> None:
    types = ["action", "session_started", "action", *["user", "slot", "action", "bot"] * 10]
    assert cut(types, 0) is None and cut(types, len(types)) is None
    start = cut(types, 10)
    assert start is not None and types[start] == "user" and len(types) - start <= 10
    assert cut([*types[:3], "user", "rewind", *types[3:]], 10) is None
    # Only bot events at the end: no message to cut at.
    assert cut(["user"] + ["bot"] * 30, 10) is None


QUESTIONS = [
    "wanneer wordt het oud papier opgehaald",
    "hoe vraag ik een parkeervergunning aan",
    "waar meld ik een verhuizing",
    "hoe maak ik een afspraak op het gemeentehuis",
    "wat kost een uittreksel uit de brp",
]


@pytest.mark.stack
@pytest.mark.asyncio(loop_scope="session")
async def test_a_long_conversation_keeps_its_register_through_the_real_stack(stack, http) -> None:  # type: ignore[no-untyped-def]
    from tests.client import events, say

    sender = "lang-gesprek"
    await say(http, stack, sender, "hoi, kun je mij helpen met een vraag?")
    for i in range(24):
        replies = await say(http, stack, sender, QUESTIONS[i % len(QUESTIONS)])
        assert replies, f"no answer to turn {i}"
    everything = await events(http, stack, sender)
    assert len(everything) > 2 * 60  # well past BALIE_TRACKER_WINDOW's default
    # The informal register chosen in the first message still holds at the end.
    replies = await say(http, stack, sender, "hoe vraag ik een pgb aan")
    assert any("Je maakt dan een plan" in r.get("text", "") for r in replies), replies
