"""The website chat widget: a real browser on the demo page, against the real stack.

Chromium (Debian's) runs the widget as a resident uses it: by mouse, by keyboard,
across a reload and a dropped connection, with a photo and a status change pushed by
staff; axe-core checks WCAG 2.1 AA. The relay's protocol rules (origin, secret, limits)
are checked without a browser, and the conversation log on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, WebSocketRoute, async_playwright

from core import ROOT
from core.db import create_engine, session_factory
from core.privacy.sealing import sealer
from core.residents.guard import MAX_LENGTH
from core.settings import Settings
from core.widget_protocol import SECRET_HEADER, channel_secret
from tests.browser import Widget, axe_violations, describe, launch
from tests.databases import postgres_database, sqlite_database
from tests.images import jpeg_bytes, photo_bytes
from webapp.chat.log import BOT, RESIDENT, ChatLog

pytestmark = pytest.mark.asyncio(loop_scope="session")
IDENT_RE = re.compile(r"\b(M-\d{4}-\d{6})\b")
SCREENSHOT = ROOT / "results" / "widget.png"


# --- fixtures ---------------------------------------------------------------------------------


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await launch(playwright)
        yield chromium
        await chromium.close()


class PageWatch:
    """What a page did that it should not: script errors, dialogs, CSP violations."""

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("console", self._console)
        page.on("dialog", self._dialog)

    def _console(self, message: Any) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"console {message.type}: {message.text}")

    async def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        await dialog.dismiss()


@pytest_asyncio.fixture(loop_scope="session")
async def context(
    browser: Browser, stack: Settings, request: pytest.FixtureRequest
) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile per test: its own localStorage, so its own conversation."""
    ctx = await browser.new_context(
        viewport={"width": 1280, "height": 800},
        locale="nl-NL",
        # axe-core parses stylesheets through <style> elements the page's CSP would block;
        # every other test runs under the real CSP and fails on any violation.
        bypass_csp="for_axe" in request.fixturenames,
    )
    ctx.set_default_timeout(30_000)
    yield ctx
    await ctx.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    page = await context.new_page()
    page.watch = PageWatch(page)  # type: ignore[attr-defined]
    yield page
    # Nothing on the page may fail, be blocked by the CSP, or pop up.
    assert page.watch.problems == [], page.watch.problems  # type: ignore[attr-defined]
    assert page.watch.dialogs == []  # type: ignore[attr-defined]


@pytest.fixture
def demo(stack: Settings) -> str:
    return f"{stack.web_url}/demo"


@pytest_asyncio.fixture(loop_scope="session")
async def widget(page: Page, demo: str) -> Widget:
    """The demo page with the chat open."""
    await page.goto(demo)
    widget = Widget(page)
    await widget.open()
    return widget


class CaseApi:
    def __init__(self, http: aiohttp.ClientSession, stack: Settings) -> None:
        self.http, self.base = http, f"{stack.web_url}/api/v1"
        self.headers = {"Authorization": f"Bearer {stack.api_token()}"}

    async def get(self, ident: str) -> dict[str, Any]:
        async with self.http.get(f"{self.base}/cases/{ident}", headers=self.headers) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    async def read(self, url: str) -> bytes:
        async with self.http.get(
            f"{self.base}{url.removeprefix('/api/v1')}", headers=self.headers
        ) as resp:
            assert resp.status == 200
            return await resp.read()

    async def patch(self, ident: str, status: str, toelichting: str) -> None:
        body = {"status": status, "toelichting": toelichting}
        url = f"{self.base}/cases/{ident}"
        async with self.http.patch(url, json=body, headers=self.headers) as resp:
            assert resp.status == 200, await resp.text()


# --- in the browser ---------------------------------------------------------------------------


