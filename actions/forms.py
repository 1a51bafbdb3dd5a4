"""Shared slot logic of the melding and verzoek forms.

Every answer is extracted and validated here, in Python, rather than by slot
mappings: a question in the middle of a form ("wacht, wanneer is het
gemeentehuis open?") is answered and the form asks again; "stop" ends it; an
answer that does not fit gets a Dutch hint, a few times, before the form gives up.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common, locatie
from actions.announce import ANNOUNCEMENTS
from actions.clarify import clarified_text
from actions.locatie import locatie_from, locatie_tekst
from core import clock
from core.categories import propose
from core.channel_hints import ASK_LOCATION
from core.dutch.beleefdheid import zonder_aanhef_en_groet
from core.dutch.patterns import find_emails, find_telefoonnummers
from core.dutch.tijdstip import is_terugkerend, parse_tijdstip, terugkerend_tekst, weet_niet
from core.dutch.vraag import is_clear_question

__all__ = ["locatie_tekst"]  # the summaries of melding.py and verzoek.py show it

# Words that say "I want to report/request" without saying what.
GENERIC = set(
    """ik wij we wil wilde willen wou zou graag een de het iets melding melden
    verzoek verzoeken indienen aanvraag aanvragen doen maken plaatsen doorgeven
    hallo hoi goedemorgen goedemiddag goedenavond dag beste over via jullie u je
    kan kunnen mag hoe moet ik bij gemeente klacht probleem vraag even nog""".split()
)


def content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[\w'-]+", text.lower()) if w not in GENERIC and len(w) > 1]


def is_descriptive(text: str) -> bool:
    """Does the message say what is going on, beyond "ik wil iets melden"?"""
    return len(content_words(text)) >= 2


UNKNOWN = {"tekst": "onbekend"}


def tijdstip_from(text: str, now: datetime | None = None) -> dict[str, Any] | None:
    """The slot value: the moment with its local offset, and how the resident is told it."""
    found = parse_tijdstip(text, now or clock.now(), clock.zone())
    if found and found.doorlopend:
        return {"iso": found.start.isoformat(), "tekst": found.tekst, "doorlopend": True}
    if found:
        return {"iso": found.start.isoformat(), "tekst": found.tekst}
    return None


def periode_from(text: str) -> dict[str, Any] | None:
    """A recurring or ongoing time in a longer message, in the resident's words: no moment."""
    tekst = terugkerend_tekst(text)
    return {"tekst": tekst} if tekst else None


def contact_tekst(contact: dict[str, str] | None) -> str:
    return ", ".join(contact.values()) if contact else "geen"


class AnswersOnly(Tracker):
    """The same conversation, sharing its state, whose cleared slots are not up for validation."""

    @classmethod
    def of(cls, tracker: Tracker) -> AnswersOnly:
        return cls(
            tracker.sender_id,
            tracker.slots,  # shared: what one validator sets, the next one sees
            tracker.latest_message,
            tracker.events,
            tracker.is_paused(),
            tracker.followup_action,
            tracker.active_loop,
            tracker.latest_action_name,
        )

    def slots_to_validate(self) -> dict[str, Any]:
        return {k: v for k, v in super().slots_to_validate().items() if v is not None}


