"""Live chat with a medewerker (issue #16): the KCC's hours, the queue, the hand-off.

- The KCC's hours and Dutch public holidays (core/kcc.py, the `holidays` package),
  without processes.
- Taking a resident is one conditional UPDATE: of two medewerkers at once exactly one
  gets them (SQLite and PostgreSQL).
- The Case API route the action calls: token, out of hours, nobody available, queued.
- Chromium with two pages at once against the real stack (marked `stack`): a resident's
  widget and a medewerker's Live page: wait, take, chat both ways, reload, hand back,
  and the resident talks to Balie again; out of hours Balie offers a call-back and says
  when. Screenshots go to results/live-*.png.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa
import yaml
from playwright.async_api import Browser, Page, async_playwright

from core import ROOT, content, kcc
from core.caseapi.client import CaseApiClient
from core.categories import load_categories
from core.clock import zone
from core.dutch.tijdstip import WEEKDAGEN
from core.privacy.sealing import sealer
from tests.browser import Widget, axe_violations, launch
from tests.conftest import TrainedModel, free_port, make_settings
from tests.databases import postgres_database
from tests.staff_helpers import PASSWORD, Client, create_users, settings_in, start_stack, web_app
from tests.test_web_instances import REDIS_URL
from webapp.cases.models import LiveChat
from webapp.cases.store import CaseStore
from webapp.chat.log import ChatLog
from webapp.live import faq, service
from webapp.live.store import LiveStore
from webapp.staff.users import Users

SCREENSHOTS = ROOT / "results"
PHONE = "Hallo, bel mij op 06-12345678"
ALWAYS = {dag: "00:00-24:00" for dag in WEEKDAGEN}


def content_file(path: Path, tijden: dict[str, str], feestdagen: bool = False) -> Path:
    data = yaml.safe_load((ROOT / "content" / "gemeente.yml").read_text(encoding="utf-8"))
    data["kcc"] = {"tijden": tijden, "feestdagen": feestdagen}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def kcc_content(tmp_path: Path) -> Iterator[Path]:
    path = content_file(tmp_path / "gemeente.yml", ALWAYS)
    before = content.content_file()
    content.use(path)
    yield path
    content.use(before)


# --- the KCC's hours ---------------------------------------------------------------------


def test_dutch_public_holidays() -> None:
    assert kcc.feestdagen(2026) >= {
        date(2026, 1, 1),
        date(2026, 4, 5),  # Pasen
        date(2026, 4, 6),
        date(2026, 4, 27),  # Koningsdag
        date(2026, 5, 14),  # Hemelvaart
        date(2026, 5, 25),  # Pinkstermaandag
        date(2026, 12, 25),
        date(2026, 12, 26),
    }
    assert date(2025, 4, 26) in kcc.feestdagen(2025)  # Koningsdag on a Sunday moves back
    assert date(2025, 5, 5) in kcc.feestdagen(2025) and date(2026, 5, 5) not in kcc.feestdagen(2026)
    assert date(2030, 5, 5) in kcc.feestdagen(2030)  # Bevrijdingsdag: every fifth year
    assert date(2026, 4, 3) not in kcc.feestdagen(2026)  # Goede Vrijdag: the KCC is open
    assert len(kcc.feestdagen(2026)) == 9


def test_hours_and_when_a_call_back_comes(tmp_path: Path) -> None:
    weekdays = {dag: "08:30-17:00" for dag in WEEKDAGEN[:5]}
    path = content_file(tmp_path / "gemeente.yml", weekdays, feestdagen=True)
    before = content.content_file()
    content.use(path)
    try:
        monday_10 = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)  # 10.00 in Amsterdam
        assert kcc.is_open(monday_10)
        assert kcc.terugbel_moment(monday_10) == "vandaag vóór 17.00 uur"
        saturday = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
        assert not kcc.is_open(saturday)
        assert kcc.terugbel_moment(saturday) == "maandag 7 december tussen 8.30 en 17.00 uur"
        evening = datetime(2026, 12, 8, 17, 0, tzinfo=timezone.utc)  # 18.00 on a Tuesday
        assert not kcc.is_open(evening)
        assert kcc.terugbel_moment(evening) == "morgen tussen 8.30 en 17.00 uur"
        christmas_eve = datetime(2026, 12, 24, 17, 0, tzinfo=timezone.utc)
        assert kcc.terugbel_moment(christmas_eve) == "maandag 28 december tussen 8.30 en 17.00 uur"
        assert not kcc.is_open(datetime(2026, 12, 25, 10, 0, tzinfo=timezone.utc))
    finally:
        content.use(before)


def test_faq_answers_for_the_live_page() -> None:
    """Balie's own answers with the gemeente's settings filled in, Dutch names, and the
    answers staff added in the console."""
    added = {"utter_faq/hondenbelasting": [{"text": "Hondenbelasting betaalt u per jaar."}]}
    found = {a.naam: a.tekst for a in faq.answers(added)}
    assert found["Hondenbelasting"] == "Hondenbelasting betaalt u per jaar."
    assert "container wordt geleegd" in found["Afvalkalender"]
    assert "Paspoort en ID-kaart" in found
    assert not any("{" in text for text in found.values())
    assert not any(" je " in f" {text} " for text in found.values())  # the "u" variants


# --- the queue in the database -----------------------------------------------------------


@pytest.mark.asyncio
async def test_two_medewerkers_never_take_the_same_resident(db_url: str, tmp_path: Path) -> None:
    store = CaseStore.from_url(db_url)
    try:
        users = Users(store.sessions)
        a = await users.create("anna", PASSWORD, ["medewerker"])
        b = await users.create("bram", PASSWORD, ["medewerker"])
        chat_log = ChatLog(store.sessions, sealer(settings_in(tmp_path, 1)))
        conversation, _, _ = await chat_log.open(None)
        live = LiveStore(store.sessions)
        chat = await live.enqueue(conversation.id, 0)
        again = await live.enqueue(conversation.id, 0)  # asked twice: one place in the queue
        assert again.id == chat.id
        for _ in range(3):
            taken = await asyncio.gather(
                live.take(chat.id, a.id, "Anna", 0), live.take(chat.id, b.id, "Bram", 0)
            )
            assert sorted(taken) == [False, True] or taken == [False, False]
        found = await live.get(chat.id)
        assert found is not None and found.status == "live"
        assert found.medewerker_naam in ("Anna", "Bram")
        other = b.id if found.medewerker_id == a.id else a.id
        assert not await live.end(chat.id, "gesloten", staff_id=other)  # not theirs
        assert await live.end(chat.id, "gesloten", staff_id=found.medewerker_id, notitie="ok")
        # Ended: the conversation may join the queue again.
        assert (await live.enqueue(conversation.id, 5)).id != chat.id
    finally:
        await store.close()


# --- the Case API route the action calls -------------------------------------------------


@pytest.mark.asyncio
async def test_the_action_asks_the_web_app(tmp_path: Path, kcc_content: Path) -> None:
    port = free_port()
    settings = settings_in(tmp_path, port, configured_api_token="t" * 32)
    async with web_app(settings, port) as base:
        store = CaseStore.from_url(settings.database_url)
        api = CaseApiClient(base + "/api/v1", settings.api_token())
        try:
            chat_log = ChatLog(store.sessions, sealer(settings))
            conversation, _, _ = await chat_log.open(None)
            melder = f"web:{conversation.sender}"
            async with aiohttp.ClientSession() as http:
                async with http.post(base + "/api/v1/live", json={"melder": melder}) as r:
                    assert r.status == 401  # the Case API's token only
            # Nobody available: no queue.
            assert (await api.live(melder)) == {"wachtrij": False}
            user = await Users(store.sessions).create("marieke", PASSWORD, ["medewerker"])
            live = LiveStore(store.sessions)
            await live.set_available(user.id, "Marieke", True)
            answer = await api.live(melder)
            assert answer["wachtrij"] is True and answer["positie"] == 1
            assert answer["wacht_minuten"] is None  # no hand-offs yet: no made-up wait
            assert (await api.live("rest:123")) == {"wachtrij": False}  # no live chat there
            # Out of hours: the KCC is closed today and tomorrow.
            content_file(kcc_content, {})
            other, _, _ = await chat_log.open(None)
            assert (await api.live(f"web:{other.sender}")) == {"wachtrij": False}
            status, body = await api.request("POST", "/live", ok=(200, 422), json={"melder": 5})
            assert status == 422 and "melder" in str(body["details"])
        finally:
            await api.close()
            await store.close()


# --- two pages at once against the real stack --------------------------------------------


@pytest.fixture(scope="module")
def live_stack(test_model: TrainedModel, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("live")
    settings = make_settings(tmp)
    gemeente = content_file(tmp / "gemeente.yml", ALWAYS)
    env = {
        "BALIE_DATABASE_URL": "",
        "BALIE_CONTENT_FILE": str(gemeente),
        "BALIE_LIVE_GRACE_SECONDS": "2",  # a closed Live page: residents wait again soon
    }
    running = start_stack(settings, test_model.path, env, {"marieke": ["medewerker"]})
    yield settings, gemeente
    running.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await launch(playwright)
        yield chromium
        await chromium.close()


async def new_page(browser: Browser, problems: list[str]) -> Page:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="nl-NL")
    ctx.set_default_timeout(30_000)
    page = await ctx.new_page()
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return page


async def live_page(browser: Browser, base: str, problems: list[str]) -> Page:
    page = await new_page(browser, problems)
    await page.goto(f"{base}/staff/live")  # to the login form, then back here
    await page.get_by_label("Gebruikersnaam").fill("marieke")
    await page.get_by_label("Wachtwoord").fill(PASSWORD)
    await page.get_by_role("button", name="Inloggen").click()
    await page.get_by_role("heading", name="Live chat met inwoners").wait_for()
    return page


async def widget_text(page: Page, selector: str) -> str:
    return await page.locator(selector).inner_text()


@pytest.mark.stack
@pytest.mark.asyncio(loop_scope="module")
async def test_hand_off_in_the_browser(live_stack, browser: Browser) -> None:
    settings, gemeente = live_stack
    base = settings.web_url
    problems: list[str] = []
    console = await live_page(browser, base, problems)
    await console.get_by_label("Ik ben beschikbaar voor chats").check()
    await console.get_by_text("U bent beschikbaar als Marieke.").wait_for()

    resident = await new_page(browser, problems)
    await resident.goto(f"{base}/demo")
    widget = Widget(resident)
    await widget.open()
    answer = await widget.say("Ik wil een medewerker spreken")
    assert "Ik zoek een medewerker" in answer
    bar = resident.locator(".balie-live-tekst")
    await bar.get_by_text("Er is niemand voor u").wait_for()
    assert "weten we nog niet" in await bar.inner_text()  # no hand-offs yet: honest
    SCREENSHOTS.mkdir(exist_ok=True)
    await resident.screenshot(path=str(SCREENSHOTS / "live-wachten.png"))

    # The medewerker hears and sees the new resident, with what they wrote (masked).
    waiting = console.locator(".live-wachtrij li")
    await waiting.get_by_text("Ik wil een medewerker spreken").wait_for()
    assert (await console.title()).startswith("(1) ")
    await console.get_by_role("button", name="Neem deze inwoner").click()
    chat = console.locator(".live-chat")
    await chat.get_by_text("U chat nu met Marieke van de gemeente.").wait_for()
    await widget.wait_for_bot("U chat nu met Marieke van de gemeente.")
    await bar.get_by_text("U chat nu met Marieke van de gemeente.").wait_for()

    # Resident -> medewerker: not to Balie (no answer from the bot).
    bots = (await widget.state())["bots"]
    await widget.input.fill("Mijn container is al twee weken niet geleegd")
    await widget.input.press("Enter")
    await chat.get_by_text("Mijn container is al twee weken niet geleegd").wait_for()
    # Medewerker -> resident.
    reply = "Dat spijt me. Ik zet het door naar de afvaldienst."
    await chat.get_by_label("Uw bericht").fill(reply)
    await chat.get_by_label("Uw bericht").press("Enter")
    await resident.locator(".balie-medewerker", has_text=reply).wait_for()
    assert (await widget.state())["bots"] == bots + 1  # only Marieke's message came
    assert "Marieke:" in await resident.locator(".balie-medewerker").inner_text()

    await resident.screenshot(path=str(SCREENSHOTS / "live-widget.png"))
    await console.screenshot(path=str(SCREENSHOTS / "live-console.png"), full_page=True)

    # A reload loses and doubles nothing.
    await widget.reload()
    await resident.locator(".balie-medewerker", has_text=reply).wait_for()
    assert await resident.locator(".balie-medewerker").count() == 1
    assert await resident.locator(".balie-inwoner", has_text="twee weken").count() == 1
    await bar.get_by_text("U chat nu met Marieke").wait_for()

    # The queue is empty again: no badge in the title.
    assert not (await console.title()).startswith("(")

    # Typing, both ways.
    box = chat.get_by_label("Uw bericht")
    await box.fill("Ik kijk het even na")
    await resident.get_by_text("Marieke typt…").wait_for()
    await box.fill("")
    await widget.input.fill("Ik wacht even")
    await chat.get_by_text("De inwoner typt…").wait_for()
    await widget.input.fill("")

    # An FAQ answer into the message box, edited and sent.
    await chat.get_by_label("Antwoord uit de veelgestelde vragen").select_option(
        label="Afvalkalender"
    )
    await chat.get_by_role("button", name="Antwoord invoegen").click()
    assert "container wordt geleegd" in await box.input_value()
    await box.press("Enter")
    await resident.locator(".balie-medewerker", has_text="container wordt geleegd").wait_for()

    # A melding for the resident, from the chat: the number and code in their chat, the
    # case linked to the live chat.
    await chat.get_by_text("Melding, verzoek of terugbelverzoek vastleggen").click()
    await chat.get_by_label("Categorie").select_option(index=1)
    await chat.get_by_label("Straat").fill("Dorpsstraat")
    await chat.get_by_label("Huisnummer").fill("12")
    await chat.get_by_label("Omschrijving").fill("Container al twee weken niet geleegd")
    await chat.get_by_role("button", name="Vastleggen").click()
    await chat.get_by_text("De inwoner ziet het nummer in de chat.").wait_for()
    await widget.wait_for_bot("Marieke heeft uw melding geregistreerd onder nummer")
    filed = await resident.locator(".balie-bot", has_text="heeft uw melding").last.inner_text()
    number = re.search(r"M-\d{4}-\d{6}", filed)
    assert number is not None and "controlecode" in filed
    await console.screenshot(path=str(SCREENSHOTS / "live-melding.png"), full_page=True)
    assert await axe_violations(console) == []  # the chat's tools, labelled and legible
    case_page = await console.context.new_page()
    await case_page.goto(f"{base}/staff/zaken/{number.group(0)}")
    await case_page.get_by_text("Vastgelegd door Marieke in live chat").wait_for()
    await case_page.close()

    # Hand back: the resident talks to Balie again.
    await chat.get_by_role("button", name="Teruggeven aan Balie").click()
    await widget.wait_for_bot("Marieke heeft het gesprek teruggegeven aan Balie")
    await resident.locator(".balie-live").wait_for(state="hidden")
    await console.locator(".live-chat").wait_for(state="detached")
    answer = await widget.say("wanneer is het gemeentehuis open?")
    assert "8.30" in answer

    # Marieke's connection drops (her page closes): the resident hears it, waits again,
    # and chooses Balie instead.
    await widget.say("Ik wil een medewerker spreken")
    await console.get_by_role("button", name="Neem deze inwoner").click()
    await bar.get_by_text("U chat nu met Marieke").wait_for()
    await console.close()
    await widget.wait_for_bot("De verbinding met Marieke is verbroken")
    await bar.get_by_text("U wacht op een medewerker").wait_for()
    await resident.screenshot(path=str(SCREENSHOTS / "live-verbinding-weg.png"))
    await resident.locator(".balie-live").get_by_role("button", name="Stoppen met wachten").click()
    await widget.wait_for_bot("U wacht niet meer op een medewerker")
    answer = await widget.say("wanneer is het gemeentehuis open?")
    assert "8.30" in answer

    # Out of hours: a call-back, saying when.
    later = (datetime.now(zone()).weekday() + 2) % 7  # only the day after tomorrow
    content_file(gemeente, {WEEKDAGEN[later]: "08:30-17:00"})
    answer = await widget.say("Ik wil een medewerker spreken")
    assert "terugbellen" in answer and "tussen 8.30 en 17.00 uur" in answer
    assert WEEKDAGEN[later] in answer
    assert await widget.choice("Ja, bel mij terug").count() == 1
    await resident.screenshot(path=str(SCREENSHOTS / "live-buiten-tijden.png"))
    assert problems == []


# --- two web apps behind a balancer: Redis carries the news ------------------------------


async def until(ws: aiohttp.ClientWebSocketResponse, wanted, timeout: float = 5.0):  # type: ignore[no-untyped-def]
    """The first frame for which wanted(frame) is true; fails after `timeout` seconds."""

    async def read():  # type: ignore[no-untyped-def]
        while True:
            frame = await ws.receive_json()
            if wanted(frame):
                return frame

    return await asyncio.wait_for(read(), timeout)


async def available(client: Client, voornaam: str | None = None) -> aiohttp.ClientWebSocketResponse:
    """The Live page's socket of a logged-in medewerker, available for chats."""
    base = client.base
    ws = await client.http.ws_connect(base + "/staff/live/ws", headers={"Origin": base})
    frame: dict[str, Any] = {"type": "beschikbaar", "aan": True}
    if voornaam is not None:
        frame["voornaam"] = voornaam
    await ws.send_json(frame)
    await until(ws, lambda f: f["type"] == "beschikbaar" and f["aan"])
    return ws


