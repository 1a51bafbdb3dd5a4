"""Is it already reported? In the melding form, once category and place are known.

The case system is asked for an open melding of the same main category nearby
(`CaseBackend.find_open_nearby`, core/nearby.py). If there is one, the form asks after
the photos, before contact and summary, whether the resident wants news about it. Yes:
no new case; their report is added to that case and their chat follows it (status
messages as for their own case). No: the form goes on to a new case as always. The
resident hears only the date, number and status of the other melding.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions.backends.base import BackendError, Locatie, ReportIn
from actions.delivery import delivery
from actions.submit import deliver_case, new_case
from core.categories import load_categories
from core.channel_hints import copyable
from core.clock import local
from core.domain import LABELS
from core.dutch.tijdstip import MAANDEN

log = logging.getLogger(__name__)


def search_key(tracker: Tracker) -> str | None:
    """What the last search was for: a changed category or place searches again."""
    categorie, locatie = tracker.get_slot("categorie"), tracker.get_slot("locatie")
    if not (categorie and load_categories().get(categorie)):
        return None  # an answer not validated yet, or "overig": nothing to compare
    if not isinstance(locatie, dict) or not locatie:
        return None  # likewise: a place still being answered is text
    return json.dumps([categorie, locatie], sort_keys=True)


async def search(tracker: Tracker) -> dict[str, Any]:
    """Slots after a search, if the category or place changed since the last one."""
    key = search_key(tracker)
    known = tracker.get_slot("duplicaat_kandidaat") or {}
    if key is None or known.get("zoek") == key:
        return {}
    backend = delivery().backend
    if not getattr(backend, "can_follow", False):  # nothing to offer: no search
        return {"duplicaat_kandidaat": {"zoek": key}, "duplicaat": False}
    try:
        locatie = Locatie(**tracker.get_slot("locatie"))
        found = await backend.find_open_nearby(tracker.get_slot("categorie"), locatie)
    except (BackendError, ValidationError, TypeError) as exc:
        # Only a courtesy: without an answer the melding is made as a new one.
        log.info("no search for meldingen nearby: %s", exc)
        found = []
    if not found:
        return {"duplicaat_kandidaat": {"zoek": key}, "duplicaat": False}
    case = found[0]
    kandidaat = {
        "zoek": key,
        "identificatie": case.identificatie,
        "datum": case.aangemaakt_op.isoformat(),
        "status": case.status,
    }
    return {"duplicaat_kandidaat": kandidaat, "duplicaat": None}


def datum_tekst(iso: str) -> str:
    """'2 december', in the municipality's time zone."""
    moment = local(datetime.fromisoformat(iso))
    return f"{moment.day} {MAANDEN[moment.month - 1]}"


class ActionAskDuplicaat(Action):
    def name(self) -> str:
        return "action_ask_duplicaat"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        kandidaat = tracker.get_slot("duplicaat_kandidaat") or {}
        dispatcher.utter_message(
            response="utter_ask_duplicaat",
            datum=datum_tekst(kandidaat["datum"]),
            identificatie=kandidaat["identificatie"],
            status=LABELS.get(kandidaat["status"], kandidaat["status"]),
        )
        return []


def following(tracker: Tracker) -> str | None:
    """The case the resident chose to follow, if they did."""
    kandidaat = tracker.get_slot("duplicaat_kandidaat") or {}
    return kandidaat.get("identificatie") if tracker.get_slot("duplicaat") else None


async def follow(
    dispatcher: CollectingDispatcher, tracker: Tracker, identificatie: str
) -> list[EventType]:
    """Add the resident's report to the case they follow; if that fails, make it a new
    melding after all (through the outbox, as always), so nothing they said is lost."""
    events: list[EventType] = common.reset(common.FORM_SLOTS)
    case = new_case(tracker, "melding")  # the same description and time a new case gets
    try:
        report = ReportIn(
            omschrijving=case.omschrijving,
            tijdstip=case.tijdstip,
            kanaal=case.kanaal,
            melder=case.melder,
            uploads=tracker.get_slot("fotos") or [],
        )
        key = common.submission_key(tracker, "volgen")
        seen = await delivery().backend.add_report(identificatie, report, key)
    except (BackendError, ValidationError) as exc:
        log.warning("report on %s not added: %s", identificatie, exc)
        seen = None
    if seen is None:
        dispatcher.utter_message(response="utter_duplicaat_lukt_niet")
        return events + await deliver_case(dispatcher, tracker, case)
    dispatcher.utter_message(
        response="utter_duplicaat_gevolgd",
        identificatie=seen.identificatie,
        json_message=copyable(seen.identificatie),
    )
    return [*events, SlotSet("zaaknummer", seen.identificatie)]
