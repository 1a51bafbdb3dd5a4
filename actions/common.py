"""What every form and action needs: who is talking, on which channel, and what they meant."""

from __future__ import annotations

import hashlib
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from core.domain import RASA_INPUT_CHANNELS, Channel

# Intents that interrupt a form (answered, then the form resumes) rather than answer it.
DIGRESSIONS = {
    "faq",
    "hulp",
    "bot_vraag",
    "medewerker_spreken",
    "stoppen",
    "buiten_bereik",
    "smalltalk",
    "boosheid",
}
DIGRESSION_CONFIDENCE = 0.6
MAX_ATTEMPTS = 3
# Slots of the melding and verzoek forms, cleared when one starts or ends.
FORM_SLOTS = [
    "omschrijving",
    "onderwerp",
    "categorie",
    "locatie",
    "locatie_hint",
    "locatie_voorstel",
    "locatie_straat",
    "tijdstip",
    "fotos",
    "duplicaat_kandidaat",
    "duplicaat",
    "contact_toestemming",
    "contact",
    "bevestiging",
    "pogingen",
    "formulier_gestopt",
    "onderbrekingen",
    "aanpassen_gevraagd",
]
YES = {"ja", "jawel", "jazeker", "klopt", "prima", "goed", "oké", "oke", "ok", "graag", "yes"}
NO = {"nee", "neen", "nope", "no", "liever niet", "niet nodig", "hoeft niet", "geen"}


MAX_CAPTION = 1024  # Telegram's limit for a caption


def text(tracker: Tracker) -> str:
    return (tracker.latest_message.get("text") or "").strip()


def intent(tracker: Tracker) -> tuple[str | None, float]:
    data = tracker.latest_message.get("intent") or {}
    return data.get("name"), float(data.get("confidence") or 0.0)


def is_button(tracker: Tracker) -> bool:
    return text(tracker).startswith("/")


def entity(tracker: Tracker, name: str) -> str | None:
    return next(tracker.get_latest_entity_values(name), None)


def yes_no(tracker: Tracker) -> bool | None:
    name, _ = intent(tracker)
    if name == "bevestigen":
        return True
    if name == "ontkennen":
        return False
    words = text(tracker).lower().strip(" .!").replace(",", "")
    if words in YES or words.split(" ", 1)[0] in YES:
        return True
    if words in NO or words.split(" ", 1)[0] in {"nee", "neen"}:
        return False
    return None


def kanaal(tracker: Tracker) -> Channel:
    return RASA_INPUT_CHANNELS.get(tracker.get_latest_input_channel() or "rest", "rest")


def melder(tracker: Tracker) -> str:
    """The resident's channel identity: sees its own cases without a code."""
    return f"{kanaal(tracker)}:{tracker.sender_id}"


def submission_key(tracker: Tracker, what: str) -> str:
    """Same conversation, same confirming message -> same key: Rasa's retries make no duplicates."""
    stamp = tracker.latest_message.get("message_id") or ""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            stamp = f"{stamp}:{event.get('timestamp')}"
            break
    digest = hashlib.sha256(f"{tracker.sender_id}|{what}|{stamp}".encode()).hexdigest()
    return f"{what}-{digest[:32]}"


def attempt(tracker: Tracker, slot: str) -> tuple[int, list[EventType]]:
    """Count a failed answer for `slot`; returns the count and the event that records it."""
    counts: dict[str, int] = dict(tracker.get_slot("pogingen") or {})
    counts[slot] = counts.get(slot, 0) + 1
    return counts[slot], [SlotSet("pogingen", counts)]


def reset(slots: list[str]) -> list[EventType]:
    return [SlotSet(name, None) for name in slots]


def button(title: str, payload: str) -> dict[str, Any]:
    return {"title": title, "payload": payload}


def caption(tracker: Tracker) -> str:
    """The text that came with a photo (Telegram's caption), whole, if any.

    Telegram puts it in the metadata as `bijschrift`, also when the photo itself was
    refused (too large, corrupt), so its words are never lost; the message text may be
    cut to the NLU limit.
    """
    metadata = tracker.latest_message.get("metadata") or {}
    given = metadata.get("bijschrift") if isinstance(metadata, dict) else None
    if isinstance(given, str):
        said = given.strip()[:MAX_CAPTION]
    elif photo_ids(tracker):
        said = text(tracker)
    else:
        return ""
    return said if said.lower() not in ("", "foto", "[foto]") else ""


def photo_ids(tracker: Tracker) -> list[str]:
    """Upload ids of photos sent with the latest message (metadata from the channel)."""
    metadata = tracker.latest_message.get("metadata") or {}
    foto = metadata.get("foto") if isinstance(metadata, dict) else None
    ids = [foto] if isinstance(foto, dict) else (foto if isinstance(foto, list) else [])
    return [str(f["upload_id"])[:36] for f in ids if isinstance(f, dict) and f.get("upload_id")]
