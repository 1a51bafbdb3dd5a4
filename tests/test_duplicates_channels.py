"""'Already reported?' end to end in the channels (issue #18): the website widget in
Debian's chromium and Telegram through the fake Bot API server, on one stack of their own
with the check on (every other test stack has it off, tests/conftest.py).

Resident A reports a street light; resident B reports it again at the same place, hears
the case's number, date and status (nothing of A), and chooses to follow it: no new case,
one more reporter on it (the staff console says "2 melders"), and when staff change the
status, B's chat hears it as A's does. "Nee, het is iets anders" makes a new case.
Each test reports at a place of its own, so the tests do not find each other's cases.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, async_playwright

from core import ROOT
from core.settings import Settings
from tests.browser import Widget, launch
from tests.conftest import TrainedModel, settings_env
from tests.fakes.telegram import FakeTelegram
from tests.staff_helpers import PASSWORD, Client
from tests.test_telegram import IDENT_RE, CaseApi, Resident, eventually, telegram_stack

pytestmark = [pytest.mark.stack, pytest.mark.asyncio(loop_scope="session")]

LAMP = "de lantaarnpaal bij de ingang van het park is kapot"
YES, NO = "Ja, houd me op de hoogte", "Nee, het is iets anders"
# Resident A's contact details: B must never see them.
EMAIL = "a.jansen@example.nl"
SHOTS = ROOT / "results"
MEDEWERKER = "mila"
CREATE_USER = ["--password-stdin", "--by", "test", "--role=medewerker"]


# --- the stack: Telegram (webhook mode), the staff console, "already reported?" on --------


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def follow_stack(
    test_model: TrainedModel, fake: FakeTelegram, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    extra = {"BALIE_DUPLICATE_CHECK": "true"}
    running = telegram_stack(
        test_model, fake, tmp_path_factory.mktemp("follow"), webhook=True, env=extra
    )
    try:
        deadline = time.monotonic() + 60
        while not fake.webhook and time.monotonic() < deadline:  # registered after the start
            time.sleep(0.2)
        subprocess.run(
            [sys.executable, "-m", "bot", "create-user", MEDEWERKER, *CREATE_USER],
            input=PASSWORD + "\n",
            text=True,
            cwd=ROOT,
            env={**settings_env(running.settings), "BALIE_DATABASE_URL": "", **extra},
            check=True,
            capture_output=True,
        )
        yield running.settings
    finally:
        running.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await launch(playwright)
        yield chromium
        await chromium.close()


class Residents:
    """Each resident in a browser profile of their own: their own conversation."""

    def __init__(self, browser: Browser, stack: Settings) -> None:
        self.browser, self.stack = browser, stack
        self.contexts: list[BrowserContext] = []
        self.problems: list[str] = []

    async def new(self) -> Widget:
        ctx = await self.browser.new_context(
            viewport={"width": 1280, "height": 800}, locale="nl-NL"
        )
        ctx.set_default_timeout(30_000)
        self.contexts.append(ctx)
        page = await ctx.new_page()
        page.on("pageerror", lambda exc: self.problems.append(str(exc)))
        await page.goto(f"{self.stack.web_url}/demo")
        widget = Widget(page)
        await widget.open()
        return widget

    async def close(self) -> None:
        for ctx in self.contexts:
            await ctx.close()


@pytest_asyncio.fixture(loop_scope="session")
async def residents(browser: Browser, follow_stack: Settings) -> AsyncIterator[Residents]:
    found = Residents(browser, follow_stack)
    yield found
    await found.close()
    assert found.problems == []  # no script error on any page


async def up_to_the_photo(widget: Widget, address: str) -> str:
    """The street light melding at `address`, up to and with the photo question's answer;
    returns what came after that answer."""
    assert "Straatverlichting" in await widget.say(LAMP)
    assert "Waar" in await widget.click("Straatverlichting")
    assert "Wanneer" in await widget.say(address)
    assert "foto" in (await widget.click("Weet ik niet")).lower()
    return await widget.click("Geen foto")


def ident_in(text: str) -> str:
    found = IDENT_RE.search(text)
    assert found, text
    return found.group(1)


async def melding_count(api: CaseApi) -> int:
    status, listed = await api.get("/cases?type=melding")
    assert status == 200, listed
    return int(listed["total"])


async def staff_page(stack: Settings, ident: str, status: str | None = None) -> str:
    """The case's page in the staff console; with `status`, after a medewerker set it."""
    medewerker = Client(stack.web_url)
    try:
        assert (await medewerker.login(MEDEWERKER))[0] == 200
        if status:
            body = {"status": status, "toelichting": "De monteur komt donderdag."}
            code, page = await medewerker.post(f"/staff/zaken/{ident}/status", body)
            assert code == 200 and "De 2 melders krijgen hiervan bericht" in page, page
        code, page = await medewerker.get(f"/staff/zaken/{ident}")
        assert code == 200
        return page
    finally:
        await medewerker.close()


# --- the website widget -----------------------------------------------------------------


