"""Live chat with a medewerker from Telegram (issue #16), through the fake Bot API server.

The real stack (Rasa with the Telegram connector in webhook mode, the action server,
the web app) and a medewerker on the staff WebSocket, as tests/test_live.py does:
queued with place and wait in words, stop waiting, queued again, taken, text, a photo
(whole, seen through the console's photo route) and a location to the medewerker and
never to Rasa, the medewerker's words in the chat, hand back, and Balie answers again.
Two fallbacks in a row and a thumbs-down offer the chat; out of hours a call-back.
While residents wait their queue message is edited as their place changes (throttled);
the medewerker's typing shows as "typing…"; a melding filed from the chat reaches it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
import pytest_asyncio
from aiohttp import web

from core import kcc
from core.caseapi.client import CaseApiClient
from core.clock import zone
from core.dutch.tijdstip import WEEKDAGEN
from core.residents import texts
from core.settings import Settings
from core.widget_protocol import SECRET_HEADER, channel_secret
from rasa_plugins.connectors.telegram_bot import WEBHOOK_PATH
from rasa_plugins.connectors.telegram_live import QueueMessages, place_of, with_place
from tests.conftest import TrainedModel, free_port, make_settings
from tests.fakes.telegram import FakeTelegram
from tests.images import jpeg_bytes
from tests.staff_helpers import Client, create_users, settings_in, start_stack, web_app
from tests.test_live import ALWAYS, available, content_file, files_melding, kcc_content, until
from tests.test_telegram import SECRET, CaseApi, Resident, eventually
from webapp.cases.store import CaseStore
from webapp.live.service import Live
from webapp.live.store import Waiting
from webapp.live.telegram import TelegramLive

__all__ = ["kcc_content"]  # a fixture


@pytest.fixture(scope="module")
def fake():
    server = FakeTelegram().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tg_live_stack(test_model: TrainedModel, fake: FakeTelegram, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tg-live")
    settings = make_settings(tmp)
    gemeente = content_file(tmp / "gemeente.yml", ALWAYS)
    env = {
        "TELEGRAM_TOKEN": fake.token,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_WEBHOOK_URL": f"{settings.rasa_url}{WEBHOOK_PATH}",
        "TELEGRAM_API_URL": fake.url,
        "BALIE_DATABASE_URL": "",
        "BALIE_CONTENT_FILE": str(gemeente),
    }
    running = start_stack(settings, test_model.path, env, {"marieke": ["medewerker"]})
    deadline = time.monotonic() + 60
    while not fake.webhook and time.monotonic() < deadline:  # registered after the start
        time.sleep(0.2)
    yield running.settings, gemeente
    running.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def medewerker(tg_live_stack) -> AsyncIterator[tuple[Client, Any]]:
    """Marieke's Live page: logged in, available."""
    settings, _ = tg_live_stack
    base = settings.web_url
    console = Client(base)
    await console.login("marieke")
    ws = await available(console, "Marieke")
    yield console, ws
    await ws.close()
    await console.close()


async def quietly(resident: Resident, update: dict[str, Any]) -> None:
    """Deliver an update that gets no answer in the chat (it goes to the medewerker)."""
    assert await resident.fake.send_update(update) == 200


async def user_message_ids(resident: Resident) -> set[str]:
    return {e.get("message_id") for e in await resident.user_events()}


async def next_bot_message(resident: Resident, timeout: float = 30) -> dict[str, Any]:
    await eventually(lambda: len(resident.fake.sent(resident.chat_id)) > resident.read, timeout)
    message = resident.fake.sent(resident.chat_id)[resident.read]
    resident.read += 1
    resident.last = [message]
    return message


async def stops_waiting(resident: Resident) -> None:
    """The button under the queue message: the connector asks the web app, not Rasa."""
    await resident.send(
        resident.chat.click(resident.keyboard(), "Stoppen met wachten"), to_rasa=False
    )
    assert resident.text == texts.LIVE_CANCELLED


