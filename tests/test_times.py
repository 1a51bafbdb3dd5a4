"""A moment from the resident's words to every place it is stored, shown or sent.

Real parts on loopback: the melding form's validation with an injected clock, the outbox
payload, the built-in backend, the Case API and the staff console on SQLite and
PostgreSQL, and the migration that converts old SQLite rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa
from alembic import command
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import core.content
from actions.backends.builtin import BuiltinBackend
from actions.delivery import case_from_payload, case_payload
from actions.melding import ValidateMeldingForm, summary_values
from actions.submit import new_case
from core import clock
from core.caseapi.client import CaseApiClient
from core.db import sync_url
from core.settings import Settings
from tests.conftest import free_port
from tests.staff_helpers import Client, create_users, settings_in, web_app
from tests.test_case_api import MELDING
from tests.webapp import AUTH, TOKEN
from webapp.cases.migrate import alembic_config
from webapp.cases.store import CaseStore
from webapp.staff.config import StaffConfig

AMS = ZoneInfo("Europe/Amsterdam")
UTC = timezone.utc


class Web:
    def __init__(self, base: str, api: aiohttp.ClientSession, staff: Client) -> None:
        self.base, self.api, self.staff = base, api, staff

    async def create(self, tijdstip: str) -> dict:  # type: ignore[type-arg]
        async with self.api.post("/api/v1/cases", json=MELDING | {"tijdstip": tijdstip}) as resp:
            assert resp.status == 201, await resp.text()
            return await resp.json()

    async def case(self, identificatie: str) -> dict:  # type: ignore[type-arg]
        async with self.api.get(f"/api/v1/cases/{identificatie}") as resp:
            assert resp.status == 200
            return await resp.json()

    async def staff_page(self, identificatie: str) -> str:
        status, page = await self.staff.get(f"/staff/zaken/{identificatie}")
        assert status == 200
        return page


@pytest_asyncio.fixture
async def web(db_url, tmp_path) -> AsyncIterator[Web]:
    """The whole web app on loopback on SQLite or PostgreSQL, a medewerker logged in."""
    port = free_port()
    settings = settings_in(
        tmp_path,
        port,
        configured_database_url=db_url,
        configured_api_token=TOKEN,
        staff=StaffConfig(data_file=tmp_path / "staff.yml"),
    )
    async with web_app(settings, port) as base:
        await create_users(db_url, {"mia": ["medewerker"]})
        staff = Client(base)
        assert (await staff.login("mia"))[0] == 200
        async with aiohttp.ClientSession(base, headers=AUTH) as api:
            yield Web(base, api, staff)
        await staff.close()


def tracker(text: str, slots: dict | None = None) -> Tracker:  # type: ignore[type-arg]
    message = {"text": text, "intent": {"name": "inform", "confidence": 0.9}, "entities": []}
    return Tracker("tijd-test", slots or {}, message, [], False, None, None, None)


def local_time_on_page(page: str, label: str) -> str:
    return re.search(rf"<dt>{label}</dt><dd>([^<]*)</dd>", page)[1]  # type: ignore[index]


async def test_nu_net_at_16_04_is_16_04_everywhere(web: Web, monkeypatch) -> None:
    """The form (clock injected) -> outbox payload -> built-in backend -> Case API -> console."""
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 21, 16, 4, 31, tzinfo=AMS))
    form = ValidateMeldingForm()
    slot = await form.validate_tijdstip("nu net", CollectingDispatcher(), tracker("nu net"), {})
    assert slot == {"tijdstip": {"iso": "2026-11-21T16:04:00+01:00", "tekst": "vandaag om 16:04"}}
    filled = tracker(
        "ja",
        {**slot, **{k: MELDING[k] for k in ("omschrijving", "categorie", "locatie")}},
    )
    assert summary_values(filled)["tijdstip_tekst"] == "vandaag om 16:04"  # what the resident sees
    # Through the outbox's JSON, as a queued submission travels.
    case = case_from_payload(json.loads(json.dumps(case_payload(new_case(filled, "melding")))))
    backend = BuiltinBackend(CaseApiClient(f"{web.base}/api/v1", TOKEN))
    try:
        created = await backend.create_case(case)
    finally:
        await backend.close()
    got = await web.case(created.identificatie)
    assert got["tijdstip"] == "2026-11-21T16:04:00+01:00"
    page = await web.staff_page(created.identificatie)
    assert local_time_on_page(page, "Tijdstip van het voorval") == "21-11-2026 16:04"


async def test_an_instant_round_trips_and_staff_see_local_time(web: Web) -> None:
    created = await web.create("2026-11-21T23:00:00+01:00")
    assert created["tijdstip"] == "2026-11-21T23:00:00+01:00"
    got = await web.case(created["identificatie"])
    assert got["tijdstip"] == "2026-11-21T23:00:00+01:00"
    page = await web.staff_page(created["identificatie"])
    assert local_time_on_page(page, "Tijdstip van het voorval") == "21-11-2026 23:00"
    # The same instant in UTC, and a summer one: answered in local time, same instant.
    assert (await web.create("2026-11-21T22:00:00Z"))["tijdstip"] == "2026-11-21T23:00:00+01:00"
    assert (await web.create("2026-07-01T09:15:00+00:00"))["tijdstip"] == (
        "2026-07-01T11:15:00+02:00"
    )
    # Every other moment comes with the local offset too, and is the real time of creation.
    made = datetime.fromisoformat(got["aangemaakt_op"])
    assert made.utcoffset() == datetime.now(AMS).utcoffset()
    assert abs(made - datetime.now(UTC)) < timedelta(minutes=5)
    assert datetime.fromisoformat(got["statusgeschiedenis"][0]["op"]) == made
    shown = local_time_on_page(page, "Aangemaakt")
    assert abs(datetime.strptime(shown, "%d-%m-%Y %H:%M").replace(tzinfo=AMS) - made) < timedelta(
        minutes=5
    )


async def test_both_sides_of_the_clock_changes(web: Web) -> None:
    """29 March 2026 01:59 winter time is followed by 03:00 summer time; 25 October 2026
    has 02:30 twice. Each is its own instant, kept and shown as such."""
    spring = [
        await web.create(t) for t in ("2026-03-29T01:59:00+01:00", "2026-03-29T03:00:00+02:00")
    ]
    assert [c["tijdstip"] for c in spring] == [
        "2026-03-29T01:59:00+01:00",
        "2026-03-29T03:00:00+02:00",
    ]
    autumn = [
        await web.create(t) for t in ("2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00")
    ]
    got = [(await web.case(c["identificatie"]))["tijdstip"] for c in autumn]
    assert got == ["2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00"]
    first, second = (datetime.fromisoformat(t) for t in got)
    assert second - first == timedelta(hours=1)
    shown = [
        local_time_on_page(await web.staff_page(c["identificatie"]), "Tijdstip van het voorval")
        for c in [*spring, *autumn]
    ]
    assert shown == [
        "29-03-2026 01:59",
        "29-03-2026 03:00",
        "25-10-2026 02:30 (zomertijd)",
        "25-10-2026 02:30 (wintertijd)",
    ]


async def test_since_compares_instants(web: Web) -> None:
    ident = (await web.create("2026-11-21T23:00:00+01:00"))["identificatie"]
    half_hour_ago = (datetime.now(AMS) - timedelta(minutes=30)).replace(microsecond=0)
    later = half_hour_ago + timedelta(hours=1)

    async def found(since: str) -> bool:
        async with web.api.get(f"/api/v1/cases?since={since}") as resp:
            assert resp.status == 200, await resp.text()
            return ident in [c["identificatie"] for c in (await resp.json())["items"]]

    assert await found(quote(half_hour_ago.isoformat()))
    assert not await found(quote(later.isoformat()))
    # An unencoded '+' arrives as a space: the offset was still meant.
    assert await found(half_hour_ago.isoformat())
    # Without an offset: local time.
    assert await found(quote(half_hour_ago.replace(tzinfo=None).isoformat()))
    assert not await found(quote(later.replace(tzinfo=None).isoformat()))


async def test_migration_converts_old_sqlite_incident_times(db_url) -> None:
    """Before revision 0006 SQLite held the chat's Dutch wall-clock digits; PostgreSQL the
    instant itself."""
    config = alembic_config(db_url)
    command.downgrade(config, "0005")
    engine = sa.create_engine(sync_url(db_url))
    old = (
        "2026-11-21 23:00:00.000000"
        if engine.dialect.name == "sqlite"
        else "2026-11-21T23:00:00+01:00"
    )
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO cases (identificatie, type, status, omschrijving, tijdstip, kanaal,"
                " controlecode_hash, aangemaakt_op, gewijzigd_op, inzage_fouten) VALUES"
                " ('M-2026-000001', 'melding', 'gemeld', 'oud', :t, 'web', 'x', :t, :t, 0)"
            ),
            {"t": old},
        )
    engine.dispose()
    command.upgrade(config, "head")
    store = CaseStore.from_url(db_url)
    try:
        case = await store.get("M-2026-000001")
    finally:
        await store.close()
    assert case.tijdstip == datetime(2026, 11, 21, 22, 0, tzinfo=UTC)
    assert case.tijdstip.tzinfo == UTC


def test_the_time_zone_comes_from_the_content_file(tmp_path: Path, monkeypatch) -> None:
    content = tmp_path / "gemeente.yml"
    monkeypatch.setattr(core.content, "_configured", [content])
    content.write_text("gemeente:\n  naam: Bonaire\ntijdzone: America/Kralendijk\n")
    assert clock.zone().key == "America/Kralendijk"
    assert clock.local_text(datetime(2026, 11, 21, 22, 0, tzinfo=UTC)) == "21-11-2026 18:00"
    content.write_text("gemeente:\n  naam: Lindewaard\n")
    assert clock.zone().key == "Europe/Amsterdam"
    content.write_text("tijdzone: Europe/Lindewaard\n")
    with pytest.raises(ValueError, match="no IANA time zone"):
        clock.zone()


def test_the_shipped_content_file_says_europe_amsterdam() -> None:
    assert core.content.content_file() == Settings().content_file
    assert clock.zone() == AMS