@pytest.mark.stack
async def test_demo_page_greeting_and_faq(page: Page, demo: str) -> None:
    response = await page.goto(demo)
    assert response and response.ok
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert await page.get_attribute("html", "lang") == "nl"

    widget = Widget(page)
    assert await widget.launcher.get_attribute("aria-expanded") == "false"
    await widget.open()
    assert await widget.launcher.get_attribute("aria-expanded") == "true"
    greeting = await widget.say("goedemiddag")
    assert "Balie" in greeting and "Lindewaard" in greeting

    answer = await widget.say("wanneer is het gemeentehuis open?")
    assert "8.30" in answer and "17.00" in answer
    # New bot messages are announced to screen readers.
    assert "8.30" in await widget.live.inner_text()
    # Links in bot text are real links, opening safely in a new window; the rest is text.
    link = page.locator(".balie-bot a[href^='https://www.lindewaard.example']").last
    assert await link.get_attribute("target") == "_blank"
    assert "noopener" in (await link.get_attribute("rel") or "")


@pytest.mark.stack
async def test_melding_with_photo_and_status_push(
    page: Page, widget: Widget, http: aiohttp.ClientSession, stack: Settings
) -> None:
    """Persona Koen's neighbourhood: the broken street light, start to finish, then news."""
    proposal = await widget.say("de lantaarnpaal bij de ingang van het park is kapot")
    assert "Straatverlichting" in proposal
    assert await widget.choice("Straatverlichting").count() == 1  # a real <button>
    where = await widget.click("Straatverlichting")
    assert "Waar" in where
    when = await widget.say("Parkweg 1")
    assert "Wanneer" in when
    photo = await widget.click("Weet ik niet")
    assert "foto" in photo.lower()
    photo = photo_bytes("JPEG", 4)  # a phone's photo: many packets to the server
    consent = await widget.upload("lantaarnpaal.jpg", photo)
    assert "Foto: lantaarnpaal.jpg" in await widget.user_texts()
    assert "contact" in consent.lower()
    summary = await widget.click("Nee, liever niet")
    assert "Parkweg 1" in summary
    # The summary is a list: one <li> per line that starts with "- ".
    assert await page.locator(".balie-bot").last.locator("li").count() >= 4
    # A long conversation scrolls inside the list; the panel's header stays in view.
    header, panel = [await page.locator(c).bounding_box() for c in (".balie-kop", ".balie-paneel")]
    assert header and panel and abs(header["y"] - panel["y"]) <= 1
    SCREENSHOT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT))

    receipt = await widget.click("Ja, versturen")
    found = IDENT_RE.search(receipt)
    assert found, receipt
    ident = found.group(1)
    api = CaseApi(http, stack)
    case = await api.get(ident)
    assert case["kanaal"] == "web"
    assert case["categorie"] == "straatverlichting-openbare-klok"
    assert case["locatie"]["straat"] == "Parkweg" and case["locatie"]["huisnummer"] == "1"
    assert [b["content_type"] for b in case["bijlagen"]] == ["image/jpeg"]
    assert await api.read(case["bijlagen"][0]["url"]) == photo  # byte for byte

    # Staff take it on: the widget hears it without the resident asking, even closed
    # (a badge on the launcher, and screen readers announce it).
    before = (await widget.state())["bots"]
    await page.get_by_role("button", name="Chat sluiten").click()
    await api.patch(ident, "in_behandeling", "We vervangen de lamp deze week.")
    await page.locator(".balie-badge", has_text="1").wait_for()
    assert "We vervangen de lamp" in await widget.live.inner_text()
    await widget.launcher.click()
    await widget.wait_for_bot("We vervangen de lamp deze week.")
    news = (await widget.bot_texts())[before:]
    assert len(news) == 1 and ident in news[0] and "in behandeling" in news[0]


@pytest.mark.stack
async def test_reload_and_navigation_keep_the_conversation(page: Page, widget: Widget) -> None:
    await widget.say("de lantaarnpaal bij de ingang van het park is kapot")
    assert "Waar" in await widget.click("Straatverlichting")
    transcript = await widget.transcript()

    await widget.reload()
    # Same conversation, open as it was, every message once, in order.
    assert (await widget.state())["open"]
    assert await widget.transcript() == transcript
    assert "Wanneer" in await widget.say("Parkweg 1")

    # Another page of the site: still the same conversation.
    await page.get_by_role("link", name="Contact").click()
    await page.wait_for_url("**/demo/contact")
    await widget.wait_for_bot("Wanneer")
    assert (await widget.user_texts()).count("Parkweg 1") == 1


