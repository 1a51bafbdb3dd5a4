"""Retention and forgetting (issue #7), on real SQLite and PostgreSQL databases.

Rows are made the way Balie makes them (the case store, the widget's log, the action
server's outbox, Rasa's own SQLTrackerStore for conversations) and then aged by
moving their timestamps into the past.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa
from aiohttp import web

from actions.outbox import Outbox
from core import ROOT
from core.caseapi.models import CallbackIn, CaseIn, ForgetIn
from core.db import create_engine, sync_url
from core.privacy.retention import Policy, read_purge_interval
from core.privacy.sealing import sealer
from core.residents import commands, texts
from core.settings import ConfigError, Env, Settings
from core.throttle import Throttle
from core.throttle import key as attempt_key
from rasa_plugins.connectors.telegram import TelegramInput
from rasa_plugins.connectors.telegram_bot import TelegramConfig
from tests.action_server import running as running_action_server
from tests.conftest import make_settings
from tests.fakes.telegram import FakeTelegram, TelegramChat
from tests.images import png_bytes
from webapp.app import create_app
from webapp.cases.models import (
    Attachment,
    Attempts,
    Callback,
    Case,
    ChatEntry,
    ChatSession,
    Contact,
    ExternalCase,
    ExternalFollower,
    Feedback,
    StatusChange,
    StatusOptOut,
    Upload,
    utcnow,
)
from webapp.cases.store import CaseStore
from webapp.chat.log import BOT, RESIDENT, ChatLog, token_hash
from webapp.feedback.store import FeedbackIn
from webapp.feedback.store import record as record_feedback
from webapp.privacy.retention import PURGE_LOCK, Retention
from webapp.settings import WebSettings
from webapp.staff.tracker import EVENTS

TOKEN = "test-token-retention-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
POLICY = Policy(
    conversation=timedelta(days=30),
    contact=timedelta(days=90),
    callback=timedelta(days=90),
    cancelled=timedelta(days=365),
    handled=timedelta(days=1826),
)
# Transcripts written and read by the test itself (the web app's own: `sealer(settings)`).
SEALER = sealer(Settings(secret_key="test-secret-retention"))


def days_ago(days: float) -> datetime:
    return utcnow() - timedelta(days=days)


def melding(melder: str | None = None, naam: str | None = "Anna de Vries") -> CaseIn:
    return CaseIn(
        type="melding",
        omschrijving="De lantaarnpaal bij de speeltuin brandt niet meer.",
        categorie="straatverlichting-openbare-klok",
        locatie={"straat": "Parklaan", "huisnummer": "12"},
        kanaal=(melder or "rest:x").split(":", 1)[0],
        melder=melder,
        contact={"naam": naam, "telefoon": "0612345678"} if naam else None,
    )


# --- fixtures and helpers -------------------------------------------------------------------


@pytest_asyncio.fixture
async def store(db_url):
    store = CaseStore.from_url(db_url)
    yield store
    await store.close()


@pytest_asyncio.fixture
async def outbox(db_url):
    """The action server's outbox, here in the same database (BALIE_OUTBOX_URL)."""
    outbox = Outbox(create_engine(db_url), SEALER)
    await outbox._setup()
    yield outbox
    await outbox.close()


@pytest_asyncio.fixture
async def retention(store, outbox):
    # The outbox's owner is asked directly, as on the command line (the web app asks the
    # action server over HTTP: tests/test_outbox_retention.py).
    retention = Retention(store.engine, tracker=store.engine, outbox=outbox, policy=POLICY)
    yield retention
    await retention.close()


_tracker_stores: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _close_tracker_stores():
    yield
    while _tracker_stores:
        _, tracker_store = _tracker_stores.popitem()
        tracker_store.engine.dispose()  # before the test's database is dropped


def rasa_store(db_url: str) -> Any:
    """Rasa's own SQL tracker store on this database, configured as endpoints.yml does."""
    if db_url not in _tracker_stores:
        from rasa.core.tracker_store import SQLTrackerStore
        from rasa.shared.core.domain import Domain

        url = sync_url(db_url)
        _tracker_stores[db_url] = SQLTrackerStore(
            Domain.empty(),
            dialect=url.get_backend_name(),
            host=url.render_as_string(hide_password=False),
        )
    return _tracker_stores[db_url]


