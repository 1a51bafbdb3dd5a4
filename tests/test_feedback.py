"""Residents' feedback (issue #16): stored masked, once per topic, behind the API token, purged."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from core import feedback
from core.privacy.retention import Policy
from core.privacy.sealing import sealer
from core.settings import Settings
from webapp import api, errors
from webapp.cases.migrate import migrate
from webapp.cases.models import Feedback, utcnow
from webapp.cases.store import CaseStore
from webapp.chat.feedback import BadFeedback, rate
from webapp.chat.log import BOT, RESIDENT, ChatLog
from webapp.feedback import routes
from webapp.feedback.store import FeedbackIn, asked, record, thumbs_down
from webapp.privacy.retention import Retention
from webapp.staff.inbox import Inbox
from webapp.staff.tracker import UserMessage

TOKEN = "test-token-feedback-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
POLICY = Policy(
    conversation=timedelta(days=30),
    contact=timedelta(days=90),
    callback=timedelta(days=90),
    cancelled=timedelta(days=365),
    handled=timedelta(days=1826),
)
DOWN = FeedbackIn(
    gesprek="web-abc",
    onderwerp="faq:afvalkalender",
    goed=False,
    opmerking="Bel me op 06-12345678, ik ben Jan",
    vraag="wanneer komt het gft, mail jan@example.nl",
    antwoord="Het gft wordt elke week opgehaald.",
)


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> Any:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cases.db'}"
    migrate(url)
    store = CaseStore.from_url(url)
    yield store
    await store.close()


async def test_stored_masked_once_per_topic(store: CaseStore) -> None:
    assert not await asked(store.engine, DOWN.gesprek, DOWN.onderwerp)
    assert await record(store.engine, DOWN)
    assert await asked(store.engine, DOWN.gesprek, DOWN.onderwerp)
    # The same topic again in this conversation: no second row.
    assert not await record(store.engine, FeedbackIn("web-abc", "faq:afvalkalender", True))
    # Another topic, or another conversation, may be rated.
    assert await record(store.engine, FeedbackIn("web-abc", "zaak:melding", True))
    assert await record(store.engine, FeedbackIn("web-xyz", "faq:afvalkalender", True))
    async with store.engine.connect() as conn:
        row = (await conn.execute(sa.select(Feedback).where(Feedback.goed.is_(False)))).one()
    assert "06-12345678" not in row.opmerking and "jan@example.nl" not in row.vraag
    assert "[telefoonnummer]" in row.opmerking
    (down,) = await thumbs_down(store.sessions)
    assert down.antwoord == "Het gft wordt elke week opgehaald."


async def test_retention_purges_feedback(store: CaseStore) -> None:
    await record(store.engine, DOWN)
    await record(store.engine, FeedbackIn("web-new", "faq:paspoort", True))
    async with store.engine.begin() as conn:
        await conn.execute(
            sa.update(Feedback)
            .where(Feedback.gesprek == "web-abc")
            .values(aangemaakt_op=utcnow() - timedelta(days=31))
        )
    retention = Retention(store.engine, policy=POLICY)
    try:
        assert (await retention.purge(dry_run=True))["feedback"] == 1
        assert (await retention.purge())["feedback"] == 1
    finally:
        await retention.close()
    async with store.engine.connect() as conn:
        left = (await conn.execute(sa.select(Feedback.gesprek))).scalars().all()
    assert left == ["web-new"]


async def test_route_auth_and_bad_input(store: CaseStore) -> None:
    app = web.Application(middlewares=[errors.guard])
    api.setup(app, store, TOKEN)
    routes.setup(app)
    body = {"gesprek": "tg-1", "onderwerp": "faq:parkeren", "goed": False, "opmerking": "fout"}
    async with TestClient(TestServer(app)) as client:
        resp = await client.post(routes.PATH, json=body)
        assert resp.status == 401
        bad: list[Any] = [
            [],
            {**body, "goed": "nee"},
            {**body, "onderwerp": ""},
            {**body, "opmerking": "x" * 501},
            {**body, "extra": 1},
            {**body, "vraag": 3},
        ]
        for data in bad:
            resp = await client.post(routes.PATH, json=data, headers=AUTH)
            assert resp.status == 400, data
            assert "error" in await resp.json() or "fout" in await resp.json()
        resp = await client.post(routes.PATH, data=b"{", headers=AUTH)
        assert resp.status == 415
        resp = await client.post(routes.PATH, json=body, headers=AUTH)
        assert resp.status == 201
        resp = await client.post(routes.PATH, json=body, headers=AUTH)
        assert resp.status == 409


class FakeTracker:
    """Two confidently recognised messages, as the tracker store hands them out (masked)."""

    def __init__(self) -> None:
        self.messages = [
            UserMessage(
                2,
                "web-abc",
                2.0,
                "wanneer komt het gft, mail [e-mailadres]",
                "faq/afval",
                0.99,
                "faq/afval",
            ),
            UserMessage(
                1, "web-abc", 1.0, "hoe laat is het stadhuis open", "faq/open", 0.98, "faq/open"
            ),
        ]

    async def user_messages(self, before: int | None, limit: int) -> list[UserMessage]:
        return [] if before is not None else self.messages


async def test_thumbs_down_puts_the_message_in_the_inbox(store: CaseStore) -> None:
    inbox = Inbox(FakeTracker(), store.sessions, threshold=0.5)  # type: ignore[arg-type]
    assert await inbox.items() == []  # sure answers: nothing to review
    await record(store.engine, DOWN)
    (item,) = await inbox.items()
    assert item.message.id == 2 and item.niet_goed is not None
    assert item.niet_goed.antwoord == "Het gft wordt elke week opgehaald."
    assert "[telefoonnummer]" in item.niet_goed.opmerking


async def test_widget_frame_rates_only_balies_own_rated_messages(store: CaseStore) -> None:
    chat = ChatLog(store.sessions, sealer(Settings(secret_key="test-secret-feedback")))
    mine, _, _ = await chat.open(None)
    other, _, _ = await chat.open(None)
    await chat.append(mine.id, RESIDENT, {"text": "wanneer komt het gft"}, "m1")
    await chat.append(mine.id, BOT, {"text": "Elke week.", "feedback": "faq:afval"}, None)
    await chat.append(mine.id, BOT, {"text": "Kan ik nog iets doen?"}, None)
    await chat.append(other.id, BOT, {"text": "Elders.", "feedback": "faq:paspoort"}, None)
    conn = SimpleNamespace(session_id=mine.id, sender=mine.sender)
    bad: list[dict[str, Any]] = [
        {"seq": 1, "goed": False},  # the resident's own message
        {"seq": 3, "goed": False},  # asked for no feedback
        {"seq": 9, "goed": False},  # not in this conversation (another one's number)
        {"seq": "2", "goed": False},
        {"seq": 2, "goed": "nee"},
        {"seq": 2, "goed": False, "opmerking": "x" * 501},
    ]
    for frame in bad:
        with pytest.raises(BadFeedback):
            await rate(chat, store.engine, conn, frame)  # type: ignore[arg-type]
    frame = {"seq": 2, "goed": False, "opmerking": "mail [e-mailadres] of jan@example.nl"}
    answer = await rate(chat, store.engine, conn, frame)  # type: ignore[arg-type]
    assert answer == {"type": "feedback", "seq": 2, "text": feedback.thanks(None)}
    again = await rate(chat, store.engine, conn, {"seq": 2, "goed": True})  # type: ignore[arg-type]
    assert again["text"] == feedback.ALREADY["u"]
    (down,) = await thumbs_down(store.sessions)
    assert down.vraag == "wanneer komt het gft" and "jan@example.nl" not in down.opmerking