@pytest.mark.stack
async def test_hand_off_from_telegram(fake, tg_live_stack, medewerker, http) -> None:
    settings, gemeente = tg_live_stack
    console, ws = medewerker
    resident = Resident(fake, http, settings, 82_000_001)

    # Queued: the place and an honest wait in words, and a button to stop waiting.
    reply = await resident.says("Ik wil een medewerker spreken")
    assert "nummer 1 in de wachtrij" in reply and "weten we nog niet" in reply, reply
    assert resident.buttons() == ["Stoppen met wachten"]
    queued = await until(ws, lambda f: f["type"] == "wachtrij" and f["wachtenden"], 10)
    await stops_waiting(resident)
    await until(ws, lambda f: f["type"] == "wachtrij" and not f["wachtenden"], 10)

    # Again; while waiting the resident may still ask Balie (their words reach the queue).
    await resident.says("Ik wil een medewerker spreken")
    reply = await resident.says("wanneer is het gemeentehuis open?")
    assert "8.30" in reply, reply
    queued = await until(
        ws,
        lambda f: (
            f["type"] == "wachtrij"
            and f["wachtenden"]
            and any("gemeentehuis" in t for t in f["wachtenden"][0]["voorbeeld"])
        ),
        10,
    )
    await ws.send_json({"type": "nemen", "id": queued["wachtenden"][0]["id"]})
    chat = await until(ws, lambda f: f["type"] == "gesprek", 10)
    taken = await next_bot_message(resident)
    assert taken["text"] == "U chat nu met Marieke van de gemeente."
    assert [b["text"] for row in taken["reply_markup"]["inline_keyboard"] for b in row] == [
        kcc.END_BUTTON["title"]
    ]

    # Resident -> medewerker: text, a photo (whole), a location; none of it reaches Rasa.
    before = await user_message_ids(resident)
    text = resident.chat.text("Mijn container is al twee weken niet geleegd")
    await quietly(resident, text)
    heard = await until(ws, lambda f: f["type"] == "bericht" and f["from"] == "user", 10)
    assert heard["text"] == "Mijn container is al twee weken niet geleegd"
    photo = jpeg_bytes("gray")
    await quietly(resident, resident.chat.photo(photo, "Zo ziet hij eruit"))
    seen = await until(ws, lambda f: f["type"] == "bericht" and f.get("foto"), 30)
    assert seen["text"] == "Zo ziet hij eruit"
    async with console.http.get(settings.web_url + seen["foto"]) as resp:
        assert resp.status == 200 and await resp.read() == photo
    async with http.get(settings.web_url + seen["foto"]) as resp:  # not logged in
        assert resp.status != 200 or await resp.read() != photo
    await quietly(resident, resident.chat.location(52.09074, 5.12142))
    point = await until(ws, lambda f: f["type"] == "bericht" and f.get("locatie"), 10)
    assert point["text"] == "Gedeelde locatie (52.09074, 5.12142)"
    assert point["locatie"] == {"lat": 52.09074, "lon": 5.12142}
    await asyncio.sleep(1.0)
    assert await user_message_ids(resident) == before  # Balie heard none of it
    assert len(fake.sent(resident.chat_id)) == resident.read  # and said nothing

    # Medewerker -> resident.
    await ws.send_json({"type": "bericht", "id": chat["id"], "tekst": "Goedemiddag! <b>&"})
    said = await next_bot_message(resident)
    assert said["text"] == "Marieke: Goedemiddag! <b>&"  # literally (HTML-escaped)

    # Hand back: the resident is told, and Balie answers again.
    await ws.send_json({"type": "teruggeven", "id": chat["id"]})
    back = await next_bot_message(resident)
    assert back["text"] == texts.live_handed_back("Marieke")
    assert not back.get("reply_markup")
    reply = await resident.says("wanneer is het gemeentehuis open?")
    assert "8.30" in reply, reply

    # Two fallbacks in a row offer the chat while Marieke is available.
    await resident.says("blorp fnaf qwx")
    reply = await resident.says("zzkrrt vlomp")
    assert "nog steeds niet" in reply and "kan nu met u chatten" in reply, reply
    assert resident.buttons()[0] == "Chat met een medewerker"

    # Out of hours: a call-back, saying when.
    later = (datetime.now(zone()).weekday() + 2) % 7  # only the day after tomorrow
    content_file(gemeente, {WEEKDAGEN[later]: "08:30-17:00"})
    reply = await resident.says("Ik wil een medewerker spreken")
    assert "terugbellen" in reply and "tussen 8.30 en 17.00 uur" in reply, reply
    assert "Ja, bel mij terug" in resident.buttons()
    content_file(gemeente, ALWAYS)


