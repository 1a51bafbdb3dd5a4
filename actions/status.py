"""Status questions: a case number plus its controlecode, or the reporter's own identity.

An unknown number and a wrong code get the same answer, and a guesser gets only a
few wrong tries before it has to wait (actions/guesser.py), so nobody can find out
which cases exist, or read one, by guessing.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common, guesser
from actions.announce import announce_status_change
from actions.backends.base import BackendError, CaseStatus
from actions.delivery import delivery
from actions.forms import BaseForm
from core.codes import normalize_code
from core.domain import LABELS
from core.dutch.patterns import find_controlecode, normalize_zaaknummer
from core.throttle import when

# Wrong number/code combinations per form before Balie stops asking (the throttle in
# actions/guesser.py is what holds across forms, /restart and new sender ids).
MAX_FAILURES = 5
STATUS_SLOTS = ["zaaknummer", "controlecode", "zaak_status"]


def status_values(case: CaseStatus) -> dict[str, Any]:
    return {
        "identificatie": case.identificatie,
        "soort": case.type,
        "status": LABELS.get(case.status, case.status),
        "toelichting": case.toelichting or "",
    }


def say_status(dispatcher: CollectingDispatcher, case: dict[str, Any]) -> None:
    response = "utter_status_met_toelichting" if case["toelichting"] else "utter_status"
    dispatcher.utter_message(response=response, **case)


class ActionStatusStarten(Action):
    """Without a number, show the resident's own cases; with one, start the lookup form."""

    def name(self) -> str:
        return "action_status_starten"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = common.reset(STATUS_SLOTS)
        number = common.entity(tracker, "zaaknummer")
        if number:
            return [*events, SlotSet("zaaknummer", normalize_zaaknummer(number))]
        try:
            own = await delivery().backend.list_cases(common.melder(tracker))
        except BackendError:
            own = []
        pending = await delivery().outbox.pending_for(tracker.sender_id)
        if pending:
            dispatcher.utter_message(response="utter_status_in_wachtrij", aantal=len(pending))
        if own:
            dispatcher.utter_message(response="utter_status_eigen_zaken")
            for case in own[:5]:
                say_status(dispatcher, status_values(case))
            # Nothing more to ask: the form is skipped.
            return [
                *events,
                SlotSet("zaaknummer", own[0].identificatie),
                SlotSet("controlecode", "eigen"),
            ]
        return events


class ValidateStatusForm(BaseForm):
    def name(self) -> str:
        return "validate_status_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("formulier_gestopt") or tracker.get_slot("controlecode") == "eigen":
            return []
        if tracker.get_slot("zaak_status"):
            return []
        if (tracker.get_slot("status_mislukt") or 0) >= MAX_FAILURES:
            return []
        return ["zaaknummer", "controlecode"]

    def fits(self, slot: str, tracker: Tracker, text: str) -> bool:
        if slot == "zaaknummer":
            return normalize_zaaknummer(text) is not None
        if slot == "controlecode":
            return normalize_code(text) is not None or find_controlecode(text) is not None
        return False

    async def _own(self, tracker: Tracker, number: str) -> CaseStatus | None:
        return await delivery().backend.get_case(number, melder=common.melder(tracker))

    async def extract_zaaknummer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = common.entity(tracker, "zaaknummer") or normalize_zaaknummer(common.text(tracker))
        if number:
            return {"zaaknummer": normalize_zaaknummer(number)}
        return await self._extract("zaaknummer", dispatcher, tracker)

    async def extract_controlecode(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = common.text(tracker)
        if tracker.get_slot("requested_slot") == "controlecode" and normalize_code(text):
            # Six code characters are the answer, whatever NLU reads into them: "PGB7XK"
            # looked like a question about the pgb (found by the soak).
            return {"controlecode": text}
        code = _code_in_sentence(tracker)
        if code:
            return {"controlecode": code}
        if common.entity(tracker, "zaaknummer"):
            return {}  # a new number alone: extract_zaaknummer takes it
        return await self._extract("controlecode", dispatcher, tracker)

    async def validate_zaaknummer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("formulier_gestopt"):
            return {}
        number = normalize_zaaknummer(str(value or ""))
        if not number:
            dispatcher.utter_message(response="utter_hint_zaaknummer")
            return {"zaaknummer": None}
        try:
            own = await self._own(tracker, number)
        except BackendError:
            dispatcher.utter_message(response="utter_zaaksysteem_onbereikbaar")
            return {"zaaknummer": number, "controlecode": "eigen", "zaak_status": None}
        if own:  # made from this same chat: no code needed
            return {
                "zaaknummer": number,
                "controlecode": "eigen",
                "zaak_status": status_values(own),
            }
        if _code_in_sentence(tracker):
            return {"zaaknummer": number}  # its code came with it: validate_controlecode checks
        return {"zaaknummer": number, "controlecode": None}

    async def validate_controlecode(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == "eigen" or tracker.get_slot("formulier_gestopt"):
            return {}
        code = normalize_code(str(value or ""))
        if code is None:  # not even the shape of a code: explain, do not count it as a guess
            dispatcher.utter_message(response="utter_hint_controlecode")
            return {"controlecode": None}
        number = tracker.get_slot("zaaknummer")
        case = None
        if number:
            try:
                case = await guesser.lookup(tracker, number, code)
            except guesser.Blocked as blocked:
                dispatcher.utter_message(response="utter_status_wacht", tot=when(blocked.until))
                return {"controlecode": "eigen"}  # ends the form; nothing more to show
            except BackendError:
                dispatcher.utter_message(response="utter_zaaksysteem_onbereikbaar")
                return {"controlecode": "eigen"}
        if case:
            return {"controlecode": code, "zaak_status": status_values(case)}
        failures = (tracker.get_slot("status_mislukt") or 0) + 1
        if failures < MAX_FAILURES:  # at the limit the form ends and says why
            dispatcher.utter_message(response="utter_status_niet_gevonden")
        return {"controlecode": None, "status_mislukt": failures}


def _code_in_sentence(tracker: Tracker) -> str | None:
    """A code typed with the number, or with the number already known ("M-2026-000123 code
    ab3-k7p"). Without a number there is nothing to check it against yet."""
    text = common.text(tracker)
    if not (tracker.get_slot("zaaknummer") or normalize_zaaknummer(text)):
        return None
    return find_controlecode(text)


class ActionStatusTonen(Action):
    def name(self) -> str:
        return "action_status_tonen"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        case = tracker.get_slot("zaak_status")
        if case:
            say_status(dispatcher, case)
        elif tracker.get_slot("formulier_gestopt"):
            dispatcher.utter_message(response="utter_gestopt")
        elif (tracker.get_slot("status_mislukt") or 0) >= MAX_FAILURES:
            dispatcher.utter_message(response="utter_status_te_vaak")
        return [*common.reset(STATUS_SLOTS), SlotSet("formulier_gestopt", None)]


class ActionStatusGewijzigd(Action):
    """Staff changed the status of one of this resident's cases."""

    def name(self) -> str:
        return "action_status_gewijzigd"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        await announce_status_change(dispatcher, tracker)
        return []