@pytest.mark.stack
async def test_keyboard_only(page: Page, demo: str) -> None:
    await page.goto(demo)
    widget = Widget(page)
    # Tab from the top of the page to the launcher.
    for _ in range(30):
        await page.keyboard.press("Tab")
        active = await widget.active()
        if "balie-launcher" in str(active.get("cls")):
            break
    else:
        pytest.fail("the launcher cannot be reached with Tab")
    assert active["outline"].startswith("solid"), active  # visible focus
    await page.keyboard.press("Enter")
    assert (await widget.active())["tag"] == "TEXTAREA"  # focus goes to the message box

    async def type_and_send(text: str) -> str:
        async def send() -> None:
            await page.keyboard.type(text)
            await page.keyboard.press("Enter")

        return await widget._turn(send)

    answer = await type_and_send("de lantaarnpaal bij de ingang van het park is kapot")
    assert "Straatverlichting" in answer
    # Back from the message box into the offered choices, then pick one with the keyboard.
    for _ in range(10):
        await page.keyboard.press("Shift+Tab")
        active = await widget.active()
        if "Straatverlichting" in active.get("text", ""):
            break
    else:
        pytest.fail("the choice buttons cannot be reached with Shift+Tab")
    assert active["tag"] == "BUTTON" and active["outline"].startswith("solid")
    where = await widget._turn(lambda: page.keyboard.press("Space"))
    assert "Waar" in where
    assert (await widget.active())["tag"] == "TEXTAREA"
    assert "Wanneer" in await type_and_send("Parkweg 1")

    # Escape closes the chat and returns focus to the launcher; Enter opens it again.
    await page.keyboard.press("Escape")
    assert not (await widget.state())["open"]
    assert "balie-launcher" in (await widget.active())["cls"]
    await page.keyboard.press("Enter")
    assert (await widget.state())["open"]

    # "Gesprek wissen" by keyboard: it asks first, then starts a new conversation.
    token = await page.evaluate("() => Object.entries(localStorage)")
    for _ in range(15):  # below the message box, next to the privacy statement
        await page.keyboard.press("Tab")
        if (await widget.active()).get("text") == "Gesprek wissen":
            break
    else:
        pytest.fail("'Gesprek wissen' cannot be reached with the keyboard")
    await page.keyboard.press("Enter")
    assert (await widget.active())["text"] == "Annuleren"
    await page.keyboard.press("Shift+Tab")
    assert (await widget.active())["text"] == "Ja, wissen"
    await page.keyboard.press("Enter")
    await page.wait_for_function(
        "(old) => JSON.stringify(Object.entries(localStorage)) !== JSON.stringify(old)",
        arg=token,
    )
    assert (await widget.state())["users"] == 0
    assert "Balie" in await type_and_send("hallo")


@pytest.mark.stack
async def test_text_is_never_html_and_long_messages_get_a_notice(
    page: Page, widget: Widget
) -> None:
    attack = "<img src=x onerror=alert(1)>"
    await widget.say(attack)
    assert attack in await widget.user_texts()
    await widget.say('<script>window.pwned = 1</script><a href="javascript:alert(2)">klik</a>')
    # (the logos are the only images: none comes from a message)
    assert await page.locator(".balie-log img, .balie script, a[href^='javascript']").count() == 0
    assert await page.evaluate("() => window.pwned") is None
    # page fixture: no dialog was opened and no script error happened.

    await widget.input.fill("a" * (MAX_LENGTH + 1))
    # Said once, in the error line (a live region), not also under the text box.
    await page.locator(".balie-fout", has_text="te lang").wait_for()
    assert "te lang" not in await page.locator(".balie-teller").inner_text()
    users = (await widget.state())["users"]
    await widget.input.press("Enter")
    await page.locator(".balie-fout", has_text="te lang").wait_for()
    assert (await widget.state())["users"] == users  # not sent