async def conversation(db_url: str, sender: str, *ages_in_days: float) -> None:
    """A conversation in Rasa's tracker store: a user and a bot event per age."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker_store = rasa_store(db_url)
    tracker = await tracker_store.retrieve(sender) or DialogueStateTracker(sender, [])
    for age in ages_in_days:
        stamp = days_ago(age).timestamp()
        tracker.update(
            UserUttered(
                "mijn telefoonnummer is 0612345678",
                {"name": "informeren", "confidence": 0.9},
                timestamp=stamp,
                input_channel="telegram",
            )
        )
        tracker.update(ActionExecuted("utter_dank", timestamp=stamp))
        tracker.update(BotUttered("Dank u wel.", timestamp=stamp))
    await tracker_store.save(tracker)


async def event_senders(engine) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(EVENTS.c.sender_id, sa.func.count()).group_by(EVENTS.c.sender_id)
        )
        return {sender: n for sender, n in rows}


async def age_case(store: CaseStore, ident: str, days: float) -> None:
    """Move a case's creation and its whole status history `days` into the past."""
    when = days_ago(days)
    async with store.sessions() as session, session.begin():
        case_id = (
            await session.execute(sa.select(Case.id).where(Case.identificatie == ident))
        ).scalar_one()
        await session.execute(
            sa.update(Case).where(Case.id == case_id).values(aangemaakt_op=when, gewijzigd_op=when)
        )
        await session.execute(
            sa.update(StatusChange).where(StatusChange.case_id == case_id).values(op=when)
        )


async def make_case(
    store: CaseStore,
    status: str,
    closed_days: float,
    melder: str | None = None,
    *,
    photo: bool = False,
) -> str:
    case, _, _ = await store.create(melding(melder))
    if photo:
        await store.add_attachment(case.identificatie, "foto.png", "image/png", png_bytes())
    if status != "gemeld":
        await store.change_status(case.identificatie, status, "Klaar.", "anna")
    await age_case(store, case.identificatie, closed_days)
    return case.identificatie


async def set_column(store: CaseStore, column: Any, where: Any, value: Any) -> None:
    """UPDATE column's table SET column = value WHERE where."""
    async with store.sessions() as session, session.begin():
        update = sa.update(column.class_).where(where).values({column.key: value})
        await session.execute(update.execution_options(synchronize_session=False))


async def rows(store: CaseStore, query: Any) -> list[Any]:
    async with store.sessions() as session:
        return list((await session.execute(query)).scalars())


# --- the policy ------------------------------------------------------------------------------


def test_policy_from_environment() -> None:
    environ: dict[str, str] = {}
    env = Env(environ)
    policy = Policy.read(env)
    assert policy == Policy()
    assert policy.describe() == {
        "conversation": 30,
        "contact": 90,
        "callback": 90,
        "cancelled": 365,
        "handled": 1826,
    }
    assert read_purge_interval(env) == 3600
    # The widget's old variable still counts, the new one wins.
    environ["BALIE_CHAT_RETENTION_DAYS"] = "14"
    assert Policy.read(env).conversation == timedelta(days=14)
    environ["BALIE_RETENTION_CONVERSATION_DAYS"] = "7"
    environ["BALIE_RETENTION_HANDLED_DAYS"] = "2,5"
    assert Policy.read(env).conversation == timedelta(days=7)
    assert Policy.read(env).handled == timedelta(days=2.5)
    for bad in ("0", "-3", "dertig", "inf", "nan"):
        environ["BALIE_RETENTION_CONTACT_DAYS"] = bad
        with pytest.raises(ConfigError, match="BALIE_RETENTION_CONTACT_DAYS"):
            Policy.read(env)
    environ["BALIE_PURGE_INTERVAL_MINUTES"] = "0"
    assert read_purge_interval(env) is None  # off: purge from cron with `python -m bot purge`


# --- the purge -------------------------------------------------------------------------------