@pytest.mark.stack
async def test_a_thumbs_down_offers_a_person(fake, tg_live_stack, medewerker, http) -> None:
    settings: Settings = tg_live_stack[0]
    resident = Resident(fake, http, settings, 82_000_002)
    # The connector's routes for the web app want the channel secret, and sound bodies.
    chat = str(resident.chat_id)
    secret = {SECRET_HEADER: channel_secret(settings.api_token())}
    place = {"chat_id": chat, "positie": 1}
    for path, body, odd in (
        (kcc.TELEGRAM_RELAY_PATH, {"chat_id": chat, "tekst": "Nep"}, [{"chat_id": "abc"}]),
        (
            kcc.TELEGRAM_PLACE_PATH,
            place,
            [{"chat_id": chat}, {**place, "positie": True}, {**place, "wacht_minuten": -1}],
        ),
        (kcc.TELEGRAM_TYPING_PATH, {"chat_id": chat}, [{"chat_id": 12}, []]),
    ):
        for headers in ({}, {SECRET_HEADER: "x" * 64}):
            async with http.post(settings.rasa_url + path, json=body, headers=headers) as resp:
                assert resp.status == 401
        for bad in odd:
            async with http.post(settings.rasa_url + path, json=bad, headers=secret) as resp:
                assert resp.status == 400, (path, bad)
    assert fake.sent(resident.chat_id) == []
    reply = await resident.says("hoe vraag ik een paspoort aan?")
    assert "paspoort" in reply.lower(), reply
    assert "👎 Geen goed antwoord" in resident.buttons()
    await resident.send(
        resident.chat.click(resident.keyboard(), "👎 Geen goed antwoord"), to_rasa=False
    )
    offer = await eventually(
        lambda: next(
            (m for m in fake.sent(resident.chat_id) if m["text"] == texts.live_offer(True)), None
        ),
        30,
    )
    resident.read = len(fake.sent(resident.chat_id))
    resident.last = [offer]
    # The connector's own offer goes to Rasa, although Rasa's tracker never offered it.
    message = offer
    await resident.send(resident.chat.click(message, kcc.OFFER_BUTTON["title"]))
    assert "nummer 1 in de wachtrij" in resident.text, resident.text
    await stops_waiting(resident)


def queue_message(resident: Resident) -> dict[str, Any]:
    """The chat's queue message as it reads now (edits applied)."""
    sent = resident.fake.sent(resident.chat_id)
    return next(m for m in reversed(sent) if "in de wachtrij" in m["text"])


async def place_shown(resident: Resident, positie: int, timeout: float = 25) -> dict[str, Any]:
    return await eventually(
        lambda: (m := queue_message(resident)) and f"nummer {positie} in" in m["text"] and m,
        timeout,
    )