@pytest.mark.stack
async def test_connection_drop_loses_and_doubles_nothing(page: Page, demo: str) -> None:
    """The socket dies right after a message is sent; the answer arrives while offline."""
    sockets: list[WebSocketRoute] = []
    blocked = asyncio.Event()  # the network is down: new sockets are refused
    drop_after_message = asyncio.Event()
    drops: set[asyncio.Task[None]] = set()

    async def drop(ws: WebSocketRoute, server: WebSocketRoute) -> None:
        await ws.close(code=1011)
        await server.close()

    async def route(ws: WebSocketRoute) -> None:
        """A socket through the test: forwards both ways, and can cut the line."""
        if blocked.is_set():
            await ws.close(code=1011)
            return
        server = ws.connect_to_server()

        def to_server(message: str | bytes) -> None:
            server.send(message)
            if drop_after_message.is_set() and json.loads(message)["type"] == "message":
                drop_after_message.clear()
                blocked.set()
                task = asyncio.ensure_future(drop(ws, server))
                drops.add(task)
                task.add_done_callback(drops.discard)

        ws.on_message(to_server)
        server.on_message(ws.send)
        sockets.append(ws)

    await page.route_web_socket(re.compile(r".*/chat/ws$"), route)
    await page.goto(demo)
    widget = Widget(page)
    await widget.open()
    await widget.say("hallo")

    drop_after_message.set()
    await widget.input.fill("wanneer is het gemeentehuis open?")
    await widget.input.press("Enter")
    await page.locator(".balie-status", has_text="verbinding is verbroken").wait_for()
    # Offline, the resident types on: it waits, marked as not sent yet.
    await widget.input.fill("hoe vraag ik een paspoort aan?")
    await widget.input.press("Enter")
    assert (await widget.state())["pending"] >= 1
    await asyncio.sleep(2)  # the first answer is stored server-side meanwhile

    blocked.clear()
    await page.locator(".balie-status", has_text="hersteld").wait_for(timeout=30_000)
    await page.wait_for_function(
        "() => { const r = document.querySelector('#balie-widget').shadowRoot;"
        " return r.querySelectorAll('.balie-wacht').length === 0"
        " && r.querySelector('.balie-typen').hidden"
        " && [...r.querySelectorAll('.balie-bot')].some(b => /paspoort/i.test(b.textContent)); }",
        timeout=60_000,
    )
    assert len(sockets) >= 2  # it really reconnected
    users = await widget.user_texts()
    assert users.count("wanneer is het gemeentehuis open?") == 1
    assert users.count("hoe vraag ik een paspoort aan?") == 1
    bots = await widget.bot_texts()
    assert sum("8.30" in b for b in bots) >= 1
    assert len(bots) == len(set(bots)), bots  # nothing twice
    # And a reload shows exactly the same transcript.
    transcript = await widget.transcript()
    await widget.reload()
    assert await widget.transcript() == transcript


@pytest.fixture
def for_axe() -> None:
    """Asks the `context` fixture for a page where axe-core may add its own styles."""


@pytest.mark.stack
async def test_accessibility_wcag21_aa(page: Page, widget: Widget, for_axe: None) -> None:
    await widget.say("goedemiddag")
    await widget.say("de lantaarnpaal bij de ingang van het park is kapot")  # with buttons
    violations = await axe_violations(page)
    assert violations == [], describe(violations)

    # Every control has a name; the live region exists before messages arrive.
    for button in await page.locator(".balie button").all():
        name = (await button.get_attribute("aria-label")) or (await button.inner_text())
        assert name.strip(), await button.evaluate("b => b.outerHTML")
    assert await page.locator(".balie [aria-live=polite]").count() == 1

    # 200% zoom on a 1280x800 screen = 640x400 CSS pixels: the chat fills the window,
    # nothing scrolls sideways, and the message box and send button stay on screen.
    await page.set_viewport_size({"width": 640, "height": 400})
    box = await page.locator(".balie-paneel").bounding_box()
    assert box and box["width"] <= 640 and box["height"] <= 400
    overflow = await page.evaluate(
        "() => [...document.querySelector('#balie-widget').shadowRoot"
        ".querySelectorAll('.balie-paneel, .balie-log, .balie-invoer')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.className)"
    )
    assert overflow == []
    for control in (widget.input, page.get_by_role("button", name="Versturen")):
        rect = await control.bounding_box()
        assert rect and rect["y"] + rect["height"] <= 400 and rect["x"] + rect["width"] <= 640
    violations = await axe_violations(page)
    assert violations == [], describe(violations)

    # prefers-reduced-motion: nothing moves.
    await page.emulate_media(reduced_motion="reduce")
    animation = await page.evaluate(
        "() => getComputedStyle(document.querySelector('#balie-widget').shadowRoot"
        ".querySelector('.balie-puntjes span')).animationName"
    )
    assert animation == "none"