async def test_purge_deletes_what_is_past_its_term_and_keeps_the_rest(
    db_url, store, retention
) -> None:
    engine = store.engine
    # Conversations in Rasa's tracker store.
    await conversation(db_url, "oud", 45, 31)
    await conversation(db_url, "teruggekomen", 60, 1)  # came back: all of it stays
    await conversation(db_url, "nieuw", 2)
    # Widget conversations and staged photos.
    chat = ChatLog(store.sessions, SEALER)
    old_chat, _, _ = await chat.open(None)
    new_chat, _, _ = await chat.open(None)
    for conv in (old_chat, new_chat):
        await chat.append(conv.id, RESIDENT, {"text": "hallo"}, "m1")
        await chat.append(conv.id, BOT, {"text": "Goedendag"}, None)
    await set_column(store, ChatSession.actief_op, ChatSession.id == old_chat.id, days_ago(31))
    old_upload = await store.stage_upload("a.png", "image/png", png_bytes())
    new_upload = await store.stage_upload("b.png", "image/png", png_bytes())
    await set_column(store, Upload.aangemaakt_op, Upload.id == old_upload.id, days_ago(2))

    # Cases: (status, closed days ago) -> contact kept?, case kept?
    handled_100 = await make_case(store, "afgehandeld", 100, "telegram:1")
    handled_10 = await make_case(store, "afgehandeld", 10, "telegram:2")
    cancelled_400 = await make_case(store, "geannuleerd", 400, "telegram:3", photo=True)
    cancelled_200 = await make_case(store, "geannuleerd", 200)
    handled_1900 = await make_case(store, "afgehandeld", 1900, photo=True)
    open_2000 = await make_case(store, "in_behandeling", 2000)
    # Closed long ago, but staff added a note ten days ago: the term starts again.
    noted = await make_case(store, "afgehandeld", 100)
    await store.change_status(noted, "afgehandeld", "Nog een aanvulling.", "anna")
    await set_column(
        store,
        StatusChange.op,
        sa.and_(StatusChange.status == "afgehandeld", StatusChange.toelichting.like("Nog%")),
        days_ago(10),
    )
    # A receipt of a case in Signalen, call-back requests, opt-outs.
    async with store.sessions() as session, session.begin():
        for n, age in ((1, 1900), (2, 100)):
            session.add(
                ExternalCase(
                    identificatie=f"M-2020-90000{n}",
                    backend="signalen",
                    type="melding",
                    external_id=f"sig-{n}",
                    controlecode_hash="x",
                    melder=f"telegram:9{n}",
                    aangemaakt_op=days_ago(age),
                )
            )
    for naam, age in (("Oud", 91), ("Nieuw", 5)):
        callback, _ = await store.create_callback(
            CallbackIn(naam=naam, telefoon="0612345678", kanaal="telegram")
        )
        await set_column(store, Callback.aangemaakt_op, Callback.id == callback.id, days_ago(age))
    for melder in ("telegram:1", "telegram:77", "telegram:78"):
        await store.opt_out(melder)
    await set_column(
        store,
        StatusOptOut.aangemaakt_op,
        StatusOptOut.melder.in_(("telegram:1", "telegram:77")),
        days_ago(40),
    )
    # Attempt counts: quiet for eight days goes, a fresh one (and a blocked one) stays.
    throttle = Throttle(store.sessions, Attempts.__table__)
    for name in ("oud", "nieuw", "geblokkeerd"):
        await throttle.count(attempt_key("test", name), timedelta(hours=1))
    await set_column(
        store, Attempts.laatste_op, Attempts.sleutel != attempt_key("test", "nieuw"), days_ago(8)
    )
    await set_column(
        store,
        Attempts.geblokkeerd_tot,
        Attempts.sleutel == attempt_key("test", "geblokkeerd"),
        days_ago(-1),
    )
    # Residents' feedback goes with the conversation's term (issue #16).
    for gesprek in ("oud", "nieuw"):
        await record_feedback(engine, FeedbackIn(gesprek, "faq:afval", False, "klopt niet"))
    await set_column(store, Feedback.aangemaakt_op, Feedback.gesprek == "oud", days_ago(31))
    last_before = (await store.get(open_2000)).identificatie

    # A dry run counts and changes nothing.
    expected = {
        "widgetgesprekken": 1,
        "fotos_in_wachtrij": 1,
        # handled_100 and cancelled_200; and those of the two cases deleted below
        "contactgegevens": 4,
        "zaken": 2,  # cancelled_400 and handled_1900
        "bijlagen": 2,
        "ontvangstbewijzen": 1,
        "terugbelverzoeken": 1,
        "afmeldingen": 1,  # telegram:77; telegram:1 still has a case
        "gesprekken": 1,
        "gebeurtenissen": 6,
        "pogingen": 1,
        "feedback": 1,
    }
    assert await retention.purge(dry_run=True) == expected
    assert len(await event_senders(engine)) == 3
    assert await store.get(cancelled_400) is not None
    assert await retention.purge() == expected
    assert await retention.purge() == dict.fromkeys(expected, 0)  # nothing left to do
    assert sorted(await rows(store, sa.select(Attempts.sleutel))) == sorted(
        [attempt_key("test", "nieuw"), attempt_key("test", "geblokkeerd")]
    )

    assert set(await event_senders(engine)) == {"teruggekomen", "nieuw"}
    assert (await event_senders(engine))["teruggekomen"] == 6
    assert await rows(store, sa.select(ChatSession.id)) == [new_chat.id]
    assert {e.session_id for e in await rows(store, sa.select(ChatEntry))} == {new_chat.id}
    assert await rows(store, sa.select(Upload.id)) == [new_upload.id]

    async def contact_of(ident: str) -> bool:
        case = await store.get(ident)
        assert case is not None, ident
        return case.contact is not None

    assert not await contact_of(handled_100)
    assert await contact_of(handled_10)
    assert not await contact_of(cancelled_200)
    assert await contact_of(open_2000)
    assert await contact_of(noted)
    assert await store.get(cancelled_400) is None and await store.get(handled_1900) is None
    # Their history, contacts and photos went with them; nothing dangles.
    case_ids = set(await rows(store, sa.select(Case.id)))
    for model in (StatusChange, Contact, Attachment):
        assert set(await rows(store, sa.select(model.case_id))) <= case_ids
    assert await rows(store, sa.select(Attachment.id)) == []
    assert await rows(store, sa.select(ExternalCase.external_id)) == ["sig-2"]
    assert await rows(store, sa.select(Callback.naam)) == ["Nieuw"]
    assert sorted(await rows(store, sa.select(StatusOptOut.melder))) == [
        "telegram:1",
        "telegram:78",
    ]
    # Identifiers are never handed out again: seven meldingen were made, two deleted,
    # and the next one is number eight.
    new_case, _, _ = await store.create(melding())
    assert int(new_case.identificatie[-6:]) == 8 > int(last_before[-6:])


