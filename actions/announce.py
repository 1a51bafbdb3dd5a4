"""News the conversation did not ask for: a queued report went through, a status changed.

The action server (outbox) and the web app (status changes) start these with
Rasa's `trigger_intent`; they can arrive in the middle of a form, which then goes on.
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions.backends.base import BackendError
from actions.delivery import delivery
from core.channel_hints import copyable
from core.domain import LABELS


async def announce_delivery(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    key = common.entity(tracker, "sleutel")
    entry = await delivery().outbox.get(key) if key else None
    if not (entry and entry.state == "delivered" and entry.kind == "case" and entry.result):
        return
    dispatcher.utter_message(
        response="utter_zaak_alsnog_aangemaakt",
        soort=entry.payload.get("type", "melding"),
        identificatie=entry.result.get("identificatie"),
        controlecode=entry.payload.get("controlecode"),
        json_message=copyable(entry.result.get("identificatie"), entry.payload.get("controlecode")),
    )
    await delivery().outbox.announced(entry)


async def announce_status_change(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Only the reporter's own conversation hears it: the case is looked up as theirs."""
    number = common.entity(tracker, "zaaknummer")
    if not number:  # the web app always names the case; without one there is nothing to tell
        return
    try:
        case = await delivery().backend.get_case(number, melder=common.melder(tracker))
    except BackendError:
        return
    if case is None:
        return
    dispatcher.utter_message(
        response="utter_status_bericht",
        soort=case.type,
        identificatie=case.identificatie,
        status=LABELS.get(case.status, case.status),
        toelichting=case.toelichting or "",
        json_message=copyable(case.identificatie),
    )


# Intents sent by Balie's own services, with what to say for each.
ANNOUNCEMENTS = {
    "EXTERNAL_afgeleverd": announce_delivery,
    "EXTERNAL_status_gewijzigd": announce_status_change,
}