@pytest.mark.stack
async def test_shared_location_goes_with_the_message(
    page: Page, context: BrowserContext, widget: Widget, stack: Settings
) -> None:
    await context.grant_permissions(["geolocation"], origin=stack.web_url)
    await context.set_geolocation({"latitude": 52.0907, "longitude": 5.1214})
    await widget.say("de lantaarnpaal bij de ingang van het park is kapot")
    await widget.click("Straatverlichting")
    when = await widget._turn(lambda: page.get_by_role("button", name="Mijn locatie").click())
    assert "Wanneer" in when  # the point answered "Waar is het?"
    assert "Mijn locatie (gedeeld via de browser)" in await widget.user_texts()


# --- the relay's rules, without a browser ---------------------------------------------------


async def hello(http: aiohttp.ClientSession, stack: Settings) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(f"{stack.web_url}/chat/ws", origin=stack.web_url)
    await ws.send_json({"type": "hello", "session": None, "after": 0})
    return ws


async def frames_until(ws: aiohttp.ClientWebSocketResponse, last: dict[str, Any]) -> list[Any]:
    """Frames up to and including `last`."""
    seen: list[dict[str, Any]] = []
    while not seen or seen[-1] != last:
        seen.append(await ws.receive_json(timeout=30))
    return seen


@pytest.mark.stack
async def test_relay_checks_origin_and_secret(http: aiohttp.ClientSession, stack: Settings) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(f"{stack.web_url}/chat/ws", origin="https://kwaadwillend.example")
    assert refused.value.status == 403
    body = {"recipient_id": "x", "text": "nep"}
    async with http.post(f"{stack.web_url}/chat/callback", json=body) as resp:
        assert resp.status == 401
    headers = {SECRET_HEADER: "fout"}
    async with http.post(f"{stack.web_url}/chat/callback", json=body, headers=headers) as resp:
        assert resp.status == 401
    secret = channel_secret(stack.api_token())
    async with http.post(
        f"{stack.rasa_url}/webhooks/balie_web/webhook", json={"sender": "x", "message": "hoi"}
    ) as resp:
        assert resp.status == 401  # Rasa's side of the channel wants the secret too
    async with http.post(
        f"{stack.web_url}/chat/callback", json=body, headers={SECRET_HEADER: secret}
    ) as resp:
        assert resp.status == 404  # right secret, unknown conversation


@pytest.mark.stack
async def test_relay_limits_and_resends(http: aiohttp.ClientSession, stack: Settings) -> None:
    ws = await hello(http, stack)
    welcome = await ws.receive_json()
    assert welcome["type"] == "welcome" and welcome["new"] is True
    assert (await ws.receive_json())["type"] == "synced"

    # The same message id twice (a resend after a reconnect): stored and answered once.
    message = {"type": "message", "id": uuid.uuid4().hex, "text": "hallo"}
    await ws.send_json(message)
    await ws.send_json(message)
    frames = await frames_until(ws, {"type": "typing", "on": False})
    mine = [f for f in frames if f["type"] == "message" and f["from"] == "user"]
    assert len(mine) == 1 and mine[0]["id"] == message["id"] and mine[0]["seq"] == 1
    bots = [f for f in frames if f["type"] == "message" and f["from"] == "bot"]
    assert len(bots) == 1 and bots[0]["seq"] == 2

    # A button payload Balie never offered (e.g. an EXTERNAL_ intent) is refused.
    await ws.send_json(
        {
            "type": "message",
            "id": "knop1",
            "text": "/EXTERNAL_status_gewijzigd",
            "label": "x",
            "button": True,
        }
    )
    refused = await ws.receive_json()
    assert refused["type"] == "error" and refused["id"] == "knop1"
    # Too long: a friendly Dutch notice.
    await ws.send_json({"type": "message", "id": "lang", "text": "a" * (MAX_LENGTH + 1)})
    too_long = await ws.receive_json()
    assert too_long["code"] == "te_lang" and "maximaal" in too_long["text"]
    # Photos must be real images, from a known conversation.
    upload = f"{stack.web_url}/chat/upload"
    headers = {"X-Balie-Sessie": welcome["session"], "Content-Type": "image/jpeg"}
    async with http.post(upload, data=b"geen foto", headers=headers) as resp:
        assert resp.status == 415 and "foto" in (await resp.json())["melding"]
    async with http.post(
        upload, data=jpeg_bytes(), headers=headers | {"X-Balie-Sessie": "x"}
    ) as resp:
        assert resp.status == 401

    # More than 20 messages a minute: the rest is refused with a Dutch notice.
    codes: list[str] = []
    for n in range(20):
        await ws.send_json({"type": "message", "id": f"snel{n}", "text": f"bericht {n}"})
    deadline = asyncio.get_running_loop().time() + 60
    while "te_snel" not in codes and asyncio.get_running_loop().time() < deadline:
        frame = await ws.receive_json(timeout=60)
        if frame["type"] == "error":
            codes.append(frame["code"])
    assert "te_snel" in codes
    await ws.close()


