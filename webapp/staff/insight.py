"""Figures for the "Overzicht" page: SQL aggregates over Rasa's events and the case tables.

Every count is a GROUP BY in the database; Python only sees one row per bucket, per
topic or per case status change, never whole conversations. Buckets are UTC days (or
ISO weeks starting Monday): integer arithmetic on the epoch timestamp works the same on
SQLite and PostgreSQL. The channel of a user event lives in its JSON `data`; Rasa writes
it with json.dumps' default separators, so a LIKE on `"input_channel": "<name>"` picks
it out on both dialects without JSON functions (and without parsing every row).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.domain import RASA_INPUT_CHANNELS
from webapp.cases.models import Callback, Case, StatusChange
from webapp.staff.tracker import EVENTS, FALLBACK

DAY = 86_400
# Epoch day 0 (1970-01-01) was a Thursday: shifting by 3 days makes weeks start Monday.
_WEEK_SHIFT = 3
# Intents for which Balie had no answer (low confidence becomes nlu_fallback in Rasa).
UNANSWERED = (FALLBACK, "buiten_bereik")
TOP_TOPICS = 10


@dataclass(frozen=True)
class Period:
    start: float  # epoch seconds, inclusive
    end: float  # epoch seconds, exclusive
    unit: str = "dag"  # "dag" or "week"
    channel: str | None = None  # "web", "telegram", "rest" or None for all

    def bucket(self, seconds: Any) -> Any:
        """The bucket number of an epoch-seconds SQL expression."""
        # Literal numbers, not bound parameters: PostgreSQL must see the SELECT's and
        # the GROUP BY's expression as the same one.
        days = sa.cast(seconds, sa.BigInteger) / sa.literal_column(str(DAY))
        if self.unit == "week":
            return (days + sa.literal_column(str(_WEEK_SHIFT))) / sa.literal_column("7")
        return days

    def label(self, bucket: int) -> str:
        day = (bucket * 7 - _WEEK_SHIFT) if self.unit == "week" else bucket
        date = datetime.fromtimestamp(day * DAY, timezone.utc).date()
        text = f"{date.day}-{date.month}-{date.year}"  # as Dutch readers write a date
        return f"week van {text}" if self.unit == "week" else text


@dataclass
class Row:
    """One bucket's conversation figures."""

    label: str
    conversations: int = 0
    messages: int = 0
    unanswered: int = 0

    @property
    def understood(self) -> float | None:
        return None if not self.messages else 1 - self.unanswered / self.messages

    @property
    def fallback_rate(self) -> float | None:
        return None if not self.messages else self.unanswered / self.messages


@dataclass
class Overview:
    rows: list[Row]
    topics: list[tuple[str, int]]
    cases: list[tuple[str, str, int]]  # (type, categorie, count)
    callbacks: int
    median_to_status: list[tuple[str, float]]  # (status, seconds)
    thumbs: list[tuple[str, int, int]] = field(default_factory=list)  # (label, up, down)

    @property
    def totals(self) -> Row:
        total = Row("totaal")
        for row in self.rows:
            total.conversations += row.conversations
            total.messages += row.messages
            total.unanswered += row.unanswered
        return total


def _channel_filter(channel: str | None) -> list[Any]:
    if channel is None:
        return []
    names = [name for name, value in RASA_INPUT_CHANNELS.items() if value == channel]
    return [sa.or_(*(EVENTS.c.data.like(f'%"input_channel": "{name}"%') for name in names))]


def _user_events(period: Period) -> list[Any]:
    return [
        EVENTS.c.type_name == "user",
        EVENTS.c.timestamp >= period.start,
        EVENTS.c.timestamp < period.end,
        *_channel_filter(period.channel),
    ]


