"""Asking "Bedoelt u …?": the candidates of a guessed message as buttons (issue #14, part 1).

rasa_plugins/nlu/clarify.py turns a message Balie is unsure about into the intent
`verduidelijken`, with its best candidates in the parse data. This action offers them
by their plain Dutch labels (core/residents/choices.py) plus "Iets anders". A button
sends the chosen intent: a form intent starts its form through the usual rules, a FAQ
topic (`/faq{"sleutel": topic}`) is answered by `action_faq_kiezen`. The resident's
original words and choice stay in the tracker, where the staff NLU inbox finds them as
a labelled example (webapp/staff/inbox.py).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from core.residents import choices

OTHER_PAYLOAD = "/ontkennen"


def offered(tracker: Tracker) -> list[str]:
    """The candidates of the latest message that have a label, best first."""
    found = (tracker.latest_message.get(choices.CANDIDATES_KEY) or {}).get("kandidaten") or []
    names = [str(c.get("keuze")) for c in found if isinstance(c, dict)]
    return [name for name in names if choices.label(name)]


def buttons_for(names: list[str]) -> list[dict[str, Any]]:
    labelled = [common.button(choices.LABELS[name], choices.payload(name)) for name in names]
    return [*labelled, common.button(choices.OTHER, OTHER_PAYLOAD)]


class ActionVerduidelijken(Action):
    def name(self) -> str:
        return "action_verduidelijken"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        names = offered(tracker)
        if not names:  # nothing to offer: ask as for any message not understood
            dispatcher.utter_message(response="utter_vraag_herformuleren")
            return []
        dispatcher.utter_message(response="utter_bedoelt_u", buttons=buttons_for(names))
        return []


class ActionFaqKiezen(Action):
    """The answer of the FAQ topic the resident chose with a "Bedoelt u …?" button."""

    def name(self) -> str:
        return "action_faq_kiezen"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        chosen = choices.choice_of(choices.FAQ_INTENT, common.entity(tracker, "sleutel"))
        if choices.label(chosen) and chosen.startswith(f"{choices.FAQ_INTENT}/"):
            dispatcher.utter_message(response=f"utter_{chosen}")
        else:
            dispatcher.utter_message(response="utter_vraag_herformuleren")
        return []


def clarified_text(tracker: Tracker) -> str:
    """After a "Bedoelt u …?" button, the resident's own words it answered; else ""."""
    users = [e for e in tracker.events if e.get("event") == "user"]
    if len(users) < 2 or not common.is_button(tracker):
        return ""
    before = users[-2]
    intent = ((before.get("parse_data") or {}).get("intent") or {}).get("name")
    return str(before.get("text") or "").strip() if intent == choices.CLARIFY_INTENT else ""
