"""Call-back requests: name, phone number and a good time; no medical details in the chat."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions.delivery import delivery
from actions.forms import BaseForm, tijdstip_from
from core.dutch.patterns import find_telefoonnummers, normalize_telefoonnummer
from core.dutch.tijdstip import weet_niet
from core.dutch.vraag import words

# A good time to call, said as a part of the day rather than a moment.
DAGDELEN = {"ochtend", "ochtends", "middag", "middags", "avond", "avonds", "morgen", "overdag"}

TERUGBEL_SLOTS = ["naam", "telefoon", "voorkeur", "formulier_gestopt", "pogingen"]


def last_topic(tracker: Tracker) -> str | None:
    """The FAQ topic the resident asked about last, so staff know the context."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        selector = (event.get("parse_data") or {}).get("response_selector", {}).get("faq", {})
        key = ((selector.get("response") or {}).get("intent_response_key")) or ""
        if key.startswith("faq/"):
            return key.split("/", 1)[1]
    return None


class ValidateTerugbelForm(BaseForm):
    # Asking for a person while arranging a call-back is not a change of subject.
    digressions = common.DIGRESSIONS - {"medewerker_spreken"}

    def name(self) -> str:
        return "validate_terugbel_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return [] if tracker.get_slot("formulier_gestopt") else ["naam", "telefoon", "voorkeur"]

    def fits(self, slot: str, tracker: Tracker, text: str) -> bool:
        if slot == "naam":  # "Linda de Vries": a few words, no digits
            said = words(text)
            return 1 <= len(said) <= 6 and not any(c.isdigit() for c in text)
        if slot == "telefoon":
            return bool(normalize_telefoonnummer(text) or find_telefoonnummers(text))
        if slot == "voorkeur":
            return bool(
                tijdstip_from(text) or weet_niet(text) or any(d in text.lower() for d in DAGDELEN)
            )
        return False

    async def extract_naam(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self._extract("naam", dispatcher, tracker)

    async def extract_telefoon(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        found = common.entity(tracker, "telefoonnummer")
        if found and tracker.get_slot("requested_slot") in ("naam", "telefoon"):
            return {"telefoon": found}
        return await self._extract("telefoon", dispatcher, tracker)

    async def extract_voorkeur(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self._extract("voorkeur", dispatcher, tracker)

    async def validate_naam(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        for prefix in ("mijn naam is ", "ik heet ", "ik ben ", "naam: "):
            if text.lower().startswith(prefix):
                text = text[len(prefix) :]
        if 1 < len(text) <= 120 and any(c.isalpha() for c in text):
            return {"naam": text}
        dispatcher.utter_message(response="utter_hint_naam")
        return {"naam": None}

    async def validate_telefoon(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = normalize_telefoonnummer(str(value or ""))
        if number:
            return {"telefoon": number}
        count, _ = common.attempt(tracker, "telefoon")
        counts = dict(tracker.get_slot("pogingen") or {}) | {"telefoon": count}
        if count >= common.MAX_ATTEMPTS:
            dispatcher.utter_message(response="utter_formulier_lukt_niet")
            return {"telefoon": None, "formulier_gestopt": True, "pogingen": counts}
        dispatcher.utter_message(response="utter_hint_telefoon")
        return {"telefoon": None, "pogingen": counts}

    async def validate_voorkeur(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        return {"voorkeur": "maakt niet uit" if weet_niet(text) else text[:200]}


class ActionTerugbelverzoekIndienen(Action):
    def name(self) -> str:
        return "action_terugbelverzoek_indienen"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events = common.reset(TERUGBEL_SLOTS)
        if tracker.get_slot("formulier_gestopt") or not tracker.get_slot("telefoon"):
            dispatcher.utter_message(response="utter_gestopt")
            return events
        payload = {
            "naam": tracker.get_slot("naam"),
            "telefoon": tracker.get_slot("telefoon"),
            "voorkeur": tracker.get_slot("voorkeur"),
            "onderwerp": last_topic(tracker),
            "kanaal": common.kanaal(tracker),
            "melder": common.melder(tracker),
        }
        key = common.submission_key(tracker, "terugbellen")
        outcome = await delivery().submit(key, "callback", payload, tracker.sender_id)
        if outcome.state == "rejected":
            dispatcher.utter_message(response="utter_terugbellen_mislukt")
        else:
            # Queued or delivered: either way it will reach staff.
            dispatcher.utter_message(
                response="utter_terugbellen_geregistreerd", voorkeur=payload["voorkeur"]
            )
        return events
