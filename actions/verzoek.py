"""The verzoek form: what is asked, where (if it is about a place), contact, confirm."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import (
    CaseForm,
    FormStart,
    ask_confirmation,
    contact_tekst,
    locatie_tekst,
)
from actions.submit import submit_case

ONDERWERP_MAX = 80


def onderwerp(omschrijving: str) -> str:
    """A short subject for staff lists: the resident's question, else their first sentence."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", omschrijving) if s.strip()]
    question = next((s for s in sentences if s.endswith("?")), None)
    first = question or (sentences[0] if sentences else omschrijving)
    return first if len(first) <= ONDERWERP_MAX else first[: ONDERWERP_MAX - 1].rstrip() + "…"


class ActionVerzoekStarten(FormStart):
    response = "utter_verzoek_start"

    def name(self) -> str:
        return "action_verzoek_starten"


class ValidateVerzoekForm(CaseForm):
    case_type = "verzoek"
    required_location = False

    def name(self) -> str:
        return "validate_verzoek_form"

    def base_slots(self, tracker: Tracker) -> list[str]:
        return ["omschrijving", "locatie"]

    async def validate_omschrijving(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        result = await super().validate_omschrijving(value, dispatcher, tracker, domain)
        if result.get("omschrijving"):
            result["onderwerp"] = onderwerp(result["omschrijving"])
        return result


class ActionAskVerzoekBevestiging(Action):
    def name(self) -> str:
        return "action_ask_verzoek_form_bevestiging"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return ask_confirmation(
            dispatcher,
            tracker,
            "utter_verzoek_samenvatting",
            "utter_wat_aanpassen_verzoek",
            omschrijving=tracker.get_slot("omschrijving"),
            locatie_tekst=locatie_tekst(tracker.get_slot("locatie")),
            contact_tekst=contact_tekst(tracker.get_slot("contact")),
        )


class ActionVerzoekIndienen(Action):
    def name(self) -> str:
        return "action_verzoek_indienen"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return await submit_case(dispatcher, tracker, "verzoek")
