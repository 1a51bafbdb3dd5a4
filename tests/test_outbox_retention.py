"""The action server purges and forgets what it owns: its outbox and its guess counts
(issue #13: each table has one owning process), on real SQLite and PostgreSQL.

The web app never opens the outbox: it asks the action server (`POST /vergeten`) when a
resident is forgotten, and the action server purges on its own rhythm.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa
from aiohttp import web

from actions import guesser
from actions import retention as action_server_retention
from actions.outbox import Outbox
from core.caseapi.models import CaseIn
from core.db import create_engine
from core.privacy.retention import Policy
from core.privacy.sealing import sealer
from core.settings import Settings
from core.throttle import key
from tests.action_server import running as running_action_server
from tests.conftest import free_port, make_settings
from webapp.app import create_app
from webapp.cases.store import CaseStore
from webapp.privacy.action_server import ActionServer
from webapp.privacy.retention import RETENTION_KEY

POLICY = Policy(conversation=timedelta(days=30), contact=timedelta(days=90))
API_TOKEN = "test-token-outbox-retention-0123"
CONTACT = {"naam": "Anna", "telefoon": "0612345678"}
# The action server and this test open each other's sealed payloads, as the processes of
# one installation do (BALIE_SECRET_KEY).
SECRET_KEY = "test-secret-outbox-retention"


def days_ago(days: float) -> float:
    return (datetime.now(timezone.utc) - timedelta(days=days)).timestamp()


@pytest_asyncio.fixture
async def outbox(db_url):
    outbox = Outbox(create_engine(db_url), sealer(Settings(secret_key=SECRET_KEY)))
    await outbox._setup()
    yield outbox
    await outbox.close()


async def entries(outbox: Outbox, *rows: tuple[str, str, float, str]) -> None:
    """(key, state, age in days, sender) entries, as the action server writes them."""
    for name, state, age, sender in rows:
        body = {"omschrijving": "x", "melder": f"telegram:{sender}", "contact": CONTACT}
        await outbox.put(name, "case", body, sender)
        if state == "delivered":
            await outbox.delivered(await outbox.get(name), {"identificatie": "M-2026-000001"})
        elif state == "rejected":
            await outbox.rejected(name, "refused")
        async with outbox.engine.begin() as conn:
            await conn.execute(
                sa.text("UPDATE outbox SET created = :c WHERE key = :k"),
                {"c": days_ago(age), "k": name},
            )


async def states(outbox: Outbox, *names: str) -> dict[str, str]:
    found = [await outbox.get(name) for name in names]
    return {e.key: e.state for e in found if e is not None}


async def test_the_outbox_purge_keeps_what_is_pending(outbox) -> None:
    await entries(
        outbox,
        ("geleverd-oud", "delivered", 31, "1"),
        ("geleverd-nieuw", "delivered", 2, "1"),
        ("geweigerd-31", "rejected", 31, "1"),
        ("geweigerd-100", "rejected", 100, "1"),
        ("wachtend-oud", "pending", 400, "1"),
    )
    # Guess counts in the same database: quiet for eight days goes, a fresh one stays.
    try:
        throttle = guesser.throttle(outbox)
        await action_server_retention.purge(outbox, POLICY, dry_run=True)  # makes the table
        for name in ("oud", "nieuw"):
            await throttle.count(key("test", name), timedelta(hours=1))
        async with throttle.sessions() as session, session.begin():
            counts = guesser.GUESSES
            await session.execute(
                sa.update(counts)
                .where(counts.c.sleutel == key("test", "oud"))
                .values(laatste_op=datetime.now(timezone.utc) - timedelta(days=8))
            )
        expected = {"outbox": 2, "raadpogingen": 1}
        assert await action_server_retention.purge(outbox, POLICY, dry_run=True) == expected
        assert await action_server_retention.purge(outbox, POLICY) == expected
        assert await action_server_retention.purge(outbox, POLICY) == {
            "outbox": 0,
            "raadpogingen": 0,
        }
        assert await throttle.counted(key("test", "nieuw")) == 1
        assert await throttle.counted(key("test", "oud")) == 0
    finally:
        await guesser.close()
    # A pending entry is never deleted, however old: the report must reach the case system.
    assert await states(
        outbox, "geleverd-oud", "geleverd-nieuw", "geweigerd-31", "geweigerd-100", "wachtend-oud"
    ) == {"geleverd-nieuw": "delivered", "geweigerd-31": "rejected", "wachtend-oud": "pending"}


async def eventually(check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


async def test_the_action_server_purges_its_outbox_periodically(db_url, outbox, tmp_path) -> None:
    await entries(
        outbox, ("geleverd-oud", "delivered", 40, "1"), ("wachtend-oud", "pending", 40, "1")
    )
    env = {
        "BALIE_OUTBOX_URL": db_url,
        "BALIE_SECRET_KEY": SECRET_KEY,
        "BALIE_PURGE_INTERVAL_MINUTES": "0.002",
    }
    with running_action_server(tmp_path / "actions", env) as server:

        async def purged() -> bool:
            return await outbox.get("geleverd-oud") is None

        assert await eventually(purged), server.log.read_text()
        # It keeps running: what ages after the first round goes in a later one.
        await entries(outbox, ("later-oud", "delivered", 40, "2"))

        async def later() -> bool:
            return await outbox.get("later-oud") is None

        assert await eventually(later), "the periodic purge stopped after its first round"
    assert (await outbox.get("wachtend-oud")).state == "pending"


@pytest_asyncio.fixture
async def web_app(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("BALIE_DATABASE_URL", db_url)
    monkeypatch.setenv("BALIE_API_TOKEN", API_TOKEN)
    monkeypatch.delenv("BALIE_TRACKER_DATABASE_URL", raising=False)
    settings = make_settings(
        tmp_path, configured_database_url=db_url, configured_api_token=API_TOKEN
    )
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.web_port).start()
    store = CaseStore.from_url(db_url)
    yield settings, store, app[RETENTION_KEY]
    await store.close()
    await runner.cleanup()


def melding(melder: str) -> CaseIn:
    return CaseIn(
        type="melding",
        omschrijving="De lantaarnpaal bij de speeltuin brandt niet meer.",
        categorie="straatverlichting-openbare-klok",
        locatie={"straat": "Parklaan", "huisnummer": "12"},
        kanaal="telegram",
        melder=melder,
        contact={"naam": "Anna de Vries", "telefoon": "0612345678"},
    )


async def forget(settings: Any, identity: str) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    body = {"kanaal": "telegram", "id": identity}
    async with aiohttp.ClientSession() as http:
        url = f"{settings.web_url}/api/v1/vergeten"
        async with http.post(url, json=body, headers=headers) as resp:
            return resp.status, await resp.json()


async def test_forgetting_in_the_web_app_reaches_the_outbox_through_its_owner(
    db_url, outbox, web_app, tmp_path, monkeypatch
) -> None:
    settings, store, retention = web_app
    await entries(
        outbox, ("111-geleverd", "delivered", 1, "111"), ("111-wachtend", "pending", 1, "111")
    )
    ident = (await store.create(melding("telegram:111")))[0].identificatie

    # The action server is away: what the web app holds is forgotten, the answer says
    # it did not all work, and the report on its way still carries the name.
    retention.outbox = ActionServer(f"http://127.0.0.1:{free_port()}", "x" * 32)
    status, body = await forget(settings, "111")
    assert status == 503 and "action server" in body["error"]
    assert (await store.get(ident)).melder is None
    assert (await outbox.get("111-wachtend")).payload["contact"] == CONTACT

    env = {"BALIE_OUTBOX_URL": db_url, "BALIE_SECRET_KEY": SECRET_KEY}
    with running_action_server(tmp_path / "actions", env) as server:
        # Where the web app finds it: BALIE_ACTION_URL, as Rasa does.
        found = dataclasses.replace(settings, **server.web_settings())
        retention.outbox = ActionServer.from_settings(found)
        # Asked again, the outbox's owner forgets too.
        status, body = await forget(settings, "111")
        assert status == 200, body
        assert body["verwijderd"]["outbox"] == 1, body
        assert body["verwijderd"]["outbox_geanonimiseerd"] == 1
        # Only Rasa's token opens the action server's routes; nonsense is refused.
        async with aiohttp.ClientSession() as http:
            url = f"{server.url}/vergeten"
            async with http.post(url, json={"kanaal": "telegram", "id": "111"}) as resp:
                assert resp.status == 401
            auth = {"Authorization": f"Bearer {server.token}"}
            for bad, status in (
                ({"kanaal": "fax", "id": "1"}, 422),
                ({"kanaal": "telegram", "id": ""}, 422),
                ({"kanaal": "telegram"}, 422),
                ([1], 400),
            ):
                async with http.post(url, json=bad, headers=auth) as resp:
                    assert resp.status == status, bad
            async with http.post(url, data=b"{kapot", headers=auth) as resp:
                assert resp.status == 400 and "error" in await resp.json()
    assert await outbox.get("111-geleverd") is None
    pending = await outbox.get("111-wachtend")
    assert pending.state == "pending" and pending.payload["contact"] is None
    assert pending.payload["melder"] is None and pending.payload["omschrijving"] == "x"


@pytest.mark.parametrize("setting", ["0", "-1"])
def test_a_bad_purge_interval_is_refused_or_off(setting: str) -> None:
    from core.privacy.retention import read_purge_interval
    from core.settings import ConfigError, Env

    env = Env({"BALIE_PURGE_INTERVAL_MINUTES": setting})
    if setting == "0":
        assert read_purge_interval(env) is None
    else:
        with pytest.raises(ConfigError):
            read_purge_interval(env)