async def resident_in_queue(
    http: aiohttp.ClientSession, base: str, api: CaseApiClient, chat_log: ChatLog
) -> aiohttp.ClientWebSocketResponse:
    """A new widget conversation on `base` whose resident asked for a medewerker (the
    action's Case API call): its socket."""
    widget = await http.ws_connect(base + "/chat/ws", headers={"Origin": base})
    await widget.send_json({"type": "hello", "session": None, "after": 0})
    token = (await until(widget, lambda f: f["type"] == "welcome"))["session"]
    await until(widget, lambda f: f["type"] == "synced")
    found = await chat_log.find(token)
    assert found is not None
    assert (await api.live(f"web:{found.sender}"))["wachtrij"] is True
    return widget


async def take_first(
    mw: aiohttp.ClientWebSocketResponse, widget: aiohttp.ClientWebSocketResponse
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The medewerker takes the first resident in the queue: the console's `gesprek` frame
    and the widget's `live` frame."""
    queued = await until(mw, lambda f: f["type"] == "wachtrij" and f["wachtenden"])
    await mw.send_json({"type": "nemen", "id": queued["wachtenden"][0]["id"]})
    chat = await until(mw, lambda f: f["type"] == "gesprek")
    live = await until(widget, lambda f: f.get("status") == "live")
    return chat, live


def _closed(frames: list[dict]) -> bool:  # type: ignore[type-arg]
    told = any("afgesloten" in str(f.get("text")) for f in frames if f["type"] == "message")
    return told and any(f.get("status") == "geen" for f in frames)


@pytest.mark.asyncio
async def test_hand_off_across_two_web_apps(
    tmp_path: Path, kcc_content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Widget on A, medewerker on B: everything arrives through Redis (no polling, no
    ticking within the test's waits), and nothing goes to Rasa (there is none)."""
    monkeypatch.setattr(service, "TICK_SECONDS", 60.0)
    prefix = f"balie-test-{secrets.token_hex(4)}"
    shared = {
        "redis_url": REDIS_URL,
        "redis_prefix": prefix,
        "chat_poll_seconds": 60.0,
        "configured_api_token": "a" * 40,
        "secret_key": "k" * 40,
    }
    with postgres_database() as url:
        ports = free_port(), free_port()
        a_settings = settings_in(tmp_path / "a", ports[0], configured_database_url=url, **shared)
        b_settings = settings_in(tmp_path / "b", ports[1], configured_database_url=url, **shared)
        await create_users(url, {"marieke": ["medewerker"]})
        async with web_app(a_settings, ports[0]) as a, web_app(b_settings, ports[1]) as b:
            console = Client(b)
            api = CaseApiClient(a + "/api/v1", a_settings.api_token())
            store = CaseStore.from_url(url)
            try:
                await console.login("marieke")
                mw = await available(console, "Marieke")

                chat_log = ChatLog(store.sessions, sealer(a_settings))
                widget = await resident_in_queue(console.http, a, api, chat_log)
                await until(widget, lambda f: f.get("status") == "wachtend")

                chat, live = await take_first(mw, widget)
                assert live["medewerker"] == "Marieke"

                await widget.send_json({"type": "message", "id": "m1", "text": PHONE})
                heard = await until(mw, lambda f: f["type"] == "bericht" and f["from"] == "user")
                assert heard["text"] == PHONE  # readable for the handler
                await mw.send_json({"type": "bericht", "id": chat["id"], "tekst": "Goedemiddag!"})
                said = await until(widget, lambda f: f.get("from") == "medewerker")
                assert said["text"] == "Goedemiddag!" and said["naam"] == "Marieke"

                await mw.send_json({"type": "sluiten", "id": chat["id"], "notitie": PHONE})
                await until(mw, lambda f: f["type"] == "einde")
                seen: list[dict] = []  # the closing message and the "geen" frame, in any order
                await until(widget, lambda f: seen.append(f) or _closed(seen))
                async with store.sessions() as session:
                    row = (await session.execute(sa.select(LiveChat))).scalar_one()
                assert row.einde == "gesloten" and "06-12345678" not in (row.notitie or "")
                await widget.close()
                await mw.close()
            finally:
                await api.close()
                await store.close()
                await console.close()


# --- the medewerker's tools over the Live page's socket ----------------------------------


async def frames_until(ws: aiohttp.ClientWebSocketResponse, wanted, timeout: float = 5.0):  # type: ignore[no-untyped-def]
    """Every frame up to and including the first for which wanted(frame) is true."""
    seen: list[dict] = []  # type: ignore[type-arg]
    await until(ws, lambda f: seen.append(f) or wanted(f), timeout)
    return seen


def melding_form() -> dict[str, str]:
    """What a medewerker fills in to file a melding from a live chat."""
    return {
        "soort": "melding",
        "categorie": next(iter(load_categories())).slug,
        "straat": "Dorpsstraat",
        "huisnummer": "12",
        "omschrijving": "Container al twee weken niet geleegd",
    }


async def files_melding(medewerker: Client, chat_id: int) -> str:
    """The medewerker files melding_form() from the chat; the case's number."""
    status, body = await medewerker.post(f"/staff/live/{chat_id}/zaak", melding_form())
    assert status == 200, body
    return str(json.loads(body)["identificatie"])


@pytest.mark.asyncio
async def test_medewerker_tools(tmp_path: Path, kcc_content: Path) -> None:
    """Typing both ways (throttled), FAQ answers on the page, filing a melding and a
    call-back for the resident (the case links to the chat; only the medewerker who has
    the chat may), transfer to a colleague, and a dropped Live page: back within the
    grace period keeps the chat, gone longer puts the resident back in the queue."""
    port = free_port()
    settings = settings_in(tmp_path, port, configured_api_token="t" * 32, live_grace_seconds=1.0)
    async with web_app(settings, port) as base:
        store = CaseStore.from_url(settings.database_url)
        api = CaseApiClient(base + "/api/v1", settings.api_token())
        marieke, joost = Client(base), Client(base)
        try:
            for client, name in ((marieke, "marieke"), (joost, "joost")):
                await Users(store.sessions).create(name, PASSWORD, ["medewerker"])
                assert (await client.login(name))[0] == 200

            status, page = await marieke.get("/staff/live")
            assert status == 200 and '"naam": "Afvalkalender"' in page  # FAQ answers to insert
            assert "{gemeente_" not in page and "Veeg- / zwerfvuil" in page

            mw, jw = await available(marieke), await available(joost)
            chat_log = ChatLog(store.sessions, sealer(settings))
            widget = await resident_in_queue(marieke.http, base, api, chat_log)
            chat_id = (await take_first(mw, widget))[0]["id"]

            # Typing: the resident's reaches Marieke; hers shows in the widget, once per
            # two seconds however often she types.
            await widget.send_json({"type": "live", "actie": "typen"})
            assert (await until(mw, lambda f: f["type"] == "typt"))["id"] == chat_id
            for _ in range(3):
                await mw.send_json({"type": "typen", "id": chat_id})
            await mw.send_json({"type": "bericht", "id": chat_id, "tekst": "Een moment."})
            got = await frames_until(widget, lambda f: f.get("from") == "medewerker")
            assert [f["type"] for f in got].count("live_typen") == 1

            # A melding for the resident: the case API's own path, the code in the chat.
            melding = melding_form()
            identificatie = await files_melding(marieke, chat_id)
            told = await until(widget, lambda f: identificatie in str(f.get("text")))
            assert "controlecode" in told["text"] and told["from"] == "bot"
            case = await api.case(identificatie)
            assert case is not None and case.kanaal == "web"
            status, page = await marieke.get(f"/staff/zaken/{identificatie}")
            assert f"Vastgelegd door Marieke in live chat {chat_id}" in page
            # Not Joost's chat; no category; no CSRF token.
            assert (await joost.post(f"/staff/live/{chat_id}/zaak", melding))[0] == 409
            status, body = await marieke.post(
                f"/staff/live/{chat_id}/zaak", {**melding, "categorie": ""}
            )
            assert (
                status == 400 and json.loads(body)["fout"] == "Kies een categorie voor de melding."
            )
            assert (await marieke.post(f"/staff/live/{chat_id}/zaak", melding, csrf=False))[
                0
            ] == 403
            bellen = {"soort": "terugbellen", "naam": "Jan", "telefoon": "0612345678"}
            status, body = await marieke.post(f"/staff/live/{chat_id}/zaak", bellen)
            assert status == 200, body
            await until(widget, lambda f: "terugbelverzoek" in str(f.get("text")))

            # Transfer to Joost: his page opens the chat, the widget says who it is now.
            second = await marieke.http.ws_connect(  # a second tab of hers: what it lists
                base + "/staff/live/ws", headers={"Origin": base}
            )
            listed = await until(second, lambda f: f["type"] == "collegas")
            assert [c["naam"] for c in listed["lijst"]] == ["Joost"]
            await second.close()
            await mw.send_json({"type": "doorzetten", "id": chat_id, "naar": 999999})
            assert (
                "Doorzetten lukte niet" in (await until(mw, lambda f: f["type"] == "fout"))["tekst"]
            )
            await mw.send_json(
                {"type": "doorzetten", "id": chat_id, "naar": listed["lijst"][0]["id"]}
            )
            assert (await until(mw, lambda f: f["type"] == "einde"))[
                "tekst"
            ] == "Doorgezet naar Joost."
            assert (await until(jw, lambda f: f["type"] == "gesprek"))["id"] == chat_id
            live = await until(widget, lambda f: f.get("status") == "live")
            assert live["medewerker"] == "Joost"

            # Joost reloads (back within the grace period): he keeps the chat.
            await jw.close()
            jw = await available(joost)  # his page opens the chat again (before "beschikbaar")
            await asyncio.sleep(1.5)
            assert (await LiveStore(store.sessions).get(chat_id)).status == "live"  # type: ignore[union-attr]
            # Joost is gone: after the grace period the resident is told and waits again.
            await jw.close()
            lost = await until(widget, lambda f: "verbinding met Joost" in str(f.get("text")))
            assert "wachtrij" in lost["text"]
            await until(widget, lambda f: f.get("status") == "wachtend")
            back = await until(mw, lambda f: f["type"] == "wachtrij" and f["wachtenden"])
            assert back["wachtenden"][0]["id"] == chat_id
            await widget.close()
            await mw.close()
        finally:
            await api.close()
            await store.close()
            await marieke.close()
            await joost.close()


# --- the bench's hand-off latency (bench/live.py), cheaply -------------------------------


@pytest.mark.stack
@pytest.mark.asyncio(loop_scope="module")
async def test_bench_measures_the_hand_off_latency(
    live_stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make bench`'s live measure on the real stack: two residents taken by one
    medewerker, three messages each, every one timed on the Live page; no timing asserted."""
    from bench import live

    settings, gemeente = live_stack
    content_file(gemeente, ALWAYS)  # the browser test ends out of hours
    monkeypatch.setattr(live, "PAUSE", 0.05)
    who = await live.create_medewerker(settings.database_url, settings.web_url)
    result = await live.handoff_latency(who, residents=2, messages=3)
    assert result.errors == 0, result.examples
    assert len(result.latencies) == 6 and all(x > 0 for x in result.latencies)
    text = live.report(result)
    assert "6 messages, 0 errors" in text and "p95" in text and "goal p95 ≤ 500 ms" in text
    store = CaseStore.from_url(settings.database_url)
    try:
        async with store.sessions() as session:
            rows = (await session.execute(sa.select(LiveChat.status, LiveChat.einde))).all()
        assert ("klaar", "gesloten") in rows and ("live", None) not in rows  # closed after
    finally:
        await store.close()
