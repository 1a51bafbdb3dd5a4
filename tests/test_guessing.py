"""Controlecode guessing is throttled per guesser, never per case (issue #12, point 6).

The status form's code check runs as in the action server, against the real Case API
(the web app on loopback) on SQLite and PostgreSQL, the counts in the action server's
own database (the outbox's, here the test's database): a guesser is known by its chat and
its client address, waits longer and longer, and cannot lock the owner out.
"""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa
from aiohttp import web
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import delivery as delivery_module
from actions import guesser
from actions.delivery import Delivery
from actions.settings import ActionSettings
from actions.status import ValidateStatusForm
from core.caseapi.models import CaseIn
from core.client_address import bucket, client_address, stamp
from core.clock import utcnow
from core.throttle import Throttle, key
from tests.client import events, say
from tests.conftest import free_port, make_settings
from webapp.app import create_app
from webapp.cases.store import CaseStore

TOKEN = "test-token-guessing-0123"
MELDING = {
    "type": "melding",
    "omschrijving": "De lantaarnpaal brandt niet.",
    "categorie": "straatverlichting-openbare-klok",
    "locatie": {"straat": "Parklaan", "huisnummer": "12"},
    "kanaal": "web",
}
WRONG = "AAAAAA"


@pytest_asyncio.fixture
async def case_api(db_url, tmp_path, monkeypatch):
    """The web app with its Case API, and the action server's view of it."""
    settings = make_settings(tmp_path, configured_database_url=db_url, configured_api_token=TOKEN)
    monkeypatch.setenv("BALIE_DATABASE_URL", db_url)
    monkeypatch.setenv("BALIE_API_TOKEN", TOKEN)
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.web_port).start()
    store = CaseStore.from_url(db_url)
    # The action server's settings: the web app's Case API, the counts in the test's database.
    actions = action_settings(
        tmp_path, web_port=settings.web_port, configured_api_token=TOKEN, outbox_url=db_url
    )
    async with action_server(actions):
        yield store
    await store.close()
    await runner.cleanup()


def action_settings(tmp_path: Path, outbox_url: str, **fields: Any) -> ActionSettings:
    """The action server's settings for this test (none from the environment)."""
    return make_settings(tmp_path, ActionSettings, configured_outbox_url=outbox_url, **fields)


@asynccontextmanager
async def action_server(settings: ActionSettings) -> AsyncIterator[Delivery]:
    """What `python -m actions` sets up for the actions: the Delivery of its settings."""
    cases = Delivery.of(settings)
    delivery_module.install(cases)
    try:
        yield cases
    finally:
        delivery_module.install(None)
        await cases.close()
        await guesser.close()


def counts() -> Throttle:
    """The guess counts of the action server set up for this test."""
    return guesser.throttle(delivery_module.delivery().outbox)


def tracker(sender: str, address: str | None, channel: str = "rest") -> Tracker:
    """A resident answering the status form's question for the code."""
    metadata = {"client_address": address} if address else {}
    message = {"text": "", "intent": {"name": "nlu_fallback"}, "entities": [], "metadata": metadata}
    return Tracker(
        sender,
        {"requested_slot": "controlecode"},
        message,
        [{"event": "user", "input_channel": channel, "metadata": metadata}],
        False,
        None,
        {"name": "status_form"},
        "status_form",
    )


async def ask(number: str, code: str, sender: str, address: str | None) -> tuple[dict, list]:
    """(slots the form sets, responses it utters) for one code."""
    dispatcher = CollectingDispatcher()
    form_tracker = tracker(sender, address)
    form_tracker.slots["zaaknummer"] = number
    slots = await ValidateStatusForm().validate_controlecode(code, dispatcher, form_tracker, {})
    return slots, [m.get("response") for m in dispatcher.messages]


def found(slots: dict[str, Any]) -> bool:
    return bool(slots.get("zaak_status"))


def waits(responses: list) -> bool:
    return "utter_status_wacht" in responses


async def new_case(store: CaseStore) -> tuple[str, str]:
    case, code, _ = await store.create(CaseIn(**MELDING, melder="web:eigenaar"))
    return case.identificatie, code