# --- the conversation log, on both databases -----------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    database = sqlite_database(tmp_path) if request.param == "sqlite" else postgres_database()
    with database as url:
        yield url


async def test_log_numbers_messages_in_order_once(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        chat_log = ChatLog(session_factory(engine), sealer(Settings(secret_key="test-widget-log")))
        conversation, token, new = await chat_log.open(None)
        assert new and (await chat_log.open(token))[0] == conversation
        # Concurrent appends (a status push during a turn) get distinct, consecutive numbers.
        results = await asyncio.gather(
            *(chat_log.append(conversation.id, BOT, {"text": f"b{n}"}, f"id{n}") for n in range(12))
        )
        assert sorted(seq for seq, _ in results) == list(range(1, 13))  # type: ignore[misc]
        # The same message again (a retried callback) keeps its first number.
        again = await chat_log.append(conversation.id, BOT, {"text": "b3"}, "id3")
        assert again == (results[3][0], False)  # type: ignore[index]
        await chat_log.append(conversation.id, RESIDENT, {"text": "ja"}, "u1")
        entries = await chat_log.after(conversation.id, 10)
        assert [e.seq for e in entries] == [11, 12, 13]
        assert entries[-1].frame()["from"] == "user" and entries[-1].frame()["id"] == "u1"
        assert await chat_log.offered(conversation.id, "/bevestigen") is False
        await chat_log.append(
            conversation.id, BOT, {"buttons": [{"title": "Ja", "payload": "/bevestigen"}]}, None
        )
        assert await chat_log.offered(conversation.id, "/bevestigen") is True
        assert await chat_log.sent_since(conversation.id, entries[0].op - timedelta(1)) == 1
        # Uploads are limited per window.
        allowed = [
            await chat_log.allow_upload(conversation.id, 2, timedelta(hours=1)) for _ in "abc"
        ]
        assert allowed == [True, True, False]
        # "Gesprek wissen": gone, and late replies are not stored.
        await chat_log.wipe(conversation.id)
        assert await chat_log.find(token) is None
        assert await chat_log.after(conversation.id, 0) == []
        assert await chat_log.append(conversation.id, BOT, {"text": "laat"}, None) is None
        assert (await chat_log.by_sender(conversation.sender)) == (conversation, True)
        assert await chat_log.purge(timedelta(0)) >= 1
        assert await chat_log.by_sender(conversation.sender) is None
    finally:
        await engine.dispose()


async def test_messages_are_json_safe() -> None:
    from webapp.chat.routes import bot_message, clean_metadata

    assert bot_message({"text": "x", "buttons": [{"title": "A", "payload": "/a"}, "b"]}) == {
        "text": "x",
        "buttons": [{"title": "A", "payload": "/a"}],
    }
    assert bot_message({"image": "javascript:alert(1)"}) == {}
    assert clean_metadata({"locatie": {"lat": 52, "lon": 5.1}, "x": 1}) == {
        "locatie": {"lat": 52.0, "lon": 5.1}
    }
    for bad in ({"locatie": {"lat": 91, "lon": 0}}, {"foto": {"upload_id": "../x"}}, []):
        with pytest.raises(ValueError):
            clean_metadata(bad)
    json.dumps(bot_message({"text": "é"}))
