""" "Ik wil een medewerker spreken": a live chat with the KCC when one is free, else a call-back.

The web app owns the queue and knows who is available (webapp/live/); this action asks it
over the Case API. In the widget, within the KCC's hours (core/kcc.py) and with a
medewerker available, the conversation joins the queue: the widget shows its place and
the expected wait, and once a medewerker takes it the web app sends the resident's
messages to the medewerker instead of to Rasa. Otherwise Balie offers a call-back and
says when it will come.
"""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions.backends.base import BackendError
from actions.delivery import delivery
from core import kcc
from core.clock import utcnow

log = logging.getLogger(__name__)
SLOT = "live_chat"


class ActionMedewerkerSpreken(Action):
    def name(self) -> str:
        return "action_medewerker_spreken"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        queued = False
        if common.kanaal(tracker) == "web":  # the widget's relay can hand over; others not yet
            try:
                answer = await delivery().balie.live(common.melder(tracker))
                queued = answer.get("wachtrij") is True
            except BackendError as exc:
                log.warning("asking for a live chat failed: %r", exc)
        if queued:
            dispatcher.utter_message(response="utter_live_wachtrij")
        else:
            # Followed by utter_terugbellen_aanbieden (nlu_data/rules.yml).
            dispatcher.utter_message(
                response="utter_live_terugbellen", wanneer=kcc.terugbel_moment(utcnow())
            )
        return [SlotSet(SLOT, queued)]