class Insight:
    def __init__(self, tracker: AsyncEngine, cases: AsyncEngine) -> None:
        self.tracker = tracker
        self.cases = cases

    async def _rows(self, engine: AsyncEngine, query: Any) -> list[Any]:
        async with engine.connect() as conn:
            return list((await conn.execute(query)).all())

    async def conversation_rows(self, period: Period) -> list[Row]:
        bucket = period.bucket(EVENTS.c.timestamp).label("bucket")
        missed = sa.func.sum(sa.case((EVENTS.c.intent_name.in_(UNANSWERED), 1), else_=0))
        query = (
            sa.select(
                bucket,
                sa.func.count(sa.distinct(EVENTS.c.sender_id)),
                sa.func.count(),
                missed,
            )
            .where(*_user_events(period))
            .group_by(bucket)
            .order_by(bucket)
        )
        rows = await self._rows(self.tracker, query)
        return [Row(period.label(int(b)), int(c), int(m), int(u or 0)) for b, c, m, u in rows]

    async def topics(self, period: Period) -> list[tuple[str, int]]:
        """The most asked FAQ topics: the retrieval key ("faq/pgb") is only in the JSON,
        read with the dialect's own JSON function inside the GROUP BY."""
        key = _faq_key(self.tracker.dialect.name).label("topic")
        query = (
            sa.select(key, sa.func.count())
            .where(*_user_events(period), EVENTS.c.intent_name == "faq")
            .group_by(key)
            .order_by(sa.func.count().desc())
            .limit(TOP_TOPICS)
        )
        rows = await self._rows(self.tracker, query)
        return [(str(name or "faq"), int(n)) for name, n in rows]

    async def cases_by_category(self, period: Period) -> list[tuple[str, str, int]]:
        start, end = _moments(period)
        query = (
            sa.select(Case.type, Case.categorie, sa.func.count())
            .where(Case.aangemaakt_op >= start, Case.aangemaakt_op < end)
            .group_by(Case.type, Case.categorie)
            .order_by(Case.type, sa.func.count().desc())
        )
        if period.channel:
            query = query.where(Case.kanaal == period.channel)
        rows = await self._rows(self.cases, query)
        return [(str(t), str(c or "–"), int(n)) for t, c, n in rows]

    async def callbacks(self, period: Period) -> int:
        start, end = _moments(period)
        query = sa.select(sa.func.count()).where(
            Callback.aangemaakt_op >= start, Callback.aangemaakt_op < end
        )
        if period.channel:
            query = query.where(Callback.kanaal == period.channel)
        return int((await self._rows(self.cases, query))[0][0])

    async def median_to_status(self, period: Period) -> list[tuple[str, float]]:
        """Median time from a case's creation to the first time it reached each status.

        SQLite has no percentile function: the database returns one (status, created,
        reached) row per case and status (MIN per group), the median is taken here."""
        start, end = _moments(period)
        reached = sa.func.min(StatusChange.op).label("reached")
        query = (
            sa.select(StatusChange.status, Case.aangemaakt_op, reached)
            .join(Case, Case.id == StatusChange.case_id)
            .where(Case.aangemaakt_op >= start, Case.aangemaakt_op < end)
            .group_by(StatusChange.case_id, StatusChange.status, Case.aangemaakt_op)
        )
        if period.channel:
            query = query.where(Case.kanaal == period.channel)
        spans: dict[str, list[float]] = {}
        for status, created, at in await self._rows(self.cases, query):
            created, at = _utc(created), _utc(at)
            spans.setdefault(str(status), []).append((at - created).total_seconds())
        return sorted(
            ((status, statistics.median(values)) for status, values in spans.items()),
            key=lambda item: item[1],
        )

    async def thumbs(self, period: Period) -> list[tuple[str, int, int]]:
        """Thumbs up/down per bucket; empty until a feedback table exists."""
        return []

    async def overview(self, period: Period) -> Overview:
        return Overview(
            rows=await self.conversation_rows(period),
            topics=await self.topics(period),
            cases=await self.cases_by_category(period),
            callbacks=await self.callbacks(period),
            median_to_status=await self.median_to_status(period),
            thumbs=await self.thumbs(period),
        )

    async def unanswered(self, period: Period, limit: int = 2000) -> list[tuple[int, str]]:
        """(event id, raw data) of the period's newest unanswered messages."""
        query = (
            sa.select(EVENTS.c.id, EVENTS.c.data)
            .where(*_user_events(period), EVENTS.c.intent_name.in_(UNANSWERED))
            .order_by(EVENTS.c.id.desc())
            .limit(limit)
        )
        return [(int(i), str(d)) for i, d in await self._rows(self.tracker, query)]


def _faq_key(dialect: str) -> Any:
    # Constant SQL text, not bound parameters: PostgreSQL must see the SELECT's and the
    # GROUP BY's expression as the same one.
    if dialect == "postgresql":
        path = "{parse_data,response_selector,faq,response,intent_response_key}"
        return sa.literal_column(f"(CAST(events.data AS JSON) #>> '{path}')")
    path = "$.parse_data.response_selector.faq.response.intent_response_key"
    return sa.literal_column(f"json_extract(events.data, '{path}')")


def _moments(period: Period) -> tuple[datetime, datetime]:
    return (
        datetime.fromtimestamp(period.start, timezone.utc),
        datetime.fromtimestamp(period.end, timezone.utc),
    )


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
