"""Reading conversations from Rasa's SQL tracker store (its `events` table).

Rasa writes the table through Balie's MaskingTrackerStore (endpoints.yml
`tracker_store`, rasa_plugins/tracker_store.py), which masks personal data before it
is written and encrypts personal slot values; the console only reads it, and masks
again what it shows (`shown`), for rows written before masking existed. Slot values
are never shown. A conversation is addressed by the id of its first event, so sender
ids (a Telegram chat id, for one) never appear in URLs.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.domain import RASA_INPUT_CHANNELS
from core.privacy import masking
from core.residents import choices

log = logging.getLogger(__name__)

# Rasa's table, declared here only to read it (not part of Balie's migrations).
EVENTS = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("type_name", sa.String(255)),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)
_EVENT_ROWS = sa.select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.timestamp, EVENTS.c.data)
FALLBACK = "nlu_fallback"
EXTERNAL_PREFIX = "EXTERNAL: "  # Rasa's text for an intent sent with trigger_intent
# What staff read for the news Balie's services start (actions/announce.py).
NEWS = {
    "EXTERNAL_status_gewijzigd": "statusbericht verstuurd",
    "EXTERNAL_afgeleverd": "bericht verstuurd: de zaak is alsnog aangemaakt",
}
FIRST_MESSAGE_CHARS = 60
FIRST_EVENTS = 5  # user events looked at for a conversation's first typed message


def public_values() -> list[str]:
    """The municipality's own phone number, e-mail and address: not personal data."""
    try:
        from core.content import gemeente_settings

        return list(gemeente_settings().values())
    except Exception:  # no content file: mask everything that looks personal
        return []


def shown(text: str) -> str:
    """Text as staff may read it: personal data masked, the municipality's own left alone."""
    return masking.mask(text, public=public_values())


@dataclass(frozen=True)
class UserMessage:
    id: int
    sender_id: str
    timestamp: float
    text: str
    intent: str  # full name: "faq/pgb" for a FAQ topic, "nlu_fallback" when unsure
    confidence: float
    # The best real intent when the message became nlu_fallback, else the intent itself.
    predicted: str
    ranking: list[tuple[str, float]] = field(default_factory=list)
    channel: str = "rest"

    @property
    def is_payload(self) -> bool:
        """A button press ("/bevestigen") rather than typed text."""
        return self.text.startswith("/")


@dataclass(frozen=True)
class Turn:
    """One line of a conversation as staff read it (text masked)."""

    id: int
    timestamp: float
    who: str  # "inwoner", "balie", or "systeem" (news Balie's own services sent)
    text: str
    intent: str | None = None
    confidence: float | None = None
    action: str | None = None
    kind: str = "bericht"  # "bericht" (typed), "keuze" (a button pressed), "nieuws"
    channel: str | None = None  # of the resident's messages


@dataclass(frozen=True)
class ConversationSummary:
    first_id: int
    started: float
    last: float
    user_messages: int
    channel: str
    first_message: str = ""  # the resident's first typed message, masked and shortened


def _full_intent(parse: dict[str, Any]) -> tuple[str, float]:
    intent = parse.get("intent") or {}
    name = intent.get("name") or ""
    confidence = float(intent.get("confidence") or 0.0)
    selected = (parse.get("response_selector") or {}).get(name) or {}
    key = (selected.get("response") or {}).get("intent_response_key")
    if not key and name == choices.FAQ_INTENT:
        # A "Bedoelt u ...?" button names its topic: /faq{"sleutel": "paspoort_id_kaart"}.
        sleutel = next(
            (e.get("value") for e in parse.get("entities") or [] if e.get("entity") == "sleutel"),
            None,
        )
        key = choices.choice_of(name, str(sleutel)) if sleutel else None
    return (key or name), confidence


def _best_candidate(parse: dict[str, Any]) -> str | None:
    """The first choice Balie offered for a message it asked "Bedoelt u ...?" about."""
    found = (parse.get(choices.CANDIDATES_KEY) or {}).get("kandidaten") or []
    first = found[0] if found and isinstance(found[0], dict) else {}
    return str(first["keuze"]) if first.get("keuze") else None