@pytest.mark.stack
async def test_waiting_typing_and_filing(fake, tg_live_stack, medewerker, http) -> None:
    """The queue message follows the place (edited, at most once per ~10 s per chat);
    the medewerker's typing is "typing…" (throttled); a melding filed from the chat."""
    settings: Settings = tg_live_stack[0]
    console, ws = medewerker
    first, second, third = (Resident(fake, http, settings, 82_000_010 + i) for i in range(3))
    for n, resident in enumerate((first, second, third), 1):
        reply = await resident.says("Ik wil een medewerker spreken")
        assert f"nummer {n} in de wachtrij" in reply, reply
    queued = await until(ws, lambda f: f["type"] == "wachtrij" and len(f["wachtenden"]) == 3, 10)
    assert not fake.edited(third.chat_id)  # the place did not change: nothing edited

    # The first is taken: the others' messages move up, their button kept.
    await ws.send_json({"type": "nemen", "id": queued["wachtenden"][0]["id"]})
    chat = await until(ws, lambda f: f["type"] == "gesprek", 10)
    moved = await place_shown(second, 1)
    assert moved["message_id"] == second.last[0]["message_id"] and moved.get("edit_date")
    assert [b["text"] for row in moved["reply_markup"]["inline_keyboard"] for b in row] == [
        "Stoppen met wachten"
    ]
    await place_shown(third, 2)
    # The second stops waiting: the third is next, but its message changed a moment ago.
    await stops_waiting(second)

    # Meanwhile: Marieke types (three times; "typing…" once), then files a melding.
    for _ in range(3):
        await ws.send_json({"type": "typen", "id": chat["id"]})
    await eventually(lambda: typing_to(fake, first), 10)
    await asyncio.sleep(0.5)
    assert typing_to(fake, first) == ["typing"]
    assert not typing_to(fake, third)
    ident = await files_melding(console, chat["id"])
    taken = await until(ws, lambda f: f["type"] == "bericht" and ident in f["text"], 10)
    told = await eventually(
        lambda: next((m for m in fake.sent(first.chat_id) if ident in m["text"]), None), 10
    )
    assert "controlecode" in told["text"] and taken["from"] == "bot"
    store = CaseStore.from_url(settings.database_url)
    try:
        case = await store.get(ident)
        assert case is not None
        assert (case.melder, case.kanaal) == (f"telegram:{first.chat_id}", "telegram")
    finally:
        await store.close()
    # Its status changes: the news reaches the resident's Telegram chat.
    await CaseApi(http, settings).patch(ident, "in_behandeling", "Een ploeg komt morgen.")
    news = await eventually(
        lambda: next(
            (
                m
                for m in fake.sent(first.chat_id)
                if ident in m["text"] and m["message_id"] != told["message_id"]
            ),
            None,
        ),
        30,
    )
    assert "ploeg" in news["text"] and "in behandeling" in news["text"], news["text"]

    # The third's message moved up too, no sooner than ~10 s after its last edit.
    await place_shown(third, 1)
    stamps = fake.edit_times(third.chat_id)
    assert len(stamps) >= 2 and all(b - a >= 9.5 for a, b in itertools.pairwise(stamps)), stamps

    await ws.send_json({"type": "teruggeven", "id": chat["id"]})
    await stops_waiting(third)
    await until(ws, lambda f: f["type"] == "wachtrij" and not f["wachtenden"], 10)


def typing_to(fake: FakeTelegram, resident: Resident) -> list[str]:
    calls = fake.method_calls("sendChatAction")
    return [c["action"] for c in calls if str(c.get("chat_id")) == str(resident.chat_id)]


# --- the web app's side alone: the Case API routes and what it sends the connector --------


