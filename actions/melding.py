"""The melding form: what, which category, where, when, contact (with consent), confirm."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common, duplicaat, locatie
from actions.forms import (
    CaseForm,
    FormStart,
    ask_confirmation,
    contact_tekst,
    locatie_tekst,
    tijdstip_from,
)
from actions.submit import submit_case
from core.categories import choices, load_categories, propose
from core.dutch.tijdstip import is_terugkerend

OTHER = "overig"
MAX_PHOTOS = 5


def categorie_naam(slug: str | None) -> str:
    category = load_categories().get(slug) if slug else None
    return category.name if category else "onbekend"


def summary_values(tracker: Tracker) -> dict[str, Any]:
    tijdstip = tracker.get_slot("tijdstip") or {}
    return {
        "omschrijving": tracker.get_slot("omschrijving"),
        "categorie_naam": categorie_naam(tracker.get_slot("categorie")),
        "locatie_tekst": locatie_tekst(tracker.get_slot("locatie")),
        "tijdstip_tekst": tijdstip.get("tekst", "onbekend"),
        "contact_tekst": contact_tekst(tracker.get_slot("contact")),
        "fotos_tekst": str(len(tracker.get_slot("fotos") or [])),
    }


class ActionMeldingStarten(FormStart):
    with_time = True
    exact_place = True
    response = "utter_melding_start"

    def name(self) -> str:
        return "action_melding_starten"


class ValidateMeldingForm(CaseForm):
    case_type = "melding"

    def name(self) -> str:
        return "validate_melding_form"

    def base_slots(self, tracker: Tracker) -> list[str]:
        return ["omschrijving", "categorie", "locatie", "tijdstip", "fotos", "duplicaat"]

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        if duplicaat.following(tracker):
            # Following a case already reported: no contact question, no summary.
            return [slot for slot in slots if slot in self.base_slots(tracker)]
        return slots

    def fits(self, slot: str, tracker: Tracker, text: str) -> bool:
        if slot == "duplicaat":
            return common.yes_no(tracker) is not None
        return super().fits(slot, tracker, text)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """After this turn's answers are validated, search once category and place are
        known: before the next question is chosen, so a found case is asked about."""
        events = await super().get_validation_events(dispatcher, tracker, domain)
        found = await duplicaat.search(tracker)  # sees the validated slots (AnswersOnly)
        tracker.add_slots([SlotSet(name, value) for name, value in found.items()])
        return events + [SlotSet(name, value) for name, value in found.items()]

    async def extract_duplicaat(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") == "duplicaat":
            return await self._extract("duplicaat", dispatcher, tracker)
        return {}

    async def validate_duplicaat(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, bool):  # nothing found: no question
            return {"duplicaat": value}
        answer = common.yes_no(tracker)
        if answer is not None:
            return {"duplicaat": answer}
        return self._retry(
            "duplicaat", dispatcher, tracker, "utter_hint_duplicaat", give_up={"duplicaat": False}
        )

    async def extract_fotos(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A photo counts whenever it comes; asked for, "geen foto" is an answer too."""
        received = common.photo_ids(tracker)
        if received:
            known = list(tracker.get_slot("fotos") or [])
            return {"fotos": known + [i for i in received if i not in known]}
        return await self._extract("fotos", dispatcher, tracker)

    async def validate_fotos(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, list):
            return {"fotos": value[:MAX_PHOTOS]}
        if common.yes_no(tracker) is False or "geen" in str(value).lower():
            return {"fotos": []}
        return self._retry("fotos", dispatcher, tracker, "utter_hint_fotos", give_up={"fotos": []})

    async def extract_categorie(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "categorie":
            return {}
        chosen = common.entity(tracker, "categorie")
        if chosen:
            return {"categorie": chosen}
        ahead = self._answered_ahead(tracker)
        if ahead:
            return ahead
        return await self._extract("categorie", dispatcher, tracker)

    def _answered_ahead(self, tracker: Tracker) -> dict[str, Any]:
        """Asked the kind of melding, the resident says where or when instead ("Dorpsstraat
        14", "sinds gisteren"): that answers the later question, validated as such (a
        street's "straat" is no category). Going on without objecting accepts the kind
        Balie proposed, as "ja" would (the summary shows it, to change); without a
        proposal the kind is asked again."""
        if common.is_button(tracker):
            return {}
        text = common.text(tracker)
        if tracker.get_slot("locatie") is None and locatie.locatie_from(tracker, text):
            ahead = {"locatie": text}
        elif (
            tracker.get_slot("tijdstip") is None
            and not propose(text, limit=1)
            and (tijdstip_from(text) or is_terugkerend(text))
        ):
            ahead = {"tijdstip": text}
        else:
            return {}
        proposed = _proposed(tracker)
        return ahead | ({"categorie": proposed} if proposed else {})

    async def validate_categorie(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        taxonomy = load_categories()
        text = str(value or "").strip()
        if taxonomy.get(text):
            return {"categorie": text}
        if common.yes_no(tracker) is True:
            proposed = _proposed(tracker)
            if proposed:
                return {"categorie": proposed}
        proposals = propose(text, limit=1) if text else []
        if proposals:
            return {"categorie": proposals[0].category.slug}
        return self._retry(
            "categorie", dispatcher, tracker, "utter_hint_categorie", give_up={"categorie": OTHER}
        )


def _proposed(tracker: Tracker) -> str | None:
    """The kind the category question proposed first, from the description."""
    proposals = propose(tracker.get_slot("omschrijving") or "", limit=1)
    return proposals[0].category.slug if proposals else None


class ActionAskCategorie(Action):
    """One question: the best category first, then plausible alternatives and "Iets anders"."""

    def name(self) -> str:
        return "action_ask_categorie"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        proposals = choices(tracker.get_slot("omschrijving") or "")
        buttons = [
            common.button(p.category.name, f'/informeren{{"categorie":"{p.category.slug}"}}')
            for p in proposals
        ]
        buttons.append(common.button("Iets anders", f'/informeren{{"categorie":"{OTHER}"}}'))
        if proposals:
            dispatcher.utter_message(
                response="utter_ask_categorie_voorstel",
                categorie_naam=proposals[0].category.name,
                buttons=buttons,
            )
        else:
            dispatcher.utter_message(response="utter_ask_categorie", buttons=buttons)
        return []


class ActionAskMeldingBevestiging(Action):
    def name(self) -> str:
        return "action_ask_melding_form_bevestiging"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return ask_confirmation(
            dispatcher,
            tracker,
            "utter_melding_samenvatting",
            "utter_wat_aanpassen_melding",
            **summary_values(tracker),
        )


class ActionMeldingIndienen(Action):
    def name(self) -> str:
        return "action_melding_indienen"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        followed = duplicaat.following(tracker)
        if followed and not tracker.get_slot("formulier_gestopt"):
            return await duplicaat.follow(dispatcher, tracker, followed)
        return await submit_case(dispatcher, tracker, "melding")
