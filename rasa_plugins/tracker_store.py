"""Rasa's SQL tracker store, with residents' personal data masked before it is written.

endpoints.yml: `tracker_store: type: rasa_plugins.tracker_store.MaskingTrackerStore`
(Rasa imports the class by its path and passes `url` as `host`). It writes the same
`events` table as Rasa's SQLTrackerStore, so the staff console, retention and every
SQL database Rasa supports work as before. Before an event is written (or published to
the event broker):

- texts (what the resident typed, what Balie answered, entity values, the values in a
  bot message's metadata) have e-mail addresses, phone numbers, BSNs, IBANs and
  postcodes masked (core/privacy/masking.py), and the names residents typed into the
  contact and call-back forms too: the store knows them from the conversation's slots;
- controlecodes are masked where the conversation says they are one: the code Balie
  announced (its response's `controlecode`), the `controlecode` slot, and what the
  resident typed while the status form asked for it or together with a case number
  ("V-2026-000004, HX4T9B", core/dutch/patterns.py); a shared point ({"lat", "lon"})
  is rounded to about 100 m;
- slot values with personal data (those of PERSONAL_SLOTS and `controlecode` always, any
  other whose value masking would change) are encrypted: "enc:v1:<Fernet token>"
  (core/privacy/sealing.py). They are decrypted when Rasa reads the conversation back,
  so the next turn (on this or another Rasa server) has the real values for the
  summary, the case and the status lookup.

The key is derived from BALIE_SECRET_KEY (or the key file in BALIE_DATA_DIR, as the web
app's session key), so every Rasa server with the same secret reads every conversation.
There is no second table: deleting a conversation's events deletes all of it.

A turn loads only the session's latest events (BALIE_TRACKER_WINDOW) with the state
before them carried over (tracker_window.py), so a long conversation stays as fast as a
short one; the REST API's full tracker and the staff console read every event. The
event broker gets exactly the events `save` stores, masked, without reading them back.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    BotUttered,
    EntitiesAdded,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from core.dutch.patterns import find_controlecode, normalize_zaaknummer
from core.privacy import masking, sealing
from core.privacy.permissions import restrict_umask
from core.privacy.sealing import Sealer, is_sealed, personal_data_key
from rasa_plugins import settings as plugin_settings
from rasa_plugins import tracker_window

log = logging.getLogger(__name__)

# Slots of the contact (melding, verzoek) and call-back forms: stored encrypted whenever
# they have a value, and the names in them are masked wherever they appear.
PERSONAL_SLOTS = ("naam", "telefoon", "contact")
# The status form's answer: a case's controlecode, stored encrypted and masked wherever
# it appears (also "eigen", which is no code: encrypting it costs nothing).
CODE_SLOT = "controlecode"
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


def _fact(event: Event | dict[str, Any]) -> tuple[str, str, Any]:
    """(kind, slot name or "", value) of an event the masker learns from: a slot set,
    what the resident typed, the values Balie filled into a response; ("", "", None) for
    any other event."""
    if isinstance(event, SlotSet):
        return "slot", event.key, event.value
    if isinstance(event, UserUttered):
        return "user", "", event.text
    if isinstance(event, BotUttered):
        return "bot", "", event.metadata
    if isinstance(event, dict):
        kind = event.get("event")
        if kind == SlotSet.type_name:
            return "slot", str(event.get("name")), event.get("value")
        if kind == UserUttered.type_name:
            return "user", "", event.get("text")
        if kind == BotUttered.type_name:
            return "bot", "", event.get("metadata")
    return "", "", None


def _code_with_number(text: str) -> str | None:
    """A code typed together with a case number, as the status form reads it."""
    return find_controlecode(text) if normalize_zaaknummer(text) else None


def _content_values() -> list[str]:
    try:
        from core.content import gemeente_settings

        return list(gemeente_settings().values())
    except Exception:  # no content file: the slots still say what is public
        return []


class Masker:
    """Masks one conversation's events: knows the names and codes in it and what is public."""

    def __init__(
        self, names: Iterable[str] = (), public: Iterable[str] = (), codes: Iterable[str] = ()
    ) -> None:
        self.names = sorted({n for n in names if masking.name_variants(n)})
        self.public = sorted({p for p in public if p})
        self.codes = sorted(set(codes))
        # for_events(..., new_from): the new events made a name or a code known.
        self.learned = False

    @classmethod
    def for_events(
        cls,
        events: Iterable[Event | dict[str, Any]],
        sealer: Sealer | None = None,
        new_from: int | None = None,
    ) -> Masker:
        """Names from every value the personal slots had in these events (decrypted);
        controlecodes from where the conversation says they are one: the value of the
        `controlecode` slot, a code Balie announced (the `controlecode` of its response),
        and what the resident typed while the status form asked for the code.

        With `new_from`, `learned` says whether the events from that index on made a name
        known, or a code not known before them."""
        names: list[str] = []
        codes: list[str] = []
        public = _content_values()
        requested = None
        names_before = codes_before = -1
        for index, event in enumerate(events):
            kind, slot, value = _fact(event)
            if index == new_from:
                names_before, codes_before = len(names), len(codes)
            if kind == "user":
                if requested == CODE_SLOT and isinstance(value, str):
                    codes += masking.code_tokens(value)
                elif isinstance(value, str) and (code := _code_with_number(value)):
                    codes.append(code)  # "V-2026-000004, HX4T9B": even a wrong one
                continue
            if kind == "bot":
                announced = value.get(CODE_SLOT) if isinstance(value, dict) else None
                codes += masking.code_tokens(announced) if isinstance(announced, str) else []
                continue
            if kind != "slot":
                continue
            if sealer is not None:
                value = sealer.open(value)
            if slot == "requested_slot":
                requested = value
            elif slot == "naam" and isinstance(value, str):
                names.append(value)
            elif slot == "contact" and isinstance(value, dict) and value.get("naam"):
                names.append(str(value["naam"]))
            elif slot == CODE_SLOT and isinstance(value, str):
                codes += masking.code_tokens(value)
            elif slot.startswith(PUBLIC_SLOT_PREFIX) and isinstance(value, str):
                public.append(value)
        masker = cls(names, public, codes)
        if names_before >= 0:
            masker.learned = any(masking.name_variants(n) for n in names[names_before:]) or bool(
                set(codes[codes_before:]) - set(codes[:codes_before])
            )
        return masker

    def text(self, text: Any) -> Any:
        if not isinstance(text, str) or not text:
            return text
        return masking.mask(text, names=self.names, public=self.public, codes=self.codes)

    def tree(self, value: Any) -> Any:
        """Every string in a JSON value masked, except identifiers and names of things;
        a shared point ({"lat", "lon"}) coarsened to about 100 m."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list | tuple):  # a tuple is stored as a JSON list
            return [self.tree(v) for v in value]
        if isinstance(value, dict):
            if _is_point(value):
                return {
                    **value,
                    "lat": masking.coarsen(value["lat"]),
                    "lon": masking.coarsen(value["lon"]),
                }
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
        if name in PERSONAL_SLOTS or name == CODE_SLOT or self.tree(value) != value:
            return sealer.seal(value)
        return value

    def event(self, data: dict[str, Any], sealer: Sealer) -> dict[str, Any]:
        """A masked copy of a serialised event; data itself is not changed (what is
        masked is new, the rest is shared with it: names, numbers, identifiers)."""
        data = dict(data)
        kind = data.get("event")
        if kind == SlotSet.type_name:
            data["value"] = self.slot_value(str(data.get("name")), data.get("value"), sealer)
        elif kind == UserUttered.type_name:
            data["text"] = self.text(data.get("text"))
            parse = data.get("parse_data")
            if isinstance(parse, dict):
                parse = data["parse_data"] = dict(parse)
                parse["text"] = self.text(parse.get("text"))
                parse["entities"] = self.entities(parse.get("entities"))
                if "metadata" in parse:
                    parse["metadata"] = self.tree(parse["metadata"])
        elif kind == BotUttered.type_name:
            data["text"] = self.text(data.get("text"))
            data["data"] = self.tree(data.get("data"))
        elif kind == EntitiesAdded.type_name:
            data["entities"] = self.entities(data.get("entities"))
        if "metadata" in data:
            data["metadata"] = self.tree(data["metadata"])
        return data


def _is_point(value: dict[str, Any]) -> bool:
    return all(
        isinstance(value.get(k), int | float) and not isinstance(value.get(k), bool)
        for k in ("lat", "lon")
    )


def _structural(key: Any) -> bool:
    return key in _STRUCTURAL_KEYS or str(key).lower().endswith("id")


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


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # as the web app's engine (core/db.py)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class MaskingTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that never writes a resident's personal data in the clear."""

    engine: sa.engine.Engine

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        secret: str | None = None,  # tests; BALIE_SECRET_KEY (or its key file) otherwise
        window: int | None = None,  # tests; BALIE_TRACKER_WINDOW otherwise
        **kwargs: Any,
    ) -> None:
        # Balie's first code in a Rasa server however it was started (supervisor, a
        # container): a SQLite tracker file and whatever Rasa writes next are owner-only.
        restrict_umask()
        super().__init__(domain=domain, host=host, event_broker=event_broker, **kwargs)
        if secret is None:
            self.sealer = sealing.sealer(plugin_settings.settings())
        else:
            self.sealer = Sealer(personal_data_key(secret.encode()))
        self.window = plugin_settings.settings().tracker_window if window is None else window
        if self.engine.dialect.name == "sqlite" and self.engine.url.database:
            self._pool_sqlite()

    def _pool_sqlite(self) -> None:
        """Keep SQLite connections open between turns (SQLAlchemy opens a file database
        anew for every session otherwise), in WAL mode, without an fsync per commit.

        synchronous=NORMAL in WAL mode: a commit survives a crash of Rasa and never
        corrupts the file; a power cut may lose the last turns of a conversation (cases are
        the web app's, written by its own engine, core/db.py).
        """
        url = self.engine.url
        self.engine.dispose()
        # One connection per session at a time (the pool's checkout); Rasa may run the
        # store from another thread than the one that opened a connection.
        self.engine = sa.create_engine(
            url, poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False}
        )
        sa.event.listen(self.engine, "connect", _sqlite_connect)
        self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)

    def serialise_event(self, event: Event, masker: Masker) -> tuple[dict[str, Any], str]:
        """The event masked, and its JSON as stored."""
        data = event.as_dict()
        try:
            masked = masker.event(data, self.sealer)
            return masked, json.dumps(masked)
        except Exception:  # never write what could not be masked
            log.exception("masking a %s event failed; stored without its text", event.type_name)
            masked = _redacted(json.loads(json.dumps(data, default=str)))
            return masked, json.dumps(masked)

    def restore(self, data: dict[str, Any]) -> dict[str, Any]:
        """A stored event as Rasa wrote it: slot values decrypted (texts stay masked)."""
        if data.get("event") == SlotSet.type_name and is_sealed(data.get("value")):
            data["value"] = self.sealer.open(data["value"])
        return data

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            if fetch_events_from_all_sessions or not self.domain:
                query = self._event_query(session, sender_id, fetch_events_from_all_sessions=True)
                events = self._load(query.all())
            else:
                events = self._load_turn(session, sender_id)
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    def _load(self, rows: Iterable[Any]) -> list[dict[str, Any]]:
        return [self.restore(json.loads(row.data)) for row in rows]

    def _session_rows(
        self, session: Any, sender_id: str, where: str = "", order: str = "", **params: Any
    ) -> list[Any]:
        """Rows (id, type_name, data) of the conversation's latest session, as Rasa's
        `_event_query` selects them (from the latest session start's timestamp on), in
        plain SQL: a turn's queries cost no ORM query building."""
        table = self.SQLEvent.__tablename__
        started = (
            f"(SELECT max(timestamp) FROM {table} "
            "WHERE sender_id = :sender_id AND type_name = :started)"
        )
        sql = (
            f"SELECT id, type_name, data FROM {table} WHERE sender_id = :sender_id "
            f"AND (timestamp >= {started} OR {started} IS NULL){where} "
            f"ORDER BY id{order}"
        )
        statement = sa.text(sql)
        if "types" in params:
            statement = statement.bindparams(sa.bindparam("types", expanding=True))
        params.update(sender_id=sender_id, started=SessionStarted.type_name)
        return list(session.execute(statement, params))

    async def latest_bot_data(self, sender_id: str) -> list[dict[str, Any]]:
        """The `data` (buttons, images...) of Balie's messages in the latest session since
        the resident's last message, as stored: what a tracker's events would give, from
        one small query (the channels check every button payload against it)."""
        table = self.SQLEvent.__tablename__
        with self.session_scope() as session:
            rows = self._session_rows(
                session,
                sender_id,
                " AND type_name = :bot AND id > (SELECT coalesce(max(id), 0) FROM "
                f"{table} WHERE sender_id = :sender_id AND type_name = :user)",
                bot=BotUttered.type_name,
                user=UserUttered.type_name,
            )
        return [json.loads(row.data).get("data") or {} for row in rows]

    def _load_turn(self, session: Any, sender_id: str) -> list[dict[str, Any]]:
        """What a turn needs: the session's events, or its latest ones and the state before
        them (tracker_window.py). The first event says how many came from the table, so
        `save` writes the rest without counting the stored rows again."""
        if self.window:
            events = self._load_window(session, sender_id)
        else:
            events = self._load(self._session_rows(session, sender_id))
        if events:
            tracker_window.mark(events, len(events))
        return events

    def _load_window(self, session: Any, sender_id: str) -> list[dict[str, Any]]:
        """The session's latest `window` events and the state before them: one query for
        a short session; for a long one, its tail, then the rows that changed its state."""
        assert self.domain is not None
        tail = self._session_rows(session, sender_id, "", " DESC LIMIT :n", n=self.window + 1)
        rows = tail[::-1]
        if len(rows) <= self.window:
            return self._load(rows)
        start = tracker_window.cut([row.type_name for row in rows], self.window)
        if start is None:
            return self._load(self._session_rows(session, sender_id))
        before = self._session_rows(
            session,
            sender_id,
            " AND id < :first AND type_name IN :types",
            first=rows[start].id,
            types=list(tracker_window.STATE_EVENTS + tracker_window.REVERTING),
        )
        if any(row.type_name in tracker_window.REVERTING for row in before):
            # Undoing depends on the messages around it: load them all.
            return self._load(self._session_rows(session, sender_id))
        recent = self._load(rows[start:])
        events = tracker_window.prefix(
            sender_id,
            self._load(before),
            self.domain.slots,
            (*PERSONAL_SLOTS, CODE_SLOT),
            float(recent[0].get("timestamp") or 0),
        )
        return events + recent

    def _new_events(self, session: Any, tracker: DialogueStateTracker) -> tuple[int, list[Event]]:
        """Index and list of the events not stored yet: after those loaded, or (a tracker
        built elsewhere, a new conversation) after as many as the session has stored, as
        Rasa counts."""
        loaded = tracker_window.loaded(tracker)
        if loaded is None:
            new = list(super()._additional_events(session, tracker))
            return len(tracker.events) - len(new), new
        return loaded, list(itertools.islice(tracker.events, loaded, len(tracker.events)))

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Nothing: `save` publishes the events it stores, masked as they are stored."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Write the events Rasa has not stored yet, masked; mask a newly given name in the
        conversation's earlier messages too; then hand the event broker what was stored."""
        if not tracker.events:  # a new conversation before its first event: nothing to do
            return
        stored, rows = [], []
        with self.session_scope() as session:
            start, new_events = self._new_events(session, tracker)
            # One pass over the conversation: what it knows, and whether the new events
            # taught it a name or code the earlier messages may hold.
            masker = Masker.for_events(tracker.events, self.sealer, new_from=start)
            for event in new_events:
                data, text = self.serialise_event(event, masker)
                parse_data = data.get("parse_data")
                parse = parse_data if isinstance(parse_data, dict) else {}
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": (parse.get("intent") or {}).get("name"),
                        "action_name": data.get("name"),
                        "data": text,
                    }
                )
                stored.append(data)
            if rows:  # one INSERT for the turn's events, in their order
                session.execute(sa.insert(self.SQLEvent.__table__), rows)
            if masker.learned:
                self._mask_earlier(session, tracker.sender_id, masker)
            session.commit()
        # Saved again (Rasa's API can), the same tracker writes only what came after.
        tracker_window.mark_tracker(tracker, len(tracker.events))
        if self.event_broker is not None:
            for data in stored:
                self.event_broker.publish({"sender_id": tracker.sender_id, **data})
        log.debug("tracker %s stored, masked", tracker.sender_id)

    def _mask_earlier(self, session: Any, sender_id: str, masker: Masker) -> None:
        """A name or code became known: the messages already stored may hold it too."""
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