@pytest.mark.asyncio
async def test_the_web_app_side(tmp_path: Path, kcc_content: Path) -> None:
    """No Rasa: a stand-in for the connector's route records what the web app sends."""
    token = "t" * 32
    relayed: list[dict[str, Any]] = []
    placed: list[dict[str, Any]] = []

    async def connector(request: web.Request) -> web.Response:
        if request.headers.get(SECRET_HEADER) != channel_secret(token):
            return web.json_response({"error": "secret"}, status=401)
        relayed.append(await request.json())
        return web.json_response({"ok": True})

    async def places(request: web.Request) -> web.Response:
        placed.append(await request.json())
        return web.json_response({"ok": True})

    rasa = web.Application()
    rasa.router.add_post(kcc.TELEGRAM_RELAY_PATH, connector)
    rasa.router.add_post(kcc.TELEGRAM_PLACE_PATH, places)
    runner = web.AppRunner(rasa)
    await runner.setup()
    rasa_port, port = free_port(), free_port()
    await web.TCPSite(runner, "127.0.0.1", rasa_port).start()
    settings = settings_in(tmp_path, port, configured_api_token=token, rasa_port=rasa_port)
    melder = "telegram:5551"
    async with web_app(settings, port) as base:
        api = CaseApiClient(base + "/api/v1", settings.api_token())
        console = Client(base)
        store = CaseStore.from_url(settings.database_url)
        try:
            assert not await api.live_available()  # nobody there
            assert await api.live(melder) == {"wachtrij": False}
            assert not await api.live_message(melder, {"text": "hallo"})  # no chat: Balie's
            assert not await api.live_stop(melder)
            await create_users(settings.database_url, {"marieke": ["medewerker"]})
            await console.login("marieke")
            ws = await available(console, "Marieke")
            assert await api.live_available()
            answer = await api.live(melder)
            assert answer["wachtrij"] is True and answer["positie"] == 1
            # Waiting: stored for the queue, and still Balie's to answer.
            assert not await api.live_message(melder, {"text": "Mijn pas is kwijt"})
            queued = await until(  # the queue's next refresh shows it
                ws,
                lambda f: (
                    f["type"] == "wachtrij"
                    and f["wachtenden"]
                    and f["wachtenden"][0]["voorbeeld"] == ["Mijn pas is kwijt"]
                ),
                10,
            )
            await ws.send_json({"type": "nemen", "id": queued["wachtenden"][0]["id"]})
            chat = await until(ws, lambda f: f["type"] == "gesprek")
            await eventually(lambda: relayed, 10)
            # While it waited, its place went to the connector only when it changed, not at
            # every refresh (the expected wait may become known in between: a second post).
            shown = [(p["chat_id"], p["positie"], p["wacht_minuten"]) for p in placed]
            assert shown and {(c, pos) for c, pos, _ in shown} == {("5551", 1)}, placed
            assert all(a != b for a, b in itertools.pairwise(shown)), placed
            assert relayed[0] == {
                "chat_id": "5551",
                "tekst": "U chat nu met Marieke van de gemeente.",
                "stoppen": True,
            }
            # Taken: the resident's messages are the medewerker's, once per message id.
            assert await api.live_message(melder, {"text": "Hallo?"}, "telegram-1")
            assert await api.live_message(melder, {"text": "Hallo?"}, "telegram-1")
            point = {"text": "[locatie]", "locatie": {"lat": 52.1, "lon": 5.1}}
            assert await api.live_message(melder, point)
            frames: list[dict[str, Any]] = []
            await until(ws, lambda f: frames.append(f) or f.get("locatie") is not None)
            said = [f["text"] for f in frames if f["type"] == "bericht" and f["from"] == "user"]
            assert said == ["Hallo?", "Gedeelde locatie (52.10000, 5.10000)"]
            await ws.send_json({"type": "bericht", "id": chat["id"], "tekst": "Ik kijk even."})
            await eventually(lambda: len(relayed) == 2, 10)
            assert relayed[1]["tekst"] == "Marieke: Ik kijk even." and relayed[1]["stoppen"]
            # Odd input: clear 4xx, never a 500 (400 unreadable, 422 a field, as the Case API).
            for body in (
                {"melder": "web:abc", "bericht": {"text": "x"}},
                {"melder": "telegram:12a", "bericht": {"text": "x"}},
                {"melder": melder, "bericht": {"text": ""}},
                {"melder": melder, "bericht": {"text": "x", "foto": "../../etc"}},
                {"melder": melder, "bericht": {"text": "x", "locatie": {"lat": 91, "lon": 0}}},
                {"melder": melder, "bericht": {"text": "x", "locatie": {"lat": True, "lon": 0}}},
                {"melder": melder, "bericht": "x"},
                [],
            ):
                status, _ = await api.request(
                    "POST", kcc.MESSAGE_PATH, ok=(200, 400, 422), json=body
                )
                assert status in (400, 422), body
            # The resident ends the chat with the button.
            assert await api.live_stop(melder)
            await until(ws, lambda f: f["type"] == "einde")
            await eventually(lambda: len(relayed) == 3, 10)
            assert relayed[2] == {"chat_id": "5551", "tekst": texts.LIVE_ENDED, "stoppen": False}
            assert not await api.live_message(melder, {"text": "En nu?"})  # Balie's again
            await ws.close()
        finally:
            await api.close()
            await console.close()
            await store.close()
            await runner.cleanup()