async def test_purge_on_a_fresh_install_without_tracker_table(db_url, store, tmp_path) -> None:
    """Rasa never ran: nothing breaks."""
    tracker_url = f"sqlite:///{tmp_path / 'nog-geen-tracker.sqlite'}"
    retention = Retention(store.engine, tracker=db_url, policy=POLICY)
    counts = await retention.purge()
    assert counts["gesprekken"] == counts["gebeurtenissen"] == 0
    assert "outbox" not in counts  # the action server's: it purges it itself
    assert (await retention.forget("telegram", "5"))["gebeurtenissen"] == 0
    await retention.close()
    other = Retention(store.engine, tracker=tracker_url, policy=POLICY)
    assert (await other.purge())["gesprekken"] == 0
    await other.close()
    assert not (tmp_path / "nog-geen-tracker.sqlite").exists()


async def test_only_one_instance_purges_at_a_time(db_url, store, retention) -> None:
    if store.engine.dialect.name != "postgresql":
        assert await retention.purge_exclusive() is not None  # SQLite: one machine, just run
        return
    other = sa.create_engine(sync_url(db_url))
    with other.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": PURGE_LOCK})
        # Another web-app instance is purging: this one skips its round.
        assert await retention.purge_exclusive() is None
        conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": PURGE_LOCK})
    other.dispose()
    assert await retention.purge_exclusive() is not None
    # The lock was given back: the next round (or another instance) can take it again.
    assert await retention.purge_exclusive() is not None
    # Two rounds at once in one process: one after the other, never together.
    both = await asyncio.gather(retention.purge_exclusive(), retention.purge_exclusive())
    assert all(result is not None for result in both)


# --- forgetting ------------------------------------------------------------------------------


async def residents(db_url: str, store: CaseStore, outbox: Outbox) -> dict[str, Any]:
    """Two Telegram residents, a REST client with the same number, a widget resident."""
    made: dict[str, Any] = {}
    for melder in ("telegram:111", "telegram:222", "rest:111"):
        made[melder] = (await store.create(melding(melder)))[0].identificatie
        await store.create_callback(
            CallbackIn(naam="Piet", telefoon="0612345678", kanaal="telegram", melder=melder)
        )
        await store.opt_out(melder)
    async with store.sessions() as session, session.begin():
        session.add(
            ExternalCase(
                identificatie="M-2026-800001",
                backend="zgw",
                type="melding",
                external_id="zaak-1",
                controlecode_hash="x",
                melder="telegram:111",
            )
        )
    async with store.sessions() as session, session.begin():
        receipt_id = await session.scalar(sa.select(ExternalCase.id))
        for melder in ("telegram:111", "telegram:222"):  # following it (issue #18)
            session.add(ExternalFollower(receipt_id=receipt_id, melder=melder, kanaal="telegram"))
    await conversation(db_url, "111", 1)
    await conversation(db_url, "222", 1)
    chat = ChatLog(store.sessions, SEALER)
    web_chat, _, _ = await chat.open(None)
    await chat.append(web_chat.id, RESIDENT, {"text": "mijn mail is a@b.nl"}, "w1")
    await conversation(db_url, web_chat.sender, 1)
    made["web"] = (await store.create(melding(f"web:{web_chat.sender}")))[0].identificatie
    made["web_chat"] = web_chat
    payload = {"omschrijving": "x", "melder": "telegram:111", "contact": {"naam": "Piet"}}
    for key, sender, kind, state in (
        ("111-geleverd", "111", "case", "delivered"),
        ("111-wachtend", "111", "case", "pending"),
        ("111-terugbellen", "111", "callback", "pending"),
        ("222-wachtend", "222", "case", "pending"),
    ):
        body = payload | {"melder": f"telegram:{sender}"}
        await outbox.put(key, kind, body, sender)
        if state == "delivered":
            await outbox.delivered(
                await outbox.get(key), {"identificatie": made[f"telegram:{sender}"]}
            )
    return made