async def test_widget_resident_follows_a_melding_already_reported(
    residents: Residents, follow_stack: Settings, http: aiohttp.ClientSession
) -> None:
    # Resident A reports the lamp at Akkerstraat 7, with an e-mail address.
    a = await residents.new()
    assert "contact" in (await up_to_the_photo(a, "Akkerstraat 7")).lower()
    assert "e-mailadres" in await a.click("Ja")
    assert EMAIL in await a.say(EMAIL)
    ident = ident_in(await a.click("Ja, versturen"))

    # Resident B, a few doors on: the offer, with number, date and status, nothing of A.
    api = CaseApi(http, follow_stack)
    cases_before = await melding_count(api)
    b = await residents.new()
    offer = await up_to_the_photo(b, "Akkerstraat 11")
    assert f"al gemeld, onder nummer {ident}. De status is nu: gemeld." in offer, offer
    assert "Wilt u berichten over die melding krijgen?" in offer
    assert [await b.choice(t).count() for t in (YES, NO)] == [1, 1]  # real <button>s
    page = await b.page.locator(".balie-paneel").inner_text()
    assert EMAIL not in page and "jansen" not in page.lower()
    SHOTS.mkdir(exist_ok=True)
    await b.page.screenshot(path=str(SHOTS / "duplicaat-widget.png"))
    await b.page.set_viewport_size({"width": 390, "height": 844})  # a phone
    await b.page.screenshot(path=str(SHOTS / "duplicaat-widget-mobiel.png"))
    await b.page.set_viewport_size({"width": 1280, "height": 800})

    followed = await b.click(YES)
    assert f"Uw melding is toegevoegd aan {ident}" in followed, followed
    assert "controlecode" not in followed  # the code is A's, to see A's case
    await b.page.screenshot(path=str(SHOTS / "duplicaat-gevolgd.png"))
    status, case = await api.get(f"/cases/{ident}")
    assert status == 200 and case["melders"] == 2
    assert await melding_count(api) == cases_before  # no new case

    # Staff see two reporters and change the status: both widgets hear it.
    page = await staff_page(follow_stack, ident)
    assert re.search(r"<dd>2 melders", page), "no '2 melders' on the staff page"
    assert "Ook gemeld door anderen" in page and "Melding 2" in page
    await staff_page(follow_stack, ident, status="ingepland")
    for widget in (a, b):
        await widget.wait_for_bot("De monteur komt donderdag.")
        news = (await widget.bot_texts())[-1]
        assert ident in news and "ingepland" in news, news
    # B asks after "their" melding: the case they follow, as for their own.
    status_answer = await b.say("hoe staat het met mijn melding?")
    assert ident in status_answer and "ingepland" in status_answer.lower(), status_answer


async def test_widget_something_else_makes_a_new_case(
    residents: Residents, follow_stack: Settings, http: aiohttp.ClientSession
) -> None:
    a = await residents.new()
    assert "contact" in (await up_to_the_photo(a, "Achterstraat 5")).lower()
    await a.click("Nee, liever niet")
    first = ident_in(await a.click("Ja, versturen"))

    b = await residents.new()
    assert first in await up_to_the_photo(b, "Achterstraat 3")
    assert "contact" in (await b.click(NO)).lower()  # the form goes on as always
    summary = await b.click("Nee, liever niet")
    assert "Achterstraat 3" in summary
    second = ident_in(await b.click("Ja, versturen"))
    assert second != first
    _, case = await CaseApi(http, follow_stack).get(f"/cases/{first}")
    assert case["melders"] == 1


# --- Telegram --------------------------------------------------------------------------------


async def up_to_the_offer(resident: Resident, lat: float, lon: float) -> str:
    """The street light melding at a shared location, up to the answer on the photo."""
    assert "Straatverlichting" in await resident.says(LAMP)
    assert "Waar is het" in await resident.clicks(resident.buttons()[0])
    assert "Wanneer" in await resident.shares_location(lat, lon)
    assert "foto" in await resident.says("weet ik niet")
    return await resident.clicks("Geen foto")


async def test_telegram_resident_follows_and_hears_the_status(
    fake: FakeTelegram, follow_stack: Settings, http: aiohttp.ClientSession
) -> None:
    api = CaseApi(http, follow_stack)
    a = Resident(fake, http, follow_stack, 83_000_001)
    assert "contact" in await up_to_the_offer(a, 52.09074, 5.12142)
    await a.clicks("Nee, liever niet")
    ident = ident_in(await a.clicks("Ja, versturen"))

    # B shares a spot 20 m away: the offer with its two buttons, under the question.
    b = Resident(fake, http, follow_stack, 83_000_002)
    offer = await up_to_the_offer(b, 52.09090, 5.12150)
    assert f"al gemeld, onder nummer {ident}. De status is nu: gemeld." in offer, offer
    assert b.buttons() == [YES, NO]
    assert "Inwoner" not in offer and str(a.chat_id) not in offer
    asked = b.keyboard()
    followed = await b.clicks(YES)
    assert f"Uw melding is toegevoegd aan {ident}" in followed, followed
    # The number is a code span (one tap copies it); the tapped keyboard is gone.
    [message] = [m for m in b.last if ident in m["text"]]
    spans = [message["text"][e["offset"] : e["offset"] + e["length"]] for e in message["entities"]]
    assert spans == [ident]
    sent = {m["message_id"]: m for m in fake.sent(b.chat_id)}
    assert not sent[asked["message_id"]].get("reply_markup")
    _, case = await api.get(f"/cases/{ident}")
    assert case["melders"] == 2

    # Staff change the status: a message in both chats.
    await api.patch(ident, "in_behandeling", "De lamp wordt deze week vervangen.")
    for resident in (a, b):
        news = await eventually(
            lambda r=resident: [  # type: ignore[misc]
                m for m in fake.sent(r.chat_id)[r.read :] if "deze week vervangen" in m["text"]
            ]
        )
        assert news and ident in news[0]["text"] and "in behandeling" in news[0]["text"], news

    # C types "nee" instead of tapping: a new case after all.
    c = Resident(fake, http, follow_stack, 83_000_003)
    assert ident in await up_to_the_offer(c, 52.09060, 5.12130)
    assert "contact" in await c.says("nee, het is iets anders")
    await c.clicks("Nee, liever niet")
    assert ident_in(await c.clicks("Ja, versturen")) != ident
