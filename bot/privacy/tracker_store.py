"""Rasa's SQL tracker store, with residents' personal data masked before it is written.

endpoints.yml: `tracker_store: type: bot.privacy.tracker_store.MaskingTrackerStore`
(Rasa imports the class by its path and passes `url` as `host`). It writes the same
`events` table as Rasa's SQLTrackerStore, so the staff console, retention and every
SQL database Rasa supports work as before. Before an event is written (or published to
the event broker):

- texts (what the resident typed, what Balie answered, entity values, the values in a
  bot message's metadata) have e-mail addresses, phone numbers, BSNs, IBANs and
  postcodes masked (bot/privacy/masking.py), and the names residents typed into the
  contact and call-back forms too: the store knows them from the conversation's slots;
- slot values with personal data (those of PERSONAL_SLOTS always, any other whose value
  masking would change) are encrypted: "enc:v1:<Fernet token>". They are decrypted when
  Rasa reads the conversation back, so the next turn (on this or another Rasa server)
  has the real values for the summary, the case and the status lookup.

The key is derived from BALIE_SECRET_KEY (or the key file in BALIE_DATA_DIR, as the web
app's session key), so every Rasa server with the same secret reads every conversation.
There is no second table: deleting a conversation's events deletes all of it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker, TrackerEventDiffEngine

from bot.privacy import masking

log = logging.getLogger(__name__)

# Slots of the contact (melding, verzoek) and call-back forms: stored encrypted whenever
# they have a value, and the names in them are masked wherever they appear.
PERSONAL_SLOTS = ("naam", "telefoon", "contact")
# The municipality's own settings (content/gemeente.yml): public, never masked.
PUBLIC_SLOT_PREFIX = "gemeente_"
# NLU entities that are personal data whatever their value looks like.
ENTITY_LABELS = {
    "email": masking.LABELS["email"],
    "telefoonnummer": masking.LABELS["telefoonnummer"],
    "postcode": masking.LABELS["postcode"],
}
# Keys whose values are names of things or identifiers, never a resident's words.
_STRUCTURAL_KEYS = {"utter_action", "intent", "intent_ranking", "response_selector", "entity"}
_KEY_CONTEXT = b"balie: personal data in stored conversations"


def tracker_key(secret: str | None = None) -> bytes:
    """The Fernet key for slot values: derived from the web app's secret (never the same key)."""
    if secret is None:
        from bot.settings import Settings
        from bot.staff.keys import session_key

        base = session_key(Settings.from_env().data_dir)
    else:
        base = secret.encode()
    return base64.urlsafe_b64encode(hmac.new(base, _KEY_CONTEXT, hashlib.sha256).digest())


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(masking.ENCRYPTED_PREFIX)


class Sealer:
    """Encrypts a slot value (any JSON) into one string, and back."""

    def __init__(self, key: bytes) -> None:
        self.fernet = Fernet(key)

    def seal(self, value: Any) -> str:
        token = self.fernet.encrypt(json.dumps(value, ensure_ascii=False).encode())
        return masking.ENCRYPTED_PREFIX + token.decode("ascii")

    def open(self, value: Any) -> Any:
        """The real value; None when it was encrypted with another key (the slot is empty)."""
        if not is_sealed(value):
            return value
        try:
            return json.loads(self.fernet.decrypt(value[len(masking.ENCRYPTED_PREFIX) :]))
        except (InvalidToken, ValueError):
            log.warning("a stored slot value cannot be decrypted (another BALIE_SECRET_KEY?)")
            return None


def _slot_events(events: Iterable[Event | dict[str, Any]]) -> Iterable[tuple[str, Any]]:
    for event in events:
        if isinstance(event, SlotSet):
            yield event.key, event.value
        elif isinstance(event, dict) and event.get("event") == SlotSet.type_name:
            yield str(event.get("name")), event.get("value")


def _content_values() -> list[str]:
    try:
        from bot.content import gemeente_settings

        return list(gemeente_settings().values())
    except Exception:  # no content file: the slots still say what is public
        return []