async def test_a_guesser_never_locks_the_owner_out(case_api) -> None:
    number, code = await new_case(case_api)
    for i in range(12):  # more than the old per-case lock allowed; new chats, one address
        slots, _ = await ask(number, WRONG, f"raden-{i // 4}", "203.0.113.7")
        assert not found(slots)
    slots, responses = await ask(number, code, "eigenaar-thuis", "198.51.100.20")
    assert found(slots), responses
    assert slots["zaak_status"]["identificatie"] == number


async def test_the_guesser_waits_across_restart_and_new_sender_ids(case_api) -> None:
    number, code = await new_case(case_api)
    for _ in range(guesser.CHAT.free):
        slots, responses = await ask(number, WRONG, "raden", "203.0.113.8")
        assert not found(slots) and not waits(responses)
    # /restart clears the form's slots, not the count: the same chat waits now.
    slots, responses = await ask(number, code, "raden", "203.0.113.8")
    assert not found(slots) and waits(responses)  # not even the right code is checked
    # New sender ids from the same address: the address's tries run out too.
    tries = guesser.CHAT.free
    while tries < guesser.ADDRESS.free:
        slots, responses = await ask(number, WRONG, f"nieuw-{tries}", "203.0.113.8")
        assert not waits(responses)
        tries += 1
    slots, responses = await ask(number, WRONG, "weer-een-nieuwe", "203.0.113.8")
    assert waits(responses)
    # Another address and chat is a different resident: the owner gets in.
    slots, _ = await ask(number, code, "eigenaar", "198.51.100.21")
    assert found(slots)


async def test_concurrent_wrong_codes_are_all_counted(case_api) -> None:
    number, _ = await new_case(case_api)
    results = await asyncio.gather(
        *(ask(number, WRONG, f"tegelijk-{i}", "203.0.113.9") for i in range(18))
    )
    assert not any(found(slots) or waits(r) for slots, r in results)
    address = key(guesser.SCOPE, "adres", "203.0.113.9")
    assert await counts().counted(address) == 18
    # One chat firing 18 at once gets exactly its free tries checked; the rest wait.
    results = await asyncio.gather(*(ask(number, WRONG, "snel", "203.0.113.10") for _ in range(18)))
    assert sum(waits(r) for _, r in results) == 18 - guesser.CHAT.free
    chat = key(guesser.SCOPE, "chat", "rest:snel")
    assert await counts().counted(chat) == guesser.CHAT.free


async def test_the_wait_grows_and_a_right_code_works_after_it(case_api) -> None:
    number, code = await new_case(case_api)
    chat = key(guesser.SCOPE, "chat", "rest:geduld")

    table = guesser.GUESSES

    async def wait_left() -> timedelta:
        async with counts().sessions() as session:
            query = sa.select(table.c.geblokkeerd_tot).where(table.c.sleutel == chat)
            row = (await session.execute(query)).one()
        until = row.geblokkeerd_tot.replace(tzinfo=utcnow().tzinfo)
        return until - utcnow()

    async def wait_over() -> None:  # time passing, without a test that sleeps
        async with counts().sessions() as session, session.begin():
            past = utcnow() - timedelta(seconds=1)
            await session.execute(sa.update(table).values(geblokkeerd_tot=past))

    for _ in range(guesser.CHAT.free):
        await ask(number, WRONG, "geduld", "203.0.113.11")
    first = await wait_left()
    await wait_over()
    await ask(number, WRONG, "geduld", "203.0.113.11")
    assert await wait_left() > first * 1.5  # doubled
    _, responses = await ask(number, code, "geduld", "203.0.113.11")
    assert waits(responses)
    await wait_over()
    slots, _ = await ask(number, code, "geduld", "203.0.113.11")
    assert found(slots)
    # The right code was not counted as a wrong one.
    assert await counts().counted(chat) == guesser.CHAT.free + 1


async def test_telegram_chats_are_counted_by_chat(case_api) -> None:
    """Telegram has no client address: the chat id is the identity (an account)."""
    keys = guesser.keys(tracker("12345", "203.0.113.12", channel="telegram"))
    assert [k.sleutel for k in keys] == [key(guesser.SCOPE, "chat", "telegram:12345")]