@pytest.mark.asyncio
async def test_places_go_out_without_holding_up_the_refresh(tmp_path: Path) -> None:
    """The refresh only starts the posts: a chat whose post hangs holds up neither the
    refresh nor another chat, and its place changed meanwhile follows, in order, after it."""
    placed: list[tuple[str, int, int | None]] = []
    release = asyncio.Event()

    async def places(request: web.Request) -> web.Response:
        body = await request.json()
        if body["chat_id"] == "1":
            await release.wait()
        placed.append((body["chat_id"], body["positie"], body["wacht_minuten"]))
        return web.json_response({"ok": True})

    rasa = web.Application()
    rasa.router.add_post(kcc.TELEGRAM_PLACE_PATH, places)
    runner = web.AppRunner(rasa)
    await runner.setup()
    rasa_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", rasa_port).start()
    settings = settings_in(
        tmp_path, free_port(), configured_api_token="t" * 32, rasa_port=rasa_port
    )
    telegram = TelegramLive(cast(Live, SimpleNamespace(outlets=[])), settings)
    lifecycle = telegram.lifecycle(web.Application())
    await lifecycle.__anext__()
    try:
        telegram.chats.update({"a": "1", "b": "2", "widget": None})  # known: no database
        started = time.monotonic()
        await telegram.places(
            {"a": Waiting(1, None), "b": Waiting(2, None), "widget": Waiting(3, None)}
        )
        assert time.monotonic() - started < 0.5
        assert await eventually(lambda: placed == [("2", 2, None)], 5), placed
        # The next refresh: chat 1's wait is known now, its first post still hangs.
        await telegram.places({"a": Waiting(1, 4), "b": Waiting(2, None)})
        assert list(telegram._place_senders) == ["a"]
        release.set()
        await eventually(lambda: len(placed) == 3, 5)
        assert placed[1:] == [("1", 1, None), ("1", 1, 4)]
        await eventually(lambda: not telegram._place_senders, 5)
        assert telegram.places_sent == {"a": (1, 4), "b": (2, None)}
    finally:
        with contextlib.suppress(StopAsyncIteration):
            await lifecycle.__anext__()
        await runner.cleanup()


@pytest.mark.asyncio
async def test_queue_message_edits_are_throttled() -> None:
    """At most one edit per period per chat, the latest place last; none once it moved on."""
    edits: list[tuple[str, int, str]] = []

    async def edit(chat_id: str, message_id: int, text: str, markup: Any) -> bool:
        edits.append((chat_id, message_id, text))
        return True

    shown = QueueMessages(edit, every=0.3)
    text = "U bent nummer 3 in de wachtrij. " + texts.live_wait(None) + " Zolang u wacht."
    shown.sent("1", 10, "Hallo", {"keyboard": 1})  # no place: not a queue message
    shown.sent("1", 11, text, {"keyboard": 1})
    await shown.update("1", 3, None)  # what it says already
    assert edits == []
    await shown.update("1", 2, 4)
    await shown.update("1", 1, 3)  # within the period: later, and only the latest
    await shown.update("1", 1, 2)
    assert [e[2] for e in edits] == [with_place(text, 2, 4)]
    await eventually(lambda: len(edits) == 2, 5)
    assert edits[1] == ("1", 11, with_place(text, 1, 2))
    assert "nummer 1 in de wachtrij. Het duurt nog zo'n 2 minuten." in edits[1][2]
    slow = QueueMessages(edit, every=60)
    slow.sent("2", 12, text, {"keyboard": 1})
    await slow.update("2", 2, None)
    await slow.update("2", 1, None)  # planned for a minute later...
    slow.forget("2")  # ...but taken or stopped: dropped
    await asyncio.sleep(0)
    assert [e[0] for e in edits] == ["1", "1", "2"] and slow._shown == {}
    for odd in ({"chat_id": "1"}, {"chat_id": "1", "positie": 0}, {"chat_id": "x", "positie": 1}):
        assert place_of(odd) is None
    assert place_of({"chat_id": "-5", "positie": 2, "wacht_minuten": None}) == ("-5", 2, None)