class Masker:
    """Masks one conversation's events: knows the names in it and what is public."""

    def __init__(self, names: Iterable[str] = (), public: Iterable[str] = ()) -> None:
        self.names = sorted({n for n in names if masking.name_variants(n)})
        self.public = sorted({p for p in public if p})

    @classmethod
    def for_events(
        cls, events: Iterable[Event | dict[str, Any]], sealer: Sealer | None = None
    ) -> Masker:
        """Names from every value the personal slots had in these events (decrypted)."""
        names, public = [], _content_values()
        for slot, value in _slot_events(events):
            if sealer is not None:
                value = sealer.open(value)
            if slot == "naam" and isinstance(value, str):
                names.append(value)
            elif slot == "contact" and isinstance(value, dict) and value.get("naam"):
                names.append(str(value["naam"]))
            elif slot.startswith(PUBLIC_SLOT_PREFIX) and isinstance(value, str):
                public.append(value)
        return cls(names, public)

    def text(self, text: Any) -> Any:
        if not isinstance(text, str) or not text:
            return text
        return masking.mask(text, names=self.names, public=self.public)

    def tree(self, value: Any) -> Any:
        """Every string in a JSON value masked, except identifiers and names of things."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.tree(v) for v in value]
        if isinstance(value, dict):
            return {k: v if _structural(k) else self.tree(v) for k, v in value.items()}
        return value

    def entities(self, entities: Any) -> Any:
        if not isinstance(entities, list):
            return entities
        masked = []
        for entity in entities:
            if not isinstance(entity, dict):
                masked.append(entity)
                continue
            entity = dict(entity)
            label = ENTITY_LABELS.get(str(entity.get("entity")))
            if label and entity.get("value"):
                entity["value"] = label
            elif "value" in entity:
                entity["value"] = self.tree(entity["value"])
            if "text" in entity:
                entity["text"] = self.text(entity["text"])
            masked.append(entity)
        return masked

    def slot_value(self, name: str, value: Any, sealer: Sealer) -> Any:
        if value is None or is_sealed(value) or name.startswith(PUBLIC_SLOT_PREFIX):
            return value
        if name in PERSONAL_SLOTS or self.tree(value) != value:
            return sealer.seal(value)
        return value

    def event(self, data: dict[str, Any], sealer: Sealer) -> dict[str, Any]:
        """A masked copy of a serialised event (data itself is not changed)."""
        data = json.loads(json.dumps(data))  # as stored; and a copy: Rasa's own dicts stay
        kind = data.get("event")
        if kind == SlotSet.type_name:
            data["value"] = self.slot_value(str(data.get("name")), data.get("value"), sealer)
        elif kind == "user":
            data["text"] = self.text(data.get("text"))
            parse = data.get("parse_data")
            if isinstance(parse, dict):
                parse["text"] = self.text(parse.get("text"))
                parse["entities"] = self.entities(parse.get("entities"))
                if "metadata" in parse:
                    parse["metadata"] = self.tree(parse["metadata"])
        elif kind == "bot":
            data["text"] = self.text(data.get("text"))
            data["data"] = self.tree(data.get("data"))
        elif kind == "entities":
            data["entities"] = self.entities(data.get("entities"))
        if "metadata" in data:
            data["metadata"] = self.tree(data["metadata"])
        return data


def _structural(key: str) -> bool:
    return key in _STRUCTURAL_KEYS or key.lower().endswith("id")


def _redacted(data: dict[str, Any]) -> dict[str, Any]:
    """When masking an event failed: its structure, none of its words."""
    keep = {"event", "timestamp", "name", "policy", "confidence", "input_channel"}
    out = {k: v for k, v in data.items() if k in keep}
    if data.get("event") == SlotSet.type_name:
        out["value"] = None
    if data.get("event") in ("user", "bot"):
        out["text"] = masking.ENCRYPTED_LABEL
        intent = (data.get("parse_data") or {}).get("intent")
        if intent:
            out["parse_data"] = {"intent": intent, "entities": []}
    return out


class MaskingTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that never writes a resident's personal data in the clear."""

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        secret: str | None = None,  # tests; BALIE_SECRET_KEY (or its key file) otherwise
        **kwargs: Any,
    ) -> None:
        super().__init__(domain=domain, host=host, event_broker=event_broker, **kwargs)
        self.sealer = Sealer(tracker_key(secret))

    def masker(self, tracker: DialogueStateTracker) -> Masker:
        return Masker.for_events(tracker.events, self.sealer)

    def serialise_event(self, event: Event, masker: Masker) -> dict[str, Any]:
        data = event.as_dict()
        try:
            return masker.event(data, self.sealer)
        except Exception:  # never write what could not be masked
            log.exception("masking a %s event failed; stored without its text", event.type_name)
            return _redacted(json.loads(json.dumps(data, default=str)))

    def restore(self, data: dict[str, Any]) -> dict[str, Any]:
        """A stored event as Rasa wrote it: slot values decrypted (texts stay masked)."""
        if data.get("event") == SlotSet.type_name and is_sealed(data.get("value")):
            data["value"] = self.sealer.open(data["value"])
        return data

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            ).all()
            events = [self.restore(json.loads(row.data)) for row in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """The event broker gets the events as they are stored: masked."""
        if self.event_broker is None:
            return
        old = await self.retrieve(tracker.sender_id)
        masker = self.masker(tracker)
        for event in TrackerEventDiffEngine.event_difference(old, tracker):
            body = {"sender_id": tracker.sender_id}
            body.update(self.serialise_event(event, masker))
            self.event_broker.publish(body)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Write the events Rasa has not stored yet, masked; mask a newly given name in the
        conversation's earlier messages too."""
        await self.stream_events(tracker)
        masker = self.masker(tracker)
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
            for event in new_events:
                data = self.serialise_event(event, masker)
                parse = data.get("parse_data") if isinstance(data.get("parse_data"), dict) else {}
                intent = (parse.get("intent") or {}).get("name")
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=intent,
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            if masker.names and Masker.for_events(new_events).names:
                self._mask_earlier(session, tracker.sender_id, masker)
            session.commit()
        log.debug("tracker %s stored, masked", tracker.sender_id)

    def _mask_earlier(self, session: Any, sender_id: str, masker: Masker) -> None:
        """A name became known: the messages already stored may hold it too."""
        rows = (
            session.query(self.SQLEvent)
            .filter(
                self.SQLEvent.sender_id == sender_id,
                self.SQLEvent.type_name.in_(("user", "bot")),
            )
            .all()
        )
        for row in rows:
            try:
                data = json.loads(row.data)
            except (TypeError, ValueError):
                continue
            masked = masker.event(data, self.sealer)
            if masked != data:
                row.data = json.dumps(masked)