async def test_forget_removes_exactly_that_residents_data(db_url, store, outbox, retention) -> None:
    made = await residents(db_url, store, outbox)
    for gesprek in ("111", "222"):  # their thumbs up/down on Telegram (issue #16)
        await record_feedback(store.engine, FeedbackIn(gesprek, "faq:afval", True))
    dry = await retention.forget("telegram", "111", dry_run=True)
    counts = await retention.forget("telegram", "111")
    assert (
        counts
        == dry
        == {
            "contactgegevens": 1,
            "ontkoppelde_zaken": 1,
            "ontkoppelde_meldingen": 0,
            "ontkoppelde_ontvangstbewijzen": 1,
            "ontkoppelde_volgers": 1,
            "terugbelverzoeken": 1,
            "afmeldingen": 1,
            "gebeurtenissen": 3,
            "outbox": 1,
            "outbox_geanonimiseerd": 1,
            "outbox_wachtend": 1,
            "feedback": 1,
            "livechatberichten": 0,
            "livechatgesprekken": 0,
        }
    )
    assert await rows(store, sa.select(Feedback.gesprek)) == ["222"]
    # The melding stays, without the link to the resident and without their contact.
    mine = await store.get(made["telegram:111"])
    assert mine is not None and mine.melder is None and mine.contact is None
    assert mine.omschrijving.startswith("De lantaarnpaal")
    assert (await store.list(filters_for("telegram:111")))[1] == 0
    # Nobody else lost anything: the other resident, nor the REST client with the same id.
    for melder in ("telegram:222", "rest:111"):
        other = await store.get(made[melder])
        assert other.melder == melder and other.contact.naam == "Anna de Vries"
        assert await store.opted_out(melder)
    assert sorted(c.melder for c in await store.callbacks()) == ["rest:111", "telegram:222"]
    senders = await event_senders(store.engine)
    assert "111" not in senders and {"222", made["web_chat"].sender} <= set(senders)
    assert await rows(store, sa.select(ExternalCase.melder)) == [None]
    followers = sa.select(ExternalFollower.melder).order_by(ExternalFollower.id)
    assert await rows(store, followers) == [None, "telegram:222"]
    # The outbox: the delivered entry went, the pending report goes without the person.
    assert await outbox.get("111-geleverd") is None
    pending = await outbox.get("111-wachtend")
    assert pending.state == "pending" and pending.payload["melder"] is None
    assert pending.payload["contact"] is None and pending.payload["omschrijving"] == "x"
    assert (await outbox.get("111-terugbellen")).state == "pending"
    assert (await outbox.get("222-wachtend")).payload["melder"] == "telegram:222"
    # Again: nothing left of them.
    again = await retention.forget("telegram", "111")
    assert again["gebeurtenissen"] == again["contactgegevens"] == again["outbox"] == 0


async def test_forget_a_widget_resident(db_url, store, outbox, retention) -> None:
    made = await residents(db_url, store, outbox)
    web_chat = made["web_chat"]
    counts = await retention.forget("web", web_chat.sender)
    assert counts["widgetgesprekken"] == 1 and counts["widgetberichten"] == 1
    assert counts["gebeurtenissen"] == 3 and counts["ontkoppelde_zaken"] == 1
    chat = ChatLog(store.sessions, SEALER)
    found = await chat.by_sender(web_chat.sender)
    assert found is not None and found[1] is True  # wiped: late replies are dropped
    assert await chat.after(web_chat.id, 0) == []
    assert (await store.get(made["web"])).melder is None
    assert web_chat.sender not in await event_senders(store.engine)
    assert (await store.get(made["telegram:111"])).melder == "telegram:111"


async def test_a_turn_running_while_forgetting_does_not_bring_the_conversation_back(
    db_url, store
) -> None:
    from rasa.shared.core.events import UserUttered

    retention = Retention(store.engine, tracker=store.engine, policy=POLICY, resweep_after=0.3)
    await conversation(db_url, "5555", 2, 1)
    # Rasa is in the middle of a turn: it holds the tracker in memory...
    running = await rasa_store(db_url).retrieve("5555")
    assert (await retention.forget("telegram", "5555"))["gebeurtenissen"] == 6
    # ...and saves it when the turn ends: everything it misses in the store comes back.
    await asyncio.sleep(0.05)
    running.update(UserUttered("nog een vraag", {"name": "hulp", "confidence": 1.0}))
    await rasa_store(db_url).save(running)
    assert (await event_senders(store.engine))["5555"] == 7
    # The second sweep deletes what is from before the moment of forgetting, not after.
    left = await eventually(lambda: _only_new(store, "5555"))
    assert left == 1
    await retention.close()


async def _only_new(store: CaseStore, sender: str) -> int:
    n = (await event_senders(store.engine)).get(sender, 0)
    return n if n < 7 else 0


