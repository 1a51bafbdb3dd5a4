"""The buttons a channel accepts as a payload (rasa_plugins/connectors/guard.py): Balie's
tracker store answers from one small query what the whole tracker says, in every shape
of conversation; other stores answer from the tracker."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from core import ROOT
from rasa_plugins.connectors.guard import offered_now, offered_payloads

pytestmark = pytest.mark.asyncio(loop_scope="session")


def buttons(*payloads: str) -> dict[str, Any]:
    return {"buttons": [{"title": p.strip("/"), "payload": p} for p in payloads]}


def turns() -> list[list[Any]]:
    """Turns of a conversation, each ending where a resident could answer."""
    return [
        [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")],
        [
            UserUttered("er ligt afval", {"name": "melding_doen", "confidence": 0.9}),
            BotUttered("Gaat het om:", data=buttons('/kies{"categorie": "afval"}', "/anders")),
            BotUttered("Of iets anders?", data=buttons(" /stoppen ")),
            ActionExecuted("action_listen"),
        ],
        [
            UserUttered("/anders", {"name": "anders", "confidence": 1.0}),
            BotUttered("Waar is het? Bel 06-12345678 als u wilt.", data={}),
            ActionExecuted("action_listen"),
        ],
        [
            UserUttered("Dorpsstraat 5", {"name": "informeren", "confidence": 0.8}),
            SlotSet("requested_slot", "foto"),
            BotUttered("Hebt u een foto?", data=buttons("/geen_foto", '/informeren{"x": 1}')),
            ActionExecuted("action_listen"),
        ],
        # A new session with buttons before the resident says anything.
        [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            BotUttered("Welkom terug", data=buttons("/status_opvragen")),
            ActionExecuted("action_listen"),
        ],
        [
            UserUttered("hoi", {"name": "groeten", "confidence": 0.9}),
            ActionExecuted("action_listen"),
        ],
    ]


class Agent:
    def __init__(self, store: Any) -> None:
        self.tracker_store = store


async def test_the_store_query_finds_what_the_tracker_says(db_url) -> None:
    from rasa_plugins.tracker_store import MaskingTrackerStore

    domain = Domain.load(ROOT / "domain.yml")
    store = MaskingTrackerStore(domain=domain, host=db_url, secret="geheim", window=0)
    stock = InMemoryTrackerStore(domain)
    seen = []
    for turn in turns():
        for s in (store, stock):
            tracker = await s.get_or_create_tracker("bewoner")
            for event in turn:
                tracker.update(event)
            await s.save(tracker)
        expected = offered_payloads(await store.retrieve("bewoner"))
        assert expected == offered_payloads(await stock.retrieve("bewoner"))
        for agent_store in (store, FailSafeTrackerStore(store), stock):
            assert await offered_now(Agent(agent_store), "bewoner") == expected
        seen.append(expected)
    assert seen == [
        set(),
        {'/kies{"categorie": "afval"}', "/anders", "/stoppen"},
        set(),
        {"/geen_foto", '/informeren{"x": 1}'},
        {"/status_opvragen"},
        set(),
    ]
    assert await offered_now(Agent(store), "niemand") == set()