def user_message(row: Any) -> UserMessage | None:
    try:
        data = json.loads(row.data)
    except (TypeError, ValueError):
        return None
    text = data.get("text") or ""
    if not isinstance(text, str) or not text:
        return None
    parse = data.get("parse_data") or {}
    intent, confidence = _full_intent(parse)
    ranking = [
        (str(r.get("name")), float(r.get("confidence") or 0.0))
        for r in parse.get("intent_ranking") or []
        if r.get("name")
    ]
    predicted = intent
    if intent == choices.CLARIFY_INTENT:
        predicted = _best_candidate(parse) or intent
    if intent == FALLBACK:
        real = [r for r in ranking if r[0] != FALLBACK]
        predicted = real[0][0] if real else FALLBACK
        if predicted == "faq":
            # The topic classifier ran even though the message became a fallback.
            selected = (parse.get("response_selector") or {}).get("faq") or {}
            predicted = (selected.get("response") or {}).get("intent_response_key") or "faq"
    return UserMessage(
        id=row.id,
        sender_id=row.sender_id,
        timestamp=row.timestamp or 0.0,
        text=text,
        intent=intent,
        confidence=confidence,
        predicted=predicted,
        ranking=ranking,
        channel=RASA_INPUT_CHANNELS.get(data.get("input_channel") or "rest", "rest"),
    )