class BaseForm(FormValidationAction):
    """Reads answers for every Balie form: stop, a question in between, or the answer."""

    # Slots that extraction sets besides the requested one. rasa-sdk returns only the
    # validated required slots, so without this they would never reach the tracker.
    SIDE_SLOTS: tuple[str, ...] = ("formulier_gestopt", "onderbrekingen", "aanpassen_gevraagd")
    digressions = common.DIGRESSIONS

    @abstractmethod
    def name(self) -> str:
        """validate_<form name>"""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # rasa-sdk's own run, from its public steps, keeping the side slots it would drop.
        extraction = await self.get_extraction_events(dispatcher, tracker, domain)
        tracker.add_slots(extraction)
        validation = await self.get_validation_events(dispatcher, tracker, domain)
        tracker.add_slots(validation)
        next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
        if next_slot:
            validation.append(next_slot)
        validated = {e["name"] for e in validation if e.get("event") == "slot"}
        side = [
            e
            for e in extraction
            if e["name"] not in validated
            and (e["name"] in self.SIDE_SLOTS or e["value"] is None)  # None: cleared on purpose
        ]
        return side + validation

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # A slot cleared to None (a form starting fresh, "aanpassen") is not an answer:
        # validating it would send a hint for a question nobody was asked.
        return await super().get_validation_events(dispatcher, AnswersOnly.of(tracker), domain)

    def fits(self, slot: str, tracker: Tracker, text: str) -> bool:
        """Could the message answer `slot`? Then it is the answer, whatever the NLU thinks
        it is ("Stationsweg" may look like a FAQ, "vandaag" out of scope), unless it is a
        clear question."""
        return False

    def _answer(self, tracker: Tracker, slot: str, dispatcher: CollectingDispatcher) -> Any:
        """The message as an answer to `slot`, or a signal that it was something else."""
        if tracker.get_slot("requested_slot") != slot:
            return None
        if common.photo_ids(tracker) or common.caption(tracker):
            # A photo answers no other question: extract_fotos keeps it and
            # extract_omschrijving its caption, whichever question was asked.
            return None
        name, confidence = common.intent(tracker)
        if name == "stoppen" and confidence >= 0.5:
            return _STOP
        text = common.text(tracker)
        if (
            name in self.digressions
            and confidence >= common.DIGRESSION_CONFIDENCE
            and not common.is_button(tracker)
            and (is_clear_question(text) or not self.fits(slot, tracker, text))
        ):
            answer_digression(tracker, dispatcher)
            return _DIGRESSION
        return text

    async def _extract(
        self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        announce = ANNOUNCEMENTS.get(common.intent(tracker)[0] or "")
        if announce and tracker.get_slot("requested_slot") == slot:
            # News about another case arrived while this form runs: tell it, then go on.
            await announce(dispatcher, tracker)
            return {"onderbrekingen": (tracker.get_slot("onderbrekingen") or 0) + 1}
        answer = self._answer(tracker, slot, dispatcher)
        if answer is None:
            return {}
        if answer is _STOP:
            return {"formulier_gestopt": True}
        if answer is _DIGRESSION:
            # A changed slot tells Rasa the form handled the turn; it then asks again.
            return {"onderbrekingen": (tracker.get_slot("onderbrekingen") or 0) + 1}
        return {slot: answer}


class CaseForm(BaseForm):
    """Extraction and validation shared by the melding and verzoek forms."""

    case_type = "melding"
    required_location = True

    @abstractmethod
    def base_slots(self, tracker: Tracker) -> list[str]:
        """The form's own questions, before contact and confirmation."""

    def fits(self, slot: str, tracker: Tracker, text: str) -> bool:
        if slot == "omschrijving":
            return len(text) >= 15 and is_descriptive(text)
        if slot == "categorie":
            return bool(propose(text, limit=1))
        if slot == "locatie":
            return locatie.fits(tracker, text)
        if slot == "tijdstip":
            return bool(tijdstip_from(text) or weet_niet(text) or is_terugkerend(text))
        if slot == "fotos":
            return common.yes_no(tracker) is False or "geen" in text.lower()
        if slot == "contact":
            return contact_from(text) is not None or common.yes_no(tracker) is False
        if slot in ("contact_toestemming", "bevestiging"):
            return common.yes_no(tracker) is not None or contact_from(text) is not None
        return False

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("formulier_gestopt"):
            return []
        slots = [*self.base_slots(tracker), "contact_toestemming"]
        if tracker.get_slot("contact_toestemming"):
            slots.append("contact")
        return [*slots, "bevestiging"]

    async def extract_omschrijving(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A photo's caption describes the situation too: it is added to the description."""
        caption = zonder_aanhef_en_groet(common.caption(tracker) or "")
        if caption:
            known = str(tracker.get_slot("omschrijving") or "").strip()
            if caption in known:  # the first message was the photo: prefill took it already
                return {}
            if known and caption.startswith(known):  # prefill took it cut to the NLU limit
                return {"omschrijving": caption}
            return {"omschrijving": f"{known}\n{caption}" if known else caption}
        return await self._extract("omschrijving", dispatcher, tracker)

    async def extract_locatie(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self._extract("locatie", dispatcher, tracker)

    async def extract_tijdstip(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self._extract("tijdstip", dispatcher, tracker)

    async def extract_contact_toestemming(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self._extract("contact_toestemming", dispatcher, tracker)

    async def extract_contact(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self._extract("contact", dispatcher, tracker)

    async def extract_bevestiging(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") == "bevestiging":
            target = common.entity(tracker, "aanpassen")
            if target in ("omschrijving", "categorie", "locatie", "tijdstip", "contact"):
                extra = ["contact_toestemming"] if target == "contact" else []
                extra += (
                    ["locatie_hint", "locatie_voorstel", "locatie_straat"]
                    if target == "locatie"
                    else []
                )
                cleared = {name: None for name in [target, *extra]}
                return cleared | {"bevestiging": None, "aanpassen_gevraagd": None}
        return await self._extract("bevestiging", dispatcher, tracker)

    # --- validation ---------------------------------------------------------------------

    def _retry(
        self,
        slot: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        hint: str,
        *,
        give_up: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Re-ask with a hint; after MAX_ATTEMPTS, fall back to `give_up` or stop the form."""
        count, _ = common.attempt(tracker, slot)
        counts = dict(tracker.get_slot("pogingen") or {}) | {slot: count}
        if count >= common.MAX_ATTEMPTS:
            if give_up is not None:
                return give_up | {"pogingen": counts}
            dispatcher.utter_message(response="utter_formulier_lukt_niet")
            return {slot: None, "formulier_gestopt": True, "pogingen": counts}
        dispatcher.utter_message(response=hint)
        return {slot: None, "pogingen": counts}

    async def validate_omschrijving(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = zonder_aanhef_en_groet(str(value or ""))  # staff need no "Goedemorgen,"
        if len(text) < 15 or not is_descriptive(text):
            return self._retry("omschrijving", dispatcher, tracker, "utter_hint_omschrijving")
        return {"omschrijving": text[:5000]}

    async def validate_locatie(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, dict):  # prefilled from the first message or a shared point
            return {"locatie": value}
        text = str(value or "").strip()
        if not self.required_location and (
            common.yes_no(tracker) is False or text.lower() in {"geen", "nergens", "geen locatie"}
        ):
            return {"locatie": {}, "locatie_hint": None, "locatie_voorstel": None}
        hint = tracker.get_slot("locatie_hint")
        done = {"locatie_hint": None, "locatie_voorstel": None, "locatie_straat": None}
        straat = tracker.get_slot("locatie_straat")
        if straat:
            chosen = locatie.in_straat(tracker, straat, text)
            if chosen is not None:
                return {"locatie": chosen} | done
        asked = tracker.get_slot("locatie_voorstel")
        answer = common.yes_no(tracker) if asked else None
        if asked and answer is not None:
            # "Bedoelt u de Ringweg?" Yes: the list's street. No: the street as typed.
            chosen = asked["voorstel"] if answer else asked["getypt"]
            return {"locatie": locatie.with_hint(chosen, hint)} | done
        point = locatie.shared_point(tracker)
        if point:
            return {"locatie": locatie.with_hint(point, hint)} | done
        found = locatie.check(tracker, text, bare=True)
        if found.soort == "bijna":
            return {"locatie": None, "locatie_voorstel": locatie.voorstel(found)}
        if found.soort == "onbekend" and found.adres.straat and locatie.lijst_bekend():
            dispatcher.utter_message(response="utter_locatie_niet_in_lijst")
        if found.soort != "leeg":
            return {"locatie": locatie.with_hint(locatie.as_slot(found.adres), hint)} | done
        # "bij het basketbalveldje": keep it as a description, ask for a street.
        if locatie.is_landmark(text) and not hint:
            return {"locatie": None, "locatie_hint": text, "locatie_voorstel": None}
        # After the street from the first message, the street alone is better than nothing.
        give_up = {"locatie": straat} | done if straat else None
        return self._retry("locatie", dispatcher, tracker, "utter_hint_locatie", give_up=give_up)

    async def validate_tijdstip(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, dict):
            return {"tijdstip": value}
        text = str(value or "").strip()
        found = tijdstip_from(text)  # before weet_niet: "weet niet precies, rond 11 uur"
        if found:
            return {"tijdstip": found}
        if weet_niet(text):
            return {"tijdstip": UNKNOWN}
        if is_terugkerend(text):
            return {"tijdstip": {"tekst": text[:200]}}
        return self._retry(
            "tijdstip", dispatcher, tracker, "utter_hint_tijdstip", give_up={"tijdstip": UNKNOWN}
        )

    async def validate_contact_toestemming(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = common.yes_no(tracker)
        if answer is None and isinstance(value, str):
            # "ja, 06 12345678" answers both questions at once.
            contact = contact_from(value)
            if contact:
                return {"contact_toestemming": True, "contact": contact}
        if answer is None:
            return self._retry(
                "contact_toestemming",
                dispatcher,
                tracker,
                "utter_hint_ja_nee",
                give_up={"contact_toestemming": False},
            )
        if answer:
            contact = contact_from(str(value))
            if contact:
                return {"contact_toestemming": True, "contact": contact}
        return {"contact_toestemming": answer}

    async def validate_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, dict):
            return {"contact": value}
        if common.yes_no(tracker) is False:  # changed their mind
            return {"contact": None, "contact_toestemming": False}
        contact = contact_from(str(value or ""))
        if contact:
            return {"contact": contact}
        return self._retry(
            "contact",
            dispatcher,
            tracker,
            "utter_hint_contact",
            give_up={"contact": None, "contact_toestemming": False},
        )

    async def validate_bevestiging(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = common.yes_no(tracker)
        if answer is True:
            return {"bevestiging": True}
        if answer is False:
            # The form asks again; the ask action then offers what to change.
            return {"bevestiging": None, "aanpassen_gevraagd": True}
        return self._retry("bevestiging", dispatcher, tracker, "utter_hint_bevestiging")


def ask_confirmation(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    response: str,
    change_response: str,
    **values: Any,
) -> list[EventType]:
    """The summary to confirm, or, after "nee", the choice of what to change."""
    if tracker.get_slot("aanpassen_gevraagd"):
        dispatcher.utter_message(response=change_response)
        return [SlotSet("aanpassen_gevraagd", None)]
    dispatcher.utter_message(response=response, **values)
    return []


class FormStart(Action, ABC):
    """Before a form: clear the last one, take what the first message already says."""

    with_time = False
    # A melding is about one spot: a street without a number gets "Waar in ... is het?".
    # A verzoek (drempels, a 30 km zone) is often about the whole street.
    exact_place = False
    response = ""

    @abstractmethod
    def name(self) -> str:
        """action_<form>_starten"""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        slots = prefill(tracker, with_time=self.with_time, exact_place=self.exact_place)
        dispatcher.utter_message(response=self.response)
        return [SlotSet(name, value) for name, value in slots.items()]


class ActionAskLocatie(Action):
    """Ask where; after a landmark alone ("bij het basketbalveldje"), ask for the street."""

    def name(self) -> str:
        return "action_ask_locatie"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        asked = tracker.get_slot("locatie_voorstel")
        if asked:
            straat = locatie.met_lidwoord(asked["voorstel"].get("straat") or "")
            dispatcher.utter_message(response="utter_vraag_locatie_voorstel", straat=straat)
            return []
        straat = tracker.get_slot("locatie_straat")
        if straat:
            naam = locatie.met_lidwoord(straat.get("straat") or "")
            dispatcher.utter_message(
                response="utter_vraag_locatie_in_straat", straat=naam, json_message=ASK_LOCATION
            )
            return []
        if tracker.get_slot("locatie_hint"):
            response = "utter_hint_locatie_straat"
        elif tracker.active_loop.get("name") == "verzoek_form":
            response = "utter_vraag_locatie_verzoek_form"
        else:
            response = "utter_vraag_locatie_melding_form"
        # The hint lets a channel offer its own "share my location" button.
        dispatcher.utter_message(response=response, json_message=ASK_LOCATION)
        return []


class _Marker:
    pass


_STOP, _DIGRESSION = _Marker(), _Marker()


# "mijn naam is Jan de Vries, jan@example.nl": a name said with the contact details.
NAAM_RE = re.compile(r"\b(?:mijn naam is|ik heet|naam is|naam:|ik ben)\s+([^\d@,;:.!?\n]+)", re.I)
NAAM_STOP = set(
    "en mijn mail e-mail email e-mailadres emailadres telefoon tel nummer of op via bel".split()
)


def naam_from(text: str) -> str | None:
    """The name in "mijn naam is Jan de Vries" or "ik ben Jan de Vries" (capitalised)."""
    for m in NAAM_RE.finditer(text):
        words: list[str] = []
        for word in m.group(1).split():
            if word.lower() in NAAM_STOP or len(words) == 6:
                break
            words.append(word)
        if not words or (m.group(0).lower().startswith("ik ben") and not words[0][0].isupper()):
            continue
        return " ".join(words)[:120]
    return None


def contact_from(text: str) -> dict[str, str] | None:
    emails = find_emails(text)
    phones = find_telefoonnummers(text)
    contact = {}
    naam = naam_from(text) if emails or phones else None
    if naam:
        contact["naam"] = naam
    if emails:
        contact["email"] = emails[0].value
    if phones:
        contact["telefoon"] = phones[0].value
    return contact or None


DIGRESSION_RESPONSES = {
    "hulp": "utter_hulp",
    "bot_vraag": "utter_bot_vraag",
    "medewerker_spreken": "utter_medewerker_spreken",
    "buiten_bereik": "utter_buiten_bereik_in_formulier",
    "smalltalk": "utter_smalltalk_in_formulier",
    "boosheid": "utter_boosheid_in_formulier",
}


def answer_digression(tracker: Tracker, dispatcher: CollectingDispatcher) -> None:
    """Answer a question asked in the middle of a form, as the rules would outside it."""
    name, _ = common.intent(tracker)
    if name == "faq":
        selector = tracker.latest_message.get("response_selector", {}).get("faq", {})
        response = (selector.get("response") or {}).get("utter_action")
        dispatcher.utter_message(response=response or "utter_vraag_herformuleren")
    else:
        dispatcher.utter_message(response=DIGRESSION_RESPONSES.get(name or "", "utter_hulp"))
    dispatcher.utter_message(response="utter_formulier_verder")


def prefill(tracker: Tracker, *, with_time: bool, exact_place: bool = False) -> dict[str, Any]:
    """What the first message already says: description, place, time."""
    slots: dict[str, Any] = {name: None for name in common.FORM_SLOTS}
    # A button says nothing, unless it answered "Bedoelt u ...?": then the words it
    # answered describe the case.
    text = clarified_text(tracker) if common.is_button(tracker) else common.text(tracker)
    if not text:
        return slots
    omschrijving = zonder_aanhef_en_groet(text)
    if is_descriptive(omschrijving):
        slots["omschrijving"] = omschrijving
    found = locatie_from(tracker, text)
    if found and exact_place and locatie.zonder_nummer(found):
        slots["locatie_straat"] = found  # "Waar in de Schoolstraat is het?"
    elif found:
        slots["locatie"] = found
    else:  # "Bedoelt u de Ringweg?" is asked when the form gets to the location
        slots["locatie_voorstel"] = locatie.voorstel(locatie.check(tracker, text, bare=False))
    if with_time:
        slots["tijdstip"] = tijdstip_from(text) or periode_from(text)
    return slots