def filters_for(melder: str) -> Any:
    from webapp.cases.store import Filters

    return Filters(melder=melder)


def test_forget_input_is_checked() -> None:
    assert ForgetIn(kanaal="telegram", id=" 12345 ").id == "12345"
    for bad in (
        {"kanaal": "telegram", "id": "abc"},
        {"kanaal": "fax", "id": "1"},
        {"kanaal": "rest", "id": ""},
        {"kanaal": "rest", "id": "x" * 101},
        {"kanaal": "rest", "id": "a\nb"},
        {"kanaal": "rest", "id": "1", "extra": 1},
    ):
        with pytest.raises(ValueError):
            ForgetIn(**bad)


# --- the command line ------------------------------------------------------------------------


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_cli_purge_and_forget(db_url, store, tmp_path) -> None:
    env = {
        "BALIE_DATABASE_URL": db_url,
        "BALIE_DATA_DIR": str(tmp_path / "data"),
        "BALIE_OUTBOX_URL": "",
        "BALIE_OUTBOX_PATH": str(tmp_path / "outbox.sqlite"),
        "BALIE_TRACKER_DATABASE_URL": "",
        "BALIE_RETENTION_CONVERSATION_DAYS": "10",
    }
    await conversation(db_url, "12345", 11)
    await conversation(db_url, "67890", 1)
    ident = (await store.create(melding("telegram:67890")))[0].identificatie

    dry = await asyncio.to_thread(run_cli, env, "purge", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "conversation 10" in dry.stdout and "Dry run" in dry.stdout
    assert "12345" in await event_senders(store.engine)
    done = await asyncio.to_thread(run_cli, env, "purge")
    assert done.returncode == 0, done.stderr
    assert "gesprekken" in done.stdout and "12345" not in await event_senders(store.engine)
    # Both owners purged: the web app's data and the action server's outbox and guesses.
    assert "outbox" in done.stdout and "raadpogingen" in done.stdout
    assert "12345" not in done.stderr  # counts only in the log, never who

    forget = await asyncio.to_thread(
        run_cli, env, "forget", "--kanaal", "telegram", "--id", "67890"
    )
    assert forget.returncode == 0, forget.stderr
    assert "ontkoppelde_zaken" in forget.stdout and "67890" not in forget.stderr
    assert "outbox_geanonimiseerd" in forget.stdout
    assert (await store.get(ident)).melder is None
    assert await event_senders(store.engine) == {}

    bad = await asyncio.to_thread(run_cli, env, "forget", "--kanaal", "telegram", "--id", "abc")
    assert bad.returncode == 2 and "chat's number" in bad.stderr
    wrong = await asyncio.to_thread(run_cli, env | {"BALIE_RETENTION_CONTACT_DAYS": "nul"}, "purge")
    assert wrong.returncode == 2 and "BALIE_RETENTION_CONTACT_DAYS" in wrong.stderr


# --- the Case API and the periodic purge in the web app ------------------------------------


@pytest.fixture(scope="module")
def action_server(tmp_path_factory):
    """The action server the web app asks to forget a resident's outbox entries."""
    with running_action_server(tmp_path_factory.mktemp("actions")) as server:
        yield server


@asynccontextmanager
async def running_web_app(
    db_url: str, tmp_path: Path, action_server: Any, **fields: Any
) -> AsyncIterator[WebSettings]:
    """The web app on db_url, forgetting outbox entries at action_server; `fields` of its
    settings as given."""
    settings = make_settings(
        tmp_path,
        configured_database_url=db_url,
        configured_api_token=TOKEN,
        **action_server.web_settings(),
        **fields,
    )
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.web_port).start()
    try:
        yield settings
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture
async def web_app(db_url, tmp_path, action_server):
    async with running_web_app(db_url, tmp_path, action_server) as settings:
        yield settings


async def test_forget_endpoint(db_url, store, web_app) -> None:
    ident = (await store.create(melding("telegram:4242")))[0].identificatie
    await conversation(db_url, "4242", 1)
    url = f"{web_app.web_url}/api/v1/vergeten"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"kanaal": "telegram", "id": "4242"}) as resp:
            assert resp.status == 401
        bad_bodies: list[tuple[Any, int]] = [
            ({"kanaal": "telegram", "id": "abc"}, 422),
            ({"kanaal": "sms", "id": "1"}, 422),
            ({"kanaal": "telegram"}, 422),
            ({"kanaal": "telegram", "id": "1", "naam": "x"}, 422),
            ([1, 2], 400),
        ]
        for body, status in bad_bodies:
            async with http.post(url, json=body, headers=AUTH) as resp:
                assert resp.status == status, body
                error = await resp.json()
                assert error["status"] == status and error["error"]
        async with http.post(url, data="geen json", headers=AUTH) as resp:
            assert resp.status == 415 and "JSON" in (await resp.json())["error"]
        async with http.post(
            url, data="{kapot", headers=AUTH | {"Content-Type": "application/json"}
        ) as resp:
            assert resp.status == 400
        async with http.post(url, json={"kanaal": "telegram", "id": "4242"}, headers=AUTH) as resp:
            assert resp.status == 200
            body = await resp.json()
        assert body["kanaal"] == "telegram" and body["verwijderd"]["ontkoppelde_zaken"] == 1
        assert body["verwijderd"]["gebeurtenissen"] == 3
        async with http.get(f"{web_app.web_url}/api/v1/openapi.json") as resp:
            document = await resp.json()
        assert "post" in document["paths"]["/vergeten"]
        assert "ForgetIn" in document["components"]["schemas"]
    assert (await store.get(ident)).melder is None


