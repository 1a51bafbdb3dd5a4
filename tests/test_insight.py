"""The "Overzicht" figures: SQL aggregates over known events and cases, on SQLite and
PostgreSQL, and the grouping of unanswered questions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import pytest
import pytest_asyncio
import sqlalchemy as sa

from core.db import create_engine, sync_url
from webapp.cases.models import Callback, Case, StatusChange
from webapp.staff.console.insight_pages import figures_csv
from webapp.staff.insight import DAY, Insight, Period
from webapp.staff.insight_charts import conversations_svg
from webapp.staff.insight_groups import group, texts_of
from webapp.staff.tracker import EVENTS

pytestmark = pytest.mark.asyncio(loop_scope="session")

# Two UTC days: 2026-11-02 (a Monday) and 2026-11-03.
MONDAY = datetime(2026, 11, 2, tzinfo=timezone.utc).timestamp()


def user(text: str, intent: str, channel: str = "telegram", topic: str | None = None) -> dict:
    parse: dict = {"intent": {"name": intent, "confidence": 0.9}}
    if topic:
        parse["response_selector"] = {
            "faq": {"response": {"intent_response_key": topic, "confidence": 0.9}}
        }
    return {"event": "user", "text": text, "parse_data": parse, "input_channel": channel}


EVENTS_ = [
    # (sender, seconds after Monday 00:00, event)
    ("tg-1", 100, user("hoe laat open", "faq", topic="faq/openingstijden")),
    ("tg-1", 200, user("openingstijden zaterdag", "faq", topic="faq/openingstijden")),
    ("tg-1", 300, user("wat kost een paspoort", "faq", topic="faq/paspoort")),
    ("tg-1", 310, {"event": "bot", "text": "Dat kost ..."}),
    ("web-1", 400, user("mag mijn kat op de maan", "nlu_fallback", "balie_web")),
    ("web-1", DAY + 10, user("mag mijn hond op de maan", "nlu_fallback", "balie_web")),
    ("web-1", DAY + 20, user("wie wint het WK", "buiten_bereik", "balie_web")),
    ("tg-2", DAY + 30, user("hallo", "groeten")),
    ("tg-2", 9 * DAY, user("later", "groeten")),  # outside the period
]


def fill(url: str) -> None:
    engine = sa.create_engine(sync_url(url))
    EVENTS.metadata.create_all(engine)
    monday = datetime.fromtimestamp(MONDAY, timezone.utc)
    with engine.begin() as conn:
        for sender, offset, event in EVENTS_:
            conn.execute(
                EVENTS.insert().values(
                    sender_id=sender,
                    type_name=event["event"],
                    timestamp=MONDAY + offset,
                    intent_name=(event.get("parse_data") or {}).get("intent", {}).get("name"),
                    data=json.dumps(event),
                )
            )
        for number, (kind, category, channel, hours) in enumerate(
            [
                ("melding", "afval", "telegram", (1, 3)),
                ("melding", "afval", "web", (2, 5)),
                ("melding", "verlichting", "web", (4, None)),
                ("verzoek", "kapvergunning", "web", (None, None)),
            ]
        ):
            case_id = conn.execute(
                Case.__table__.insert().values(
                    identificatie=f"M-2026-{number}",
                    type=kind,
                    status="gemeld",
                    categorie=category,
                    omschrijving="x",
                    kanaal=channel,
                    controlecode_hash="x",
                    aangemaakt_op=monday,
                    gewijzigd_op=monday,
                )
            ).inserted_primary_key[0]
            for status, after in zip(("in_behandeling", "afgehandeld"), hours, strict=True):
                if after is not None:
                    conn.execute(
                        StatusChange.__table__.insert().values(
                            case_id=case_id,
                            status=status,
                            door="mia",
                            op=monday + timedelta(hours=after),
                        )
                    )
        conn.execute(
            Callback.__table__.insert().values(
                naam="Piet",
                telefoon="0612345678",
                kanaal="web",
                status="open",
                aangemaakt_op=monday,
            )
        )
    engine.dispose()


@pytest_asyncio.fixture
async def insight(db_url: str) -> AsyncIterator[Insight]:
    fill(db_url)
    engine = create_engine(db_url)
    yield Insight(engine, engine)
    await engine.dispose()


async def test_figures_per_day_and_channel(insight: Insight) -> None:
    period = Period(MONDAY, MONDAY + 7 * DAY)
    rows = await insight.conversation_rows(period)
    assert [(r.label, r.conversations, r.messages, r.unanswered) for r in rows] == [
        ("2-11-2026", 2, 4, 1),
        ("3-11-2026", 2, 3, 2),
    ]
    assert rows[0].understood == 0.75
    week = await insight.conversation_rows(Period(MONDAY, MONDAY + 7 * DAY, "week"))
    assert [(r.label, r.conversations, r.messages) for r in week] == [("week van 2-11-2026", 3, 7)]
    web = await insight.conversation_rows(Period(MONDAY, MONDAY + 7 * DAY, channel="web"))
    assert [(r.messages, r.unanswered) for r in web] == [(1, 1), (2, 2)]
    assert await insight.topics(period) == [("faq/openingstijden", 2), ("faq/paspoort", 1)]


async def test_case_figures(insight: Insight) -> None:
    period = Period(MONDAY, MONDAY + 7 * DAY)
    figures = await insight.overview(period)
    assert figures.cases == [
        ("melding", "afval", 2),
        ("melding", "verlichting", 1),
        ("verzoek", "kapvergunning", 1),
    ]
    assert figures.callbacks == 1
    assert figures.median_to_status == [("in_behandeling", 2 * 3600), ("afgehandeld", 4 * 3600)]
    assert figures.thumbs == []
    web = await insight.overview(Period(MONDAY, MONDAY + 7 * DAY, channel="web"))
    assert web.median_to_status == [("in_behandeling", 3 * 3600), ("afgehandeld", 5 * 3600)]
    text = figures_csv(figures)
    assert "terugbelverzoeken,,1," in text and "onderwerp,faq/openingstijden,2," in text
    assert conversations_svg(figures.rows).startswith(b"<?xml")
    later = await insight.overview(Period(MONDAY + 2 * DAY, MONDAY + 3 * DAY))
    assert later.cases == [] and later.callbacks == 0 and later.rows == []


async def test_unanswered_questions_grouped(insight: Insight) -> None:
    found = texts_of(await insight.unanswered(Period(MONDAY, MONDAY + 7 * DAY)))
    assert sorted(text for _, text in found) == [
        "mag mijn hond op de maan",
        "mag mijn kat op de maan",
        "wie wint het WK",
    ]
    groups = group(found)
    assert [g.count for g in groups] == [2, 1]
    assert {text for _, text in groups[0].examples} == {
        "mag mijn hond op de maan",
        "mag mijn kat op de maan",
    }


def test_grouping_masks_examples_and_skips_buttons() -> None:
    rows = [
        (1, json.dumps({"text": "bel mij op 0687654321"})),
        (2, json.dumps({"text": "/ja"})),
        (3, "geen json"),
    ]
    [only] = group(texts_of(rows))
    assert only.count == 1 and "0687654321" not in only.examples[0][1]