async def test_the_case_api_inzage_has_no_per_case_lock(case_api) -> None:
    number, code = await new_case(case_api)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    base = delivery_module.delivery().balie.api.url
    async with aiohttp.ClientSession(headers=headers) as http:
        for _ in range(15):
            async with http.post(f"{base}/cases/{number}/inzage", json={"controlecode": WRONG}):
                pass
        async with http.post(f"{base}/cases/{number}/inzage", json={"controlecode": code}) as r:
            assert r.status == 200


# --- the client address -------------------------------------------------------------------


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    proxy = (ipaddress.ip_network("10.0.0.0/8"),)
    assert client_address("203.0.113.5", "198.51.100.1", ()) == "203.0.113.5"
    assert client_address("203.0.113.5", "198.51.100.1", proxy) == "203.0.113.5"
    assert client_address("10.1.2.3", "198.51.100.1", proxy) == "198.51.100.1"
    # A client's own forged entry stays left of what the trusted proxies added.
    assert client_address("10.1.2.3", "6.6.6.6, 198.51.100.1, 10.9.9.9", proxy) == "198.51.100.1"
    assert client_address("10.1.2.3", "rubbish", proxy) == "10.1.2.3"
    assert client_address(None, "198.51.100.1", proxy) is None


def test_an_ipv6_client_is_its_64_network() -> None:
    assert bucket("2001:db8:1:2:aaaa::1") == bucket("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert bucket("::ffff:198.51.100.7") == "198.51.100.7"
    assert bucket("198.51.100.7") == "198.51.100.7"


def test_the_channel_sets_the_address_whatever_the_caller_sent() -> None:
    sent = {"client_address": "6.6.6.6", "foto": {"upload_id": "x"}}
    assert stamp(sent, "127.0.0.1") == {"client_address": "127.0.0.1", "foto": {"upload_id": "x"}}
    assert stamp(sent, None) == {"foto": {"upload_id": "x"}}
    assert stamp(None, None) is None


@pytest.mark.stack
@pytest.mark.asyncio(loop_scope="session")
async def test_over_rest_restart_does_not_reset_the_count(http, stack) -> None:
    """The real stack: Rasa's REST channel stamps the address; /restart changes nothing."""
    headers = {"Authorization": f"Bearer {stack.api_token()}"}
    async with http.post(f"{stack.web_url}/api/v1/cases", json=MELDING, headers=headers) as r:
        made = await r.json()
    number, code = made["identificatie"], made["controlecode"]
    sender = f"raden-{uuid.uuid4().hex[:8]}"

    async def says(text: str, metadata: dict | None = None) -> str:
        return "\n".join(r.get("text", "") for r in await say(http, stack, sender, text, metadata))

    await says(f"status van {number}", {"client_address": "6.6.6.6"})
    user = [e for e in await events(http, stack, sender) if e["event"] == "user"][-1]
    assert user["metadata"]["client_address"] == "127.0.0.1"  # not what the caller said
    for guess in ("ZZZZZZ", "YYYYYY", "XXXXXX", "WWWWWW", "VVVVVV"):
        await says(guess)
    # REST refuses /restart itself (rasa_plugins/connectors/rest.py); the count would
    # survive it anyway.
    body = {"sender": sender, "message": "/restart"}
    async with http.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body) as resp:
        assert resp.status == 403
    await says(f"status van {number}")
    answer = await says(code)
    assert "gemeld" not in answer  # still no status in this conversation


async def test_without_the_attempts_database_no_code_is_checked(tmp_path) -> None:
    """Fail closed: the resident hears the case system is away, nothing is looked up."""
    away = action_settings(tmp_path, f"postgresql://balie@127.0.0.1:{free_port()}/x")
    async with action_server(away):
        slots, responses = await ask("M-2026-000001", WRONG, "weg", "203.0.113.13")
    assert responses == ["utter_zaaksysteem_onbereikbaar"]
    assert slots == {"controlecode": "eigen"}