class TrackerReader:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def _rows(self, query: sa.sql.Select) -> list[Any]:
        try:
            async with self.engine.connect() as conn:
                return list(await conn.execute(query))
        except SQLAlchemyError as exc:
            # No table yet (Rasa has not started once) or another tracker store in use.
            log.info("no conversations to read: %s", exc.__class__.__name__)
            return []

    async def conversations(
        self, page: int = 1, per_page: int = 25
    ) -> tuple[list[ConversationSummary], int]:
        total_rows = await self._rows(sa.select(sa.func.count(sa.distinct(EVENTS.c.sender_id))))
        total = total_rows[0][0] if total_rows else 0
        user = sa.case((EVENTS.c.type_name == "user", 1), else_=0)
        query = (
            sa.select(
                EVENTS.c.sender_id,
                sa.func.min(EVENTS.c.id).label("first_id"),
                sa.func.min(EVENTS.c.timestamp).label("started"),
                sa.func.max(EVENTS.c.timestamp).label("last"),
                sa.func.sum(user).label("user_messages"),
                sa.func.max(EVENTS.c.id).label("last_id"),
            )
            .group_by(EVENTS.c.sender_id)
            .order_by(sa.desc("last_id"))
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        rows = await self._rows(query)
        firsts = await self._first_messages([r.sender_id for r in rows])
        return [
            ConversationSummary(
                first_id=r.first_id,
                started=r.started or 0.0,
                last=r.last or 0.0,
                user_messages=int(r.user_messages or 0),
                channel=firsts.get(r.sender_id, ("rest", ""))[0],
                first_message=firsts.get(r.sender_id, ("rest", ""))[1],
            )
            for r in rows
        ], total

    async def _first_messages(self, senders: list[str]) -> dict[str, tuple[str, str]]:
        """Each conversation's channel and first typed message (masked; not a button or
        Balie's own news)."""
        if not senders:
            return {}
        # A conversation's first few user events: enough to pass a button or two.
        numbered = (
            sa.select(
                EVENTS.c.id,
                sa.func.row_number()
                .over(partition_by=EVENTS.c.sender_id, order_by=EVENTS.c.id)
                .label("n"),
            )
            .where(EVENTS.c.sender_id.in_(senders), EVENTS.c.type_name == "user")
            .subquery()
        )
        first_few = sa.select(numbered.c.id).where(numbered.c.n <= FIRST_EVENTS)
        rows = await self._rows(_EVENT_ROWS.where(EVENTS.c.id.in_(first_few)).order_by(EVENTS.c.id))
        channels: dict[str, str] = {}
        texts: dict[str, str] = {}
        for row in rows:
            message = user_message(row)
            if message is None:
                continue
            channels.setdefault(row.sender_id, message.channel)
            if not (message.is_payload or message.text.startswith(EXTERNAL_PREFIX)):
                texts.setdefault(row.sender_id, shorten(shown(message.text)))
        return {sender: (channel, texts.get(sender, "")) for sender, channel in channels.items()}

    async def conversation(self, first_id: int) -> list[Turn] | None:
        """Every message of the conversation that started with event first_id."""
        head = await self._rows(sa.select(EVENTS.c.sender_id).where(EVENTS.c.id == first_id))
        if not head:
            return None
        sender = head[0].sender_id
        first = await self._rows(
            sa.select(sa.func.min(EVENTS.c.id)).where(EVENTS.c.sender_id == sender)
        )
        if first[0][0] != first_id:
            return None  # only the first event's id addresses a conversation
        rows = await self._rows(
            _EVENT_ROWS.where(
                EVENTS.c.sender_id == sender, EVENTS.c.type_name.in_(("user", "bot"))
            ).order_by(EVENTS.c.id)
        )
        buttons: dict[str, str] = {}  # payload -> title of the buttons Balie offered
        return [turn for turn in (_turn(row, buttons) for row in rows) if turn]

    async def user_messages(
        self, before_id: int | None = None, limit: int = 500
    ) -> list[UserMessage]:
        """User messages, newest first, from before event before_id."""
        query = (
            _EVENT_ROWS.where(EVENTS.c.type_name == "user")
            .order_by(EVENTS.c.id.desc())
            .limit(limit)
        )
        if before_id is not None:
            query = query.where(EVENTS.c.id < before_id)
        return [m for m in map(user_message, await self._rows(query)) if m]

    async def user_message(self, event_id: int) -> UserMessage | None:
        rows = await self._rows(
            _EVENT_ROWS.where(EVENTS.c.id == event_id, EVENTS.c.type_name == "user")
        )
        return user_message(rows[0]) if rows else None


def shorten(text: str) -> str:
    return text if len(text) <= FIRST_MESSAGE_CHARS else text[: FIRST_MESSAGE_CHARS - 1] + "…"


def _choice(message: UserMessage, buttons: dict[str, str]) -> str:
    """What a resident chose with a button: its title, or the Dutch name of its intent."""
    title = buttons.get(message.text.strip())
    if title:
        return title
    return choices.label(message.intent) or message.intent or message.text


def _turn(row: Any, buttons: dict[str, str]) -> Turn | None:
    """One event as staff read it; buttons collects the ones Balie offered so far."""
    try:
        data = json.loads(row.data)
    except (TypeError, ValueError):
        return None
    if data.get("event") == "user":
        message = user_message(row)
        if message is None:
            return None
        timestamp = row.timestamp or 0.0
        if message.text.startswith(EXTERNAL_PREFIX):
            news = NEWS.get(message.text.removeprefix(EXTERNAL_PREFIX), "bericht verstuurd")
            return Turn(row.id, timestamp, "systeem", news, kind="nieuws")
        if message.is_payload:
            chosen = shown(_choice(message, buttons))
            return Turn(
                row.id,
                timestamp,
                "inwoner",
                chosen,
                message.intent,
                kind="keuze",
                channel=message.channel,
            )
        return Turn(
            row.id,
            timestamp,
            "inwoner",
            shown(message.text),
            message.intent,
            message.confidence,
            channel=message.channel,
        )
    text = data.get("text") or ""
    for button in (data.get("data") or {}).get("buttons") or []:
        if isinstance(button, dict) and button.get("payload") and button.get("title"):
            buttons[str(button["payload"]).strip()] = str(button["title"])
    if not isinstance(text, str) or not text:
        return None
    action = (data.get("metadata") or {}).get("utter_action")
    return Turn(row.id, row.timestamp or 0.0, "balie", shown(text), action=action)