async def eventually(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.05)


async def test_the_web_app_purges_periodically(db_url, store, tmp_path, action_server) -> None:
    async with running_web_app(
        db_url, tmp_path, action_server, retention=POLICY, purge_interval=0.12
    ):
        await _purges_periodically(db_url, store)


async def _purges_periodically(db_url: str, store: CaseStore) -> None:
    await conversation(db_url, "oud-gesprek", 40)
    await conversation(db_url, "lopend-gesprek", 0.01)
    callback, _ = await store.create_callback(
        CallbackIn(naam="Oud", telefoon="0612345678", kanaal="rest")
    )
    await set_column(store, Callback.aangemaakt_op, Callback.id == callback.id, days_ago(100))

    async def purged() -> bool:
        senders = await event_senders(store.engine)
        return "oud-gesprek" not in senders and not await store.callbacks()

    assert await eventually(purged)
    assert "lopend-gesprek" in await event_senders(store.engine)
    # It keeps running: what ages after the first round goes in a later one.
    await conversation(db_url, "later-oud", 45)
    later = await eventually(lambda: _without(store, "later-oud"))
    assert later, "the periodic purge stopped after its first round"


async def _without(store: CaseStore, sender: str) -> bool:
    return sender not in await event_senders(store.engine)


# --- self-service: Telegram /vergeet and the widget -----------------------------------------


@pytest.fixture(scope="module")
def fake_telegram():
    server = FakeTelegram().start()
    yield server
    server.stop()


async def test_telegram_vergeet_asks_then_forgets(db_url, store, web_app, fake_telegram) -> None:
    config = TelegramConfig(fake_telegram.token, "geheim_1", "", fake_telegram.url)
    channel = TelegramInput(config, web_app)  # the web app's Case API and token
    await channel.start()
    received: list[Any] = []

    async def on_new(message: Any) -> None:
        received.append(message)

    chat_id = 7000 + len(fake_telegram._chats)  # the fake lives for the whole module
    chat = TelegramChat(fake_telegram, chat_id)
    fake_telegram._chats[chat.chat_id] = chat.chat
    ident = (await store.create(melding(f"telegram:{chat_id}")))[0].identificatie
    await conversation(db_url, str(chat_id), 1)

    async def next_message(count: int) -> dict[str, Any]:
        async def arrived() -> bool:
            return len(fake_telegram.sent(chat.chat_id)) >= count

        assert await eventually(arrived), fake_telegram.sent(chat.chat_id)
        return fake_telegram.sent(chat.chat_id)[count - 1]

    try:
        channel.dispatch(chat.text("/vergeet"), on_new)
        question = await next_message(1)
        assert "Wat blijft" in question["text"] and "Telegram" in question["text"]
        titles = [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row]
        assert titles == [texts.FORGET_YES, texts.FORGET_NO]
        channel.dispatch(chat.click(question, texts.FORGET_NO), on_new)
        assert (await next_message(2))["text"] == texts.FORGET_CANCELLED
        assert (await store.get(ident)).melder == f"telegram:{chat_id}"

        channel.dispatch(chat.text("/vergeet@balie_test_bot"), on_new)
        question = await next_message(3)
        channel.dispatch(chat.click(question, texts.FORGET_YES), on_new)
        assert (await next_message(4))["text"] == texts.FORGET_DONE
        case = await store.get(ident)
        assert case.melder is None and case.contact is None
        assert str(chat_id) not in await event_senders(store.engine)
        # Typing the button's payload does not forget anybody: it goes to Rasa as text.
        channel.dispatch(chat.text(commands.FORGET_YES), on_new)
        assert await eventually(lambda: _received(received))
        assert received[0].text == commands.FORGET_YES.lstrip("/")
        assert len(fake_telegram.sent(chat.chat_id)) == 4
    finally:
        await channel.stop()


async def _received(received: list[Any]) -> bool:
    return bool(received)


