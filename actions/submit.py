"""Turning a finished form into a case, and telling the resident how that went."""

from __future__ import annotations

import logging
from datetime import datetime

from pydantic import ValidationError
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions.announce import announce_delivery
from actions.backends.base import Contact, Locatie, NewCase
from actions.delivery import delivery
from core.channel_hints import copyable
from core.codes import new_code
from core.domain import CaseType

log = logging.getLogger(__name__)


def new_case(tracker: Tracker, case_type: CaseType) -> NewCase:
    locatie = tracker.get_slot("locatie") or {}
    tijdstip = tracker.get_slot("tijdstip") or {}
    contact = tracker.get_slot("contact") if tracker.get_slot("contact_toestemming") else None
    omschrijving = tracker.get_slot("omschrijving") or ""
    tekst = tijdstip.get("tekst")
    if tekst and tekst != "onbekend" and (not tijdstip.get("iso") or tijdstip.get("doorlopend")):
        # A recurring, vague or ongoing time stays with the description, in words.
        omschrijving += f"\n\nWanneer: {tijdstip['tekst']}"
    return NewCase(
        type=case_type,
        omschrijving=omschrijving,
        kanaal=common.kanaal(tracker),
        controlecode=new_code(),
        idempotency_key=common.submission_key(tracker, case_type),
        categorie=tracker.get_slot("categorie") if case_type == "melding" else None,
        onderwerp=tracker.get_slot("onderwerp"),
        locatie=Locatie(**locatie) if locatie else None,
        tijdstip=datetime.fromisoformat(tijdstip["iso"]) if tijdstip.get("iso") else None,
        melder=common.melder(tracker),
        contact=Contact(**contact) if contact else None,
    )


async def submit_case(
    dispatcher: CollectingDispatcher, tracker: Tracker, case_type: CaseType
) -> list[EventType]:
    """Submit the form's case (or not, if it was stopped) and clear the form."""
    events: list[EventType] = common.reset(common.FORM_SLOTS)
    if tracker.get_slot("formulier_gestopt") or not tracker.get_slot("bevestiging"):
        dispatcher.utter_message(response="utter_formulier_gestopt")
        return events
    try:
        case = new_case(tracker, case_type)
    except ValidationError as exc:  # what the Case API would refuse; no case system takes it
        log.warning("%s not submitted: %s", case_type, exc)
        dispatcher.utter_message(response="utter_zaak_geweigerd", soort=case_type)
        return events
    return events + await deliver_case(dispatcher, tracker, case)


async def deliver_case(
    dispatcher: CollectingDispatcher, tracker: Tracker, case: NewCase
) -> list[EventType]:
    """Hand the case to the outbox and tell the resident how that went."""
    events: list[EventType] = []
    soort = case.type
    outcome = await delivery().submit_case(case, tracker.sender_id, tracker.get_slot("fotos"))
    if outcome.state == "delivered":
        identificatie = outcome.result["identificatie"]  # type: ignore[index]  # delivered: a dict
        if outcome.controlecode:
            dispatcher.utter_message(
                response="utter_zaak_aangemaakt",
                soort=soort,
                identificatie=identificatie,
                controlecode=outcome.controlecode,
                json_message=copyable(identificatie, outcome.controlecode),
            )
        else:  # the same submission again, long after its code was told
            dispatcher.utter_message(
                response="utter_zaak_al_aangemaakt",
                soort=soort,
                identificatie=identificatie,
                json_message=copyable(identificatie),
            )
        events.append(SlotSet("zaaknummer", identificatie))
    elif outcome.state == "queued":
        dispatcher.utter_message(
            response="utter_zaak_in_wachtrij",
            soort=soort,
            controlecode=outcome.controlecode,
            json_message=copyable(code=outcome.controlecode),
        )
    else:
        dispatcher.utter_message(response="utter_zaak_geweigerd", soort=soort)
    return events


class ActionAfgeleverd(Action):
    """A queued submission reached the case system after all: tell the resident."""

    def name(self) -> str:
        return "action_afgeleverd"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        await announce_delivery(dispatcher, tracker)
        return []
