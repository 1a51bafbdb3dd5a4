""" "Ik wil een medewerker spreken": a live chat with the KCC when one is free, else a call-back.

The web app owns the queue and knows who is available (webapp/live/); this action asks it
over the Case API. In the widget and on Telegram, within the KCC's hours (core/kcc.py) and with a
medewerker available, the conversation joins the queue: the widget shows its place and
the expected wait (Telegram: in the answer, with a button to stop waiting), and once a
medewerker takes it the web app (or the Telegram connector, asking the web app) sends
the resident's messages to the medewerker instead of to Rasa. Otherwise Balie offers a call-back and
says when it will come.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions.backends.base import BackendError
from actions.delivery import delivery
from core import kcc
from core.clock import utcnow
from core.residents import texts

log = logging.getLogger(__name__)
SLOT = kcc.SLOT


# The channels whose conversations the web app can hand to a medewerker.
LIVE_CHANNELS = ("web", "telegram")


class ActionMedewerkerSpreken(Action):
    def name(self) -> str:
        return "action_medewerker_spreken"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        answer: dict[str, Any] = {}
        kanaal = common.kanaal(tracker)
        if kanaal in LIVE_CHANNELS:
            try:
                answer = await delivery().balie.live(common.melder(tracker))
            except BackendError as exc:
                log.warning("asking for a live chat failed: %r", exc)
        queued = answer.get("wachtrij") is True
        if queued and kanaal == "telegram":  # no bar under the chat: say it in words
            minuten = answer.get("wacht_minuten")
            dispatcher.utter_message(
                response="utter_live_wachtrij_telegram",
                positie=str(answer.get("positie") or 1),
                wachttijd=texts.live_wait(minuten if isinstance(minuten, int) else None),
            )
        elif queued:
            dispatcher.utter_message(response="utter_live_wachtrij")
        else:
            # Followed by utter_terugbellen_aanbieden (nlu_data/rules.yml).
            dispatcher.utter_message(
                response="utter_live_terugbellen", wanneer=kcc.terugbel_moment(utcnow())
            )
        return [SlotSet(SLOT, queued)]


class ActionNietBegrepen(Action):
    """Balie did not understand twice in a row: offer a person. While a medewerker is free
    (web and Telegram), chat now; else the menu, whose "Medewerker spreken" offers a call-back."""

    def name(self) -> str:
        return "action_niet_begrepen"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        available = False
        if common.kanaal(tracker) in LIVE_CHANNELS:
            try:
                available = await delivery().balie.live_available()
            except BackendError as exc:
                log.warning("asking whether a medewerker is free failed: %r", exc)
        dispatcher.utter_message(
            response="utter_nog_steeds_niet_begrepen_live"
            if available
            else "utter_nog_steeds_niet_begrepen"
        )
        return []