async def test_widget_vergeet_asks_then_forgets(db_url, store, tmp_path, action_server) -> None:
    """Also from an address that has used up its new conversations: forgetting is a right,
    and the conversation that tells the resident so replaces the forgotten one."""
    one_new_per_hour = {"widget_new_per_hour": 1}
    async with running_web_app(db_url, tmp_path, action_server, **one_new_per_hour) as settings:
        await _widget_vergeet(db_url, store, settings)


async def _widget_vergeet(db_url: str, store: CaseStore, web_app: WebSettings) -> None:
    base = web_app.web_url
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{base}/chat/ws", origin=base)
        await ws.send_json({"type": "hello", "session": None, "after": 0})
        welcome = await ws.receive_json(timeout=10)
        assert welcome["type"] == "welcome" and (await ws.receive_json())["type"] == "synced"
        token = welcome["session"]
        async with store.sessions() as session:
            sender = (await session.get(ChatSession, token_hash(token))).sender
        ident = (await store.create(melding(f"web:{sender}")))[0].identificatie
        await conversation(db_url, sender, 0.1)

        async def messages(n: int) -> list[dict[str, Any]]:
            got = []
            while len(got) < n:
                frame = await ws.receive_json(timeout=10)
                if frame["type"] == "message":
                    got.append(frame)
            return got

        await ws.send_json({"type": "message", "id": "v1", "text": "/vergeet"})
        mine, question = await messages(2)
        assert mine["id"] == "v1" and mine["from"] == "user"
        assert question["from"] == "bot" and "Wat blijft" in question["text"]
        assert [b["payload"] for b in question["buttons"]] == [
            commands.FORGET_YES,
            commands.FORGET_NO,
        ]

        # "Nee": nothing is removed.
        await ws.send_json(
            {
                "type": "message",
                "id": "v2",
                "text": commands.FORGET_NO,
                "label": "Nee",
                "button": True,
            }
        )
        _, cancelled = await messages(2)
        assert cancelled["text"] == texts.FORGET_CANCELLED
        assert (await store.get(ident)).melder == f"web:{sender}"

        # Asked again, and this time "Ja".
        await ws.send_json({"type": "message", "id": "v3", "text": "/vergeet"})
        await messages(2)
        await ws.send_json(
            {
                "type": "message",
                "id": "v4",
                "text": commands.FORGET_YES,
                "label": texts.FORGET_YES,
                "button": True,
            }
        )
        frames = []
        while not frames or frames[-1]["type"] != "synced":
            frames.append(await ws.receive_json(timeout=10))
        fresh = next(f for f in frames if f["type"] == "welcome")
        assert fresh["new"] is True and fresh["session"] != token
        shown = [f for f in frames if f["type"] == "message"]
        assert [(f["seq"], f["from"]) for f in shown] == [(1, "user"), (2, "bot")]
        assert shown[0]["id"] == "v4" and shown[1]["text"] == texts.FORGET_DONE
        await ws.close()

        # The old conversation is gone here and in Rasa; the melding stays without them.
        chat = ChatLog(store.sessions, sealer(web_app))
        assert await chat.find(token) is None
        assert await chat.after(token_hash(token), 0) == []
        assert sender not in await event_senders(store.engine)
        assert (await store.get(ident)).melder is None

        # Forged: a button Balie never offered in this conversation is refused.
        ws = await http.ws_connect(f"{base}/chat/ws", origin=base)
        await ws.send_json({"type": "hello", "session": fresh["session"], "after": 2})
        assert (await ws.receive_json())["type"] == "welcome"
        assert (await ws.receive_json())["type"] == "synced"
        await ws.send_json(
            {
                "type": "message",
                "id": "v5",
                "text": commands.FORGET_YES,
                "label": "x",
                "button": True,
            }
        )
        refused = await ws.receive_json(timeout=10)
        assert refused["type"] == "error" and refused["id"] == "v5"
        await ws.close()


async def test_forget_a_telegram_residents_live_chat(db_url, store, outbox, retention) -> None:
    """A Telegram chat that talked with a medewerker has that chat in the widget's log
    (webapp/live/telegram.py): forgetting the resident wipes it too."""
    chat = ChatLog(store.sessions, SEALER)
    conversation, _, _ = await chat.open(None)
    async with store.sessions() as session, session.begin():
        row = await session.get(ChatSession, conversation.id)
        row.sender = "telegram:333"
    await chat.append(conversation.id, "inwoner", {"text": "Bel mij op 06-12345678"}, "t-1")
    counts = await retention.forget("telegram", "333")
    assert counts["livechatgesprekken"] == 1 and counts["livechatberichten"] == 1
    found = await chat.by_sender("telegram:333")
    assert found is not None and found[1] is True
    assert await chat.after(conversation.id, 0) == []
