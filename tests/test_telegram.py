"""Residents on Telegram, against a fake Bot API server on loopback.

The first part runs the connector's pieces in this process (splitting, buttons,
429s, ordering, odd updates). The second runs `python -m bot run` with a token:
once in webhook mode (the fake delivers updates to Rasa's webhook with the secret,
as Telegram does) and once in long-polling mode (the poller fetches them).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from telegram import Update

from bot.settings import LauncherSettings
from bot.supervisor import services
from core import feedback
from core.channel_hints import ASK_LOCATION, copyable
from core.photos import MAX_BYTES as MAX_PHOTO_BYTES
from core.residents import texts
from core.residents.guard import MAX_LENGTH
from core.settings import Env, Settings
from rasa_plugins.connectors.telegram import TelegramInput
from rasa_plugins.connectors.telegram_bot import SECRET_HEADER, WEBHOOK_PATH, TelegramConfig
from rasa_plugins.connectors.telegram_output import (
    MAX_CALLBACK_DATA,
    CallbackKeys,
    TelegramOutput,
    split_text,
    utf16_len,
)
from tests.conftest import RunningStack, TrainedModel, make_settings
from tests.fakes.telegram import FakeTelegram, TelegramChat
from tests.images import corrupt_png, jpeg_bytes, photo_bytes
from tests.webapp import AUTH, serve

IDENT_RE = re.compile(r"\b(M-\d{4}-\d{6})\b")
CODE_RE = re.compile(r"controlecode is ([A-Z0-9]{6})")
SECRET = "balie-test-secret_0123456789"
LONG_PAYLOAD = '/informeren{"categorie":"overlast-van-taxis-bussen-en-fietstaxis"}'


@pytest.fixture(scope="module")
def fake():
    server = FakeTelegram().start()
    yield server
    server.stop()


async def eventually(check: Callable[[], Any], timeout: float = 60.0, step: float = 0.1) -> Any:
    """Wait until `check()` is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(step)


# -- the connector's pieces, in this process ----------------------------------------


def test_split_text_keeps_lines_and_the_limit() -> None:
    lines = [f"Regel {i}: " + " ".join(["tekst"] * 30) for i in range(60)]
    parts = split_text("\n".join(lines))
    assert len(parts) > 1 and all(utf16_len(p) <= 4096 for p in parts)
    assert "\n".join(parts).split("\n") == lines  # cut between lines, none lost
    # Emoji count double in Telegram's UTF-16 limit; one unbroken word is cut hard.
    assert all(utf16_len(p) <= 4096 for p in split_text("🙂" * 5000))
    assert "".join(split_text("x" * 9000)) == "x" * 9000
    assert split_text("  ") == []


def test_long_payloads_travel_as_short_keys() -> None:
    keys = CallbackKeys(capacity=3)
    assert keys.data_for("/bevestigen") == "/bevestigen"
    data = keys.data_for(LONG_PAYLOAD)
    assert len(LONG_PAYLOAD.encode()) > MAX_CALLBACK_DATA >= len(data.encode())
    assert keys.data_for(LONG_PAYLOAD) == data and keys.payload_of(data) == LONG_PAYLOAD
    for i in range(3):
        keys.data_for(LONG_PAYLOAD + "x" * (i + 1))
    assert keys.payload_of(data) is None  # bounded: the oldest key is gone


@pytest.mark.parametrize(
    ("env", "poller"),
    [
        ({}, False),
        ({"TELEGRAM_TOKEN": "1:x"}, True),
        ({"TELEGRAM_TOKEN": "1:x", "TELEGRAM_WEBHOOK_URL": "https://balie.example/w"}, False),
    ],
)
def test_supervisor_configures_the_channel(env, poller) -> None:
    telegram = TelegramConfig.read(Env(env))
    settings = make_settings(Path("/tmp/balie-unused"), LauncherSettings, telegram=telegram)
    found = {s.name: s for s in services(settings, Path("m"))}
    rasa = found["rasa"].env
    # credentials.yml reads all four with ${VAR}: Rasa must always get them, if empty.
    assert {k for k in rasa if k.startswith("TELEGRAM_")} == {
        "TELEGRAM_TOKEN",
        "TELEGRAM_WEBHOOK_SECRET",
        "TELEGRAM_WEBHOOK_URL",
        "TELEGRAM_API_URL",
    }
    assert bool(rasa["TELEGRAM_WEBHOOK_SECRET"]) == bool(env)  # made up when not given
    assert ("telegram" in found) == poller
    if poller:
        assert found["telegram"].argv[-2:] == ["bot", "telegram-poll"]
        assert found["telegram"].env["TELEGRAM_WEBHOOK_SECRET"] == rasa["TELEGRAM_WEBHOOK_SECRET"]


async def test_without_a_token_the_channel_is_off() -> None:
    off = TelegramInput.from_credentials({"token": "", "webhook_secret": None})
    await off.start()
    assert not off.config.enabled and off.get_output_channel() is None
    await off.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def channel(fake):
    """The input channel on its own, started as Rasa starts it (polling mode: no webhook)."""
    config = TelegramConfig(fake.token, SECRET, "", fake.url)
    nothing_there = Settings(
        configured_case_api_url="http://127.0.0.1:9/api/v1", configured_api_token="unused"
    )
    telegram = TelegramInput(config, nothing_there)
    await telegram.start()
    yield telegram
    await telegram.stop()


async def test_output_splits_long_replies_and_maps_long_payloads(fake, channel) -> None:
    chat = TelegramChat(fake, 5001)
    fake._chats[chat.chat_id] = chat.chat  # the resident wrote to the bot before
    output = channel.get_output_channel()
    assert isinstance(output, TelegramOutput)
    long_text = "\n".join(f"Alinea {i}. " + "Dit is een lange zin. " * 20 for i in range(30))
    buttons = [{"title": "Overlast van taxi's", "payload": LONG_PAYLOAD}, {"title": "Nee"}]
    await output.send_response(str(chat.chat_id), {"text": long_text, "buttons": buttons})
    sent = fake.sent(chat.chat_id)
    assert len(sent) > 1 and all(utf16_len(m["text"]) <= 4096 for m in sent)
    assert " ".join(m["text"] for m in sent).split() == long_text.split()  # nothing lost
    assert all(m["parse_mode"] == "HTML" and "entities" not in m for m in sent)
    assert "reply_markup" not in sent[0] and sent[-1]["reply_markup"]  # keyboard on the last
    data = sent[-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert channel.keys.payload_of(data) == LONG_PAYLOAD


async def test_flood_limit_is_waited_out(fake, channel) -> None:
    chat = TelegramChat(fake, 5002)
    fake._chats[chat.chat_id] = chat.chat
    fake.throttle("sendMessage", times=2, retry_after=1)
    started = time.monotonic()
    await channel.get_output_channel().send_text_message(str(chat.chat_id), "<b>&amp; *zo*")
    assert time.monotonic() - started >= 2  # waited retry_after twice
    assert [m["text"] for m in fake.sent(chat.chat_id)] == ["<b>&amp; *zo*"]


async def test_the_command_menu_is_set_in_dutch(fake, channel) -> None:
    commands = await eventually(lambda: fake.commands)
    assert [c["command"] for c in commands] == ["start", "stop", "vergeet", "help"]
    assert all(c["description"] for c in commands)
    assert "statusberichten" in commands[1]["description"]
    assert all(len(c["description"]) <= 256 for c in commands)  # checked by the fake too


def command_menu_set_before(fake: FakeTelegram, method: str) -> bool:
    """The last `method` call came after a setMyCommands (the start of the same connector)."""
    names = [name for name, _ in fake.calls if name in ("setMyCommands", method)]
    last = len(names) - 1 - names[::-1].index(method)
    return "setMyCommands" in names[:last] and bool(fake.commands)


async def test_only_copyable_values_are_formatted_and_the_rest_is_escaped(fake, channel) -> None:
    chat = TelegramChat(fake, 5101)
    fake._chats[chat.chat_id] = chat.chat
    # A resident's own words echoed back: tags, entities and markdown stay literal.
    text = (
        "Wat: <b>lamp</b> &amp; *kapot* <a href='x'> _schuin_ [link](http://x) ~a~ `b` "
        '\\ # + - = | { } . ! > < & "quote" &#60; <code>x</code>'
        "\nNummer M-2026-000042, code K7Q2ZP."
    )
    custom = copyable("M-2026-000042", "K7Q2ZP")
    await channel.get_output_channel().send_response(
        str(chat.chat_id), {"text": text, "custom": custom}
    )
    [message] = fake.sent(chat.chat_id)
    # Only a markdown link to http(s) becomes a link (core/links.py), as in the widget.
    shown = text.replace("[link](http://x)", "link")
    assert message["parse_mode"] == "HTML" and message["text"] == shown
    entities = message["entities"]
    spans = [shown[e["offset"] : e["offset"] + e["length"]] for e in entities]
    assert [e["type"] for e in entities] == ["text_link", "code", "code"]
    assert spans == ["link", "M-2026-000042", "K7Q2ZP"]


async def test_location_keyboard_is_offered_and_removed_after_the_answer(fake, channel) -> None:
    chat = TelegramChat(fake, 5102)
    fake._chats[chat.chat_id] = chat.chat
    output = channel.get_output_channel()
    chat_id = str(chat.chat_id)
    await output.send_response(chat_id, {"text": "Waar is het?", "custom": ASK_LOCATION})
    asked = fake.sent(chat.chat_id)[-1]
    assert "reply_markup" not in asked  # a reply keyboard belongs to the app, not the message
    [[button]] = fake.reply_keyboards[chat.chat_id]["keyboard"]
    assert button == {"text": "Deel mijn locatie", "request_location": True}
    # Something sent before the resident answered (a status message) leaves it alone.
    await output.send_response(chat_id, {"text": "Uw melding is in behandeling."})
    assert fake.sent(chat.chat_id)[-1]["sent_markup"] is None
    assert chat.chat_id in fake.reply_keyboards
    # The resident answers; the next question has inline buttons, which follow apart.
    output.resident_spoke(chat_id)
    buttons = [{"title": "Geen foto", "payload": "/ontkennen"}]
    await output.send_response(chat_id, {"text": "Heeft u een foto?", "buttons": buttons})
    text, choose = fake.sent(chat.chat_id)[-2:]
    assert text["text"] == "Heeft u een foto?" and text["sent_markup"] == {"remove_keyboard": True}
    assert choose["reply_markup"]["inline_keyboard"][0][0]["text"] == "Geen foto"
    assert chat.chat_id not in fake.reply_keyboards
    await output.send_response(chat_id, {"text": "Dank u wel."})
    assert fake.sent(chat.chat_id)[-1]["sent_markup"] is None  # removed once


async def test_messages_of_one_chat_keep_their_order(channel) -> None:
    done: list[tuple[str, int]] = []

    def job(chat: str, n: int, delay: float):
        async def run() -> None:
            await asyncio.sleep(delay)
            done.append((chat, n))

        return run

    started = time.monotonic()
    for n in range(5):
        channel.queue.submit("a", job("a", n, 0.2 - n * 0.04))  # later ones are quicker
        channel.queue.submit("b", job("b", n, 0.2 - n * 0.04))
    await eventually(lambda: len(done) == 10, timeout=5)
    assert [n for chat, n in done if chat == "a"] == list(range(5))
    assert [n for chat, n in done if chat == "b"] == list(range(5))
    assert time.monotonic() - started < 0.9  # two chats at once, not one after the other


async def test_odd_updates_never_reach_rasa_or_crash(fake, channel, caplog) -> None:
    received = []

    async def on_new(message) -> None:
        received.append(message)

    chat = TelegramChat(fake, 5003)
    fake._chats[chat.chat_id] = chat.chat
    group = {"id": -100123, "type": "supergroup", "title": "Buurtapp"}
    fake._chats[group["id"]] = group
    odd: list[Any] = [
        {},
        {"update_id": "x"},
        {"update_id": True, "message": {}},
        {"update_id": fake.next_update_id()},
        {"update_id": fake.next_update_id(), "message": {"text": "geen chat"}},
        {"update_id": fake.next_update_id(), "message": "geen object"},
        {"update_id": fake.next_update_id(), "message": {"chat": {"id": "x"}, "date": "y"}},
        {"update_id": fake.next_update_id(), "poll": {"id": "1", "question": "?"}},
        {"update_id": fake.next_update_id(), "my_chat_member": {"chat": chat.chat}},
        {"update_id": fake.next_update_id(), "future_kind": {"chat": chat.chat}},
        chat.message(
            sticker={
                "file_id": "s",
                "file_unique_id": "s",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        ),
        chat.message(voice={"file_id": "v", "file_unique_id": "v", "duration": 3}),
        chat.message(
            document={"file_id": "d", "file_unique_id": "d", "mime_type": "application/pdf"}
        ),
        chat.message(new_chat_title="service message"),
        chat.text("x" * 10_000),
        {"update_id": fake.next_update_id(), "edited_message": chat.text("aangepast")["message"]},
        {"update_id": fake.next_update_id(), "edited_message": chat.location(52.0, 5.0)["message"]},
        {
            "update_id": fake.next_update_id(),
            "message": {**chat.text("/start")["message"], "chat": group},
        },
        {
            "update_id": fake.next_update_id(),
            "message": {**chat.text("hallo allemaal")["message"], "chat": group},
        },
    ]
    for update in odd:
        channel.dispatch(update, on_new)
    await eventually(lambda: len(fake.sent(chat.chat_id)) >= 5, timeout=10)
    await asyncio.sleep(0.5)
    await channel.queue.close()
    replies = [m["text"] for m in fake.sent(chat.chat_id)]
    assert received == []
    assert any("Stickers" in r for r in replies) and any("Gesproken" in r for r in replies)
    assert any("bestand" in r for r in replies) and any("te lang" in r for r in replies)
    assert sum("aangepast" in r for r in replies) == 1  # the live location edit is ignored
    assert len(replies) == 5
    assert [m["text"] for m in fake.sent(group["id"])] == [texts.PRIVATE_ONLY]
    # The same update again (Telegram retrying) is handled once.
    update = chat.text("hallo")
    channel.dispatch(update, on_new)
    channel.dispatch(json.loads(json.dumps(update)), on_new)
    await eventually(lambda: received, timeout=5)
    await asyncio.sleep(0.3)
    assert [m.text for m in received] == ["hallo"] and received[0].sender_id == "5003"
    assert received[0].input_channel == "telegram"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


@pytest_asyncio.fixture(loop_scope="session")
async def channel_to_cases(fake, db_url, tmp_path):
    """The input channel with the real web app's Case API behind it, on both databases."""
    async with serve(db_url, tmp_path) as (_, settings):
        # The web app's own settings: its Case API and its token.
        telegram = TelegramInput(TelegramConfig(fake.token, SECRET, "", fake.url), settings)
        await telegram.start()
        async with aiohttp.ClientSession(settings.web_url, headers=AUTH) as api:
            yield telegram, api
        await telegram.stop()


async def test_feedback_buttons_store_once_per_topic_and_never_reach_rasa(
    fake, channel_to_cases
) -> None:
    """Thumbs up/down under an FAQ answer (issue #16): offered once per topic, stored
    through the Case API, a forged or foreign click refused."""
    telegram, api = channel_to_cases
    received: list[Any] = []

    async def on_new(message) -> None:
        received.append(message)

    chat = TelegramChat(fake, 5020)
    fake._chats[chat.chat_id] = chat.chat
    await telegram.handle(Update.de_json(chat.text("wanneer komt het gft"), telegram._bot), on_new)
    output = telegram.get_output_channel()
    answer = {"text": "Het gft wordt elke week opgehaald.", "utter_action": "utter_faq/afval"}
    await output.send_response(str(chat.chat_id), dict(answer))
    offered = fake.sent(chat.chat_id)[-1]
    titles = [b["text"] for row in offered["reply_markup"]["inline_keyboard"] for b in row]
    assert titles == ["👍 Goed antwoord", "👎 Geen goed antwoord"]
    # The same topic again in this chat: no second request.
    await output.send_response(str(chat.chat_id), dict(answer))
    assert "reply_markup" not in fake.sent(chat.chat_id)[-1]
    # A forged click: refused, nothing stored, nothing to Rasa.
    forged = chat.click(offered, "👎 Geen goed antwoord")
    forged["callback_query"]["data"] = "fb:n:forged"
    forged["callback_query"]["message"]["message_id"] = -1
    await telegram.handle(Update.de_json(forged, telegram._bot), on_new)
    assert fake.sent(chat.chat_id)[-1]["text"] == texts.NOT_OFFERED
    click = chat.click(offered, "👎 Geen goed antwoord")
    await telegram.handle(Update.de_json(click, telegram._bot), on_new)
    thanks, offer = fake.sent(chat.chat_id)[-2:]
    assert thanks["text"] == feedback.thanks(None)
    # A thumbs-down offers a person: nobody is available here, so a call-back.
    assert offer["text"] == texts.live_offer(False)
    await telegram.handle(
        Update.de_json(chat.click(offer, "Medewerker spreken"), telegram._bot), on_new
    )
    assert [m.text for m in received] == ["wanneer komt het gft", "/medewerker_spreken"]
    # Once: the same button again (a forged second tap) is not let through.
    again = chat.click(offer, "Medewerker spreken")
    again["callback_query"]["message"]["message_id"] = offer["message_id"] + 1000
    await telegram.handle(Update.de_json(again, telegram._bot), on_new)
    assert len(received) == 2  # only the question and the offer's button went to Rasa
    # Stored under this conversation and topic: the web app refuses a second one.
    body = {"gesprek": str(chat.chat_id), "onderwerp": "faq:afval", "goed": True}
    async with api.post("/api/v1/feedback", json=body) as resp:
        assert resp.status == 409


async def test_photos_reach_the_case_system_byte_for_byte(fake, channel_to_cases) -> None:
    """1, 4 and 7 MB photos: getFile, a chunked download, the Case API, stored unchanged."""
    telegram, api = channel_to_cases
    received: list[Any] = []

    async def on_new(message) -> None:
        received.append(message)

    chat = TelegramChat(fake, 5010)
    fake._chats[chat.chat_id] = chat.chat
    before = len(fake.sent(chat.chat_id))  # the same chat on both databases
    for kind, megabytes in [("JPEG", 1), ("JPEG", 4), ("JPEG", 7), ("PNG", 7)]:
        data = photo_bytes(kind, megabytes)
        update = chat.photo(data) if kind == "JPEG" else chat.document(data, "image/png")
        await telegram.handle(Update.de_json(update, telegram._bot), on_new)
        upload_id = received[-1].metadata["foto"]["upload_id"]
        async with api.get(f"/api/v1/uploads/{upload_id}") as resp:
            assert resp.status == 200 and await resp.read() == data
    assert len(received) == 4 and len(fake.sent(chat.chat_id)) == before
    # A cut-off or corrupt photo, and one over the limit: a Dutch answer, nothing for Rasa.
    for update in (
        chat.photo(photo_bytes("JPEG", 1)[:300_000]),
        chat.document(corrupt_png(), "image/png"),
        chat.document(b"\xff" * (MAX_PHOTO_BYTES + 1), "image/png"),
    ):
        await telegram.handle(Update.de_json(update, telegram._bot), on_new)
    answers = [m["text"] for m in fake.sent(chat.chat_id)[before:]]
    assert (
        answers == [texts.PHOTO_BROKEN, texts.PHOTO_BROKEN, texts.PHOTO_TOO_BIG]
        and len(received) == 4
    )
    assert "10 MB" in texts.PHOTO_TOO_BIG
    # A caption is never lost: whole in the metadata, with the photo or without it.
    caption = "Het licht <knippert> & " + "zoemt " * 200
    for update in (
        chat.photo(photo_bytes("JPEG", 1), caption),
        chat.photo(photo_bytes("JPEG", 1)[:300_000], caption),
    ):
        await telegram.handle(Update.de_json(update, telegram._bot), on_new)
    with_photo, refused = received[-2:]
    assert len(received) == 6 and fake.sent(chat.chat_id)[-1]["text"] == texts.PHOTO_BROKEN
    assert with_photo.metadata["bijschrift"] == caption.strip() and with_photo.metadata["foto"]
    assert refused.metadata == {"bijschrift": caption.strip()}
    assert refused.text == caption.strip()[:MAX_LENGTH]


# -- the real stack ---------------------------------------------------------------


class Resident:
    """One resident in a private chat with the bot, through the fake Telegram."""

    def __init__(
        self, fake: FakeTelegram, http: aiohttp.ClientSession, stack: Settings, chat_id: int
    ) -> None:
        self.fake, self.http, self.stack = fake, http, stack
        self.chat = TelegramChat(fake, chat_id)
        self.chat_id = chat_id
        self.read = 0  # bot messages already looked at
        self.last: list[dict[str, Any]] = []
        self.clicked: list[int] = []  # bot messages whose buttons were tapped

    async def user_events(self) -> list[dict[str, Any]]:
        url = f"{self.stack.rasa_url}/conversations/{self.chat_id}/tracker"
        async with self.http.get(url, headers=self.stack.rasa_auth()) as resp:
            assert resp.status == 200, await resp.text()
            return [e for e in (await resp.json())["events"] if e["event"] == "user"]

    async def send(self, update: dict[str, Any], *, to_rasa: bool = True) -> list[dict]:
        """Deliver `update`; wait until Rasa handled it (or, if not for Rasa, a reply came)."""
        started = time.monotonic()
        status = await self.fake.send_update(update)
        assert status in (200, None), status
        if status == 200:  # the webhook answers at once; Rasa's work happens after
            assert time.monotonic() - started < 2.0
        if to_rasa:  # the connector passes the update id on as Rasa's message id
            message_id = f"telegram-{update['update_id']}"
            deadline = time.monotonic() + 90
            while not any(e.get("message_id") == message_id for e in await self.user_events()):
                assert time.monotonic() < deadline, f"Rasa never handled {update}"
                await asyncio.sleep(0.2)
        else:
            await eventually(lambda: len(self.fake.sent(self.chat_id)) > self.read, timeout=30)
        new = self.fake.sent(self.chat_id)[self.read :]
        self.read += len(new)
        self.last = new
        return new

    @property
    def text(self) -> str:
        return "\n".join(m["text"] for m in self.last)

    async def says(self, text: str, *, to_rasa: bool = True) -> str:
        await self.send(self.chat.text(text), to_rasa=to_rasa)
        return self.text

    async def shares_location(self, lat: float, lon: float) -> str:
        await self.send(self.chat.location(lat, lon))
        return self.text

    async def sends_photo(self, data: bytes, caption: str | None = None) -> str:
        await self.send(self.chat.photo(data, caption))
        return self.text

    def keyboard(self) -> dict[str, Any]:
        return next(m for m in reversed(self.fake.sent(self.chat_id)) if m.get("reply_markup"))

    def buttons(self) -> list[str]:
        rows = self.keyboard()["reply_markup"]["inline_keyboard"]
        return [b["text"] for row in rows for b in row]

    async def clicks(self, title: str) -> str:
        message = self.keyboard()
        self.clicked.append(message["message_id"])
        await self.send(self.chat.click(message, title))
        return self.text


class CaseApi:
    def __init__(self, http: aiohttp.ClientSession, stack: Settings) -> None:
        self.http, self.base = http, f"{stack.web_url}/api/v1"
        self.headers = {"Authorization": f"Bearer {stack.api_token()}"}

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.http.get(self.base + path, headers=self.headers) as resp:
            return resp.status, await resp.json(content_type=None)

    async def patch(self, ident: str, status: str, toelichting: str) -> None:
        body = {"status": status, "toelichting": toelichting}
        url = f"{self.base}/cases/{ident}"
        async with self.http.patch(url, json=body, headers=self.headers) as resp:
            assert resp.status == 200, await resp.text()


def telegram_stack(
    test_model: TrainedModel,
    fake: FakeTelegram,
    tmp,
    *,
    webhook: bool,
    env: dict[str, str] | None = None,
) -> RunningStack:
    """A stack with Telegram on, through `fake`; `env` for settings of its own."""
    settings = make_settings(tmp)
    env = {
        **(env or {}),
        "TELEGRAM_TOKEN": fake.token,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_WEBHOOK_URL": f"{settings.rasa_url}{WEBHOOK_PATH}" if webhook else "",
        "TELEGRAM_API_URL": fake.url,
        "BALIE_DATABASE_URL": "",
    }
    running = RunningStack(settings, test_model.path, env)
    running.wait_ready()
    return running


@pytest.fixture(scope="module")
def webhook_stack(test_model: TrainedModel, fake: FakeTelegram, tmp_path_factory):
    running = telegram_stack(test_model, fake, tmp_path_factory.mktemp("tg-webhook"), webhook=True)
    deadline = time.monotonic() + 60
    while not fake.webhook and time.monotonic() < deadline:  # registered after the start
        time.sleep(0.2)
    yield running.settings
    running.stop()


async def report_melding(resident: Resident, *, photo: bool, caption: str | None = None) -> str:
    """The street light melding, start to finish; returns its identifier."""
    reply = await resident.says("de lantaarnpaal bij de ingang van het park is kapot")
    assert "Straatverlichting" in reply, reply
    assert "Waar is het" in await resident.clicks(resident.buttons()[0])
    # Telegram's own location button comes with the question, and goes after the answer.
    [[button]] = resident.fake.reply_keyboards[resident.chat_id]["keyboard"]
    assert button == {"text": "Deel mijn locatie", "request_location": True}
    assert "Wanneer" in await resident.shares_location(52.09074, 5.12142)
    assert resident.last[0]["sent_markup"] == {"remove_keyboard": True}
    assert resident.chat_id not in resident.fake.reply_keyboards
    assert "foto" in await resident.says("weet ik niet")
    if photo:
        reply = await resident.sends_photo(jpeg_bytes("gray"), caption)
    else:
        reply = await resident.clicks("Geen foto")
    assert "contact" in reply, reply
    summary = await resident.clicks("Nee, liever niet")
    assert "gedeelde locatie (52.09074, 5.12142)" in summary, summary
    receipt = await resident.clicks("Ja, versturen")
    ident, code = IDENT_RE.search(receipt), CODE_RE.search(receipt)
    assert ident and code, receipt
    # Number and code are code spans (one tap copies them); nothing else is formatted.
    [message] = [m for m in resident.last if ident.group(1) in m["text"]]
    spans = [message["text"][e["offset"] : e["offset"] + e["length"]] for e in message["entities"]]
    assert {e["type"] for e in message["entities"]} == {"code"}
    assert spans == [ident.group(1), code.group(1)]
    return ident.group(1)


@pytest.mark.stack
async def test_melding_with_shared_location_and_photo(fake, webhook_stack, http) -> None:
    assert fake.webhook == {
        "url": f"{webhook_stack.rasa_url}{WEBHOOK_PATH}",
        "secret_token": SECRET,
        "allowed_updates": ["message", "edited_message", "callback_query"],
    }
    # Webhook mode: the command menu is set at start, just before the webhook.
    assert command_menu_set_before(fake, "setWebhook")
    assert [c["command"] for c in fake.commands] == ["start", "stop", "vergeet", "help"]
    resident = Resident(fake, http, webhook_stack, 81_000_001)
    welcome = await resident.says("/start")
    assert "digitale balie" in welcome and "Iets melden" in resident.buttons()
    ident = await report_melding(resident, photo=True, caption="Hij <b>knippert</b> & zoemt")

    status, case = await CaseApi(http, webhook_stack).get(f"/cases/{ident}")
    assert status == 200, case
    # The photo's caption was added to the description, literally.
    assert case["omschrijving"].endswith("\nHij <b>knippert</b> & zoemt"), case["omschrijving"]
    assert case["kanaal"] == "telegram" and case["categorie"] == "straatverlichting-openbare-klok"
    assert (case["locatie"]["lat"], case["locatie"]["lon"]) == (52.09074, 5.12142)
    assert [b["content_type"] for b in case["bijlagen"]] == ["image/jpeg"]
    # The largest photo size was fetched through getFile and the file path.
    assert fake.downloads[-1].startswith("photos/") and not fake.downloads[-1].endswith("_s.jpg")
    # Every tap was answered and its keyboard taken away.
    answered = {c["callback_query_id"] for c in fake.method_calls("answerCallbackQuery")}
    assert len(resident.clicked) == 3 and len(answered) >= 3
    sent = {m["message_id"]: m for m in fake.sent(resident.chat_id)}
    assert not any(sent[i].get("reply_markup") for i in resident.clicked)
    assert all(m["parse_mode"] == "HTML" for m in sent.values())


@pytest.mark.stack
async def test_forged_updates_are_refused(fake, webhook_stack, http) -> None:
    url = f"{webhook_stack.rasa_url}{WEBHOOK_PATH}"
    forger = TelegramChat(fake, 81_000_002)
    update = forger.text("de lantaarnpaal bij de ingang van het park is kapot")
    for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}):
        async with http.post(url, json=update, headers=headers) as resp:
            assert resp.status == 403
    async with http.post(url, data=b"{not json", headers={SECRET_HEADER: SECRET}) as resp:
        assert resp.status == 400
    await asyncio.sleep(2)
    assert fake.sent(forger.chat_id) == []
    resident = Resident(fake, http, webhook_stack, forger.chat_id)
    assert await resident.user_events() == []  # nothing reached Rasa
    log = (webhook_stack.data_dir / "logs" / "rasa.log").read_text(errors="replace")
    assert "refused a Telegram update" in log and "wrong secret token" in log
    assert SECRET not in log and fake.token not in log  # no secrets in the log


@pytest.mark.stack
async def test_internal_and_unoffered_payloads_and_huge_texts_never_reach_rasa(
    fake, webhook_stack, http
) -> None:
    resident = Resident(fake, http, webhook_stack, 81_000_007)
    await resident.says("de lantaarnpaal bij de ingang van het park is kapot")
    offered = resident.keyboard()
    before = await resident.user_events()
    # An update can carry any keyboard and any callback data: replayed internal intents
    # and a button Balie did not offer get the stale-button answer, and no turn.
    for n, payload in enumerate(
        (
            '/EXTERNAL_afgeleverd{"sleutel":"case-0123456789"}',
            "/restart",
            "/session_start",
            "/bevestigen",
        )
    ):
        forged = {
            **offered,
            "message_id": offered["message_id"] + 1000 + n,
            "reply_markup": {"inline_keyboard": [[{"text": "Kies", "callback_data": payload}]]},
        }
        await resident.send(resident.chat.click(forged, "Kies"), to_rasa=False)
        assert resident.text == texts.NOT_OFFERED, payload
    # 200 KB of text: refused before NLU, with the limit in the answer.
    await resident.send(resident.chat.text("kapot " * 34_000), to_rasa=False)
    assert "te lang" in resident.text and str(MAX_LENGTH) in resident.text
    assert await resident.user_events() == before
    # The chat goes on: the button Balie did offer still works.
    assert "Waar is het" in await resident.clicks(resident.buttons()[0])


@pytest.mark.stack
async def test_status_push_arrives_in_the_chat_and_stops_after_stop(
    fake, webhook_stack, http
) -> None:
    api = CaseApi(http, webhook_stack)
    resident = Resident(fake, http, webhook_stack, 81_000_003)
    other = Resident(fake, http, webhook_stack, 81_000_004)
    await other.says("hallo")
    ident = await report_melding(resident, photo=False)
    heard_by_other = len(fake.sent(other.chat_id))

    await api.patch(ident, "in_behandeling", "Een monteur komt deze week kijken.")
    news = await eventually(
        lambda: [m for m in fake.sent(resident.chat_id)[resident.read :] if ident in m["text"]]
    )
    assert news and "in behandeling" in news[0]["text"] and "monteur" in news[0]["text"]
    resident.read = len(fake.sent(resident.chat_id))

    assert "geen berichten meer" in await resident.says("/stop", to_rasa=False)
    status, _ = await api.get(f"/afmeldingen/telegram:{resident.chat_id}")
    assert status == 200
    await api.patch(ident, "ingepland", "Ingepland voor donderdag.")
    await asyncio.sleep(4)
    assert fake.sent(resident.chat_id)[resident.read :] == []
    intents = [e["parse_data"]["intent"]["name"] for e in await resident.user_events()]
    assert intents.count("EXTERNAL_status_gewijzigd") == 1  # Rasa was not even asked

    welcome = await resident.says("/start")
    assert "weer berichten" in welcome and "digitale balie" in welcome
    await api.patch(ident, "afgehandeld", "De lamp is vervangen.")
    news = await eventually(
        lambda: [m for m in fake.sent(resident.chat_id)[resident.read :] if ident in m["text"]]
    )
    assert news and "vervangen" in news[0]["text"]
    assert len(fake.sent(other.chat_id)) == heard_by_other  # nobody else heard of it


@pytest.mark.stack
async def test_unusual_updates_get_polite_answers_and_nothing_breaks(
    fake, webhook_stack, http
) -> None:
    resident = Resident(fake, http, webhook_stack, 81_000_005)
    chat = resident.chat
    await resident.says("hallo")
    group = {"id": -1001234567, "type": "group", "title": "Buren"}
    odd = [
        {"update_id": fake.next_update_id()},
        {"update_id": fake.next_update_id(), "message": {"text": "zonder chat"}},
        {"update_id": fake.next_update_id(), "inline_query": {"id": "1"}},
        {"update_id": fake.next_update_id(), "poll": {"id": "1", "question": "?", "options": []}},
        {"update_id": fake.next_update_id(), "edited_message": chat.text("aangepast")["message"]},
        {
            "update_id": fake.next_update_id(),
            "message": {**chat.text("/start")["message"], "chat": group},
        },
        chat.message(
            sticker={
                "file_id": "s",
                "file_unique_id": "s",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        ),
        chat.message(voice={"file_id": "v", "file_unique_id": "v", "duration": 2}),
        chat.text("a" * 5000),
    ]
    for update in odd:
        assert await fake.send_update(update) == 200
    replies = await eventually(
        lambda: len(fake.sent(resident.chat_id)) >= resident.read + 4 and fake.sent(group["id"])
    )
    assert replies
    texts = [m["text"] for m in fake.sent(resident.chat_id)[resident.read :]]
    assert len(texts) == 4 and "aangepast" in texts[0] and "te lang" in texts[3]
    resident.read += 4
    # A flood limit on the way back is waited out; the conversation goes on.
    fake.throttle("sendMessage", times=1, retry_after=1)
    assert "open" in await resident.says("wanneer is het gemeentehuis open?")
    assert await resident.user_events()  # Rasa saw only the real messages
    log = (webhook_stack.data_dir / "logs" / "rasa.log").read_text(errors="replace")
    assert "Traceback" not in log


@pytest.mark.stack
async def test_long_polling_mode_handles_the_same_conversation(
    test_model, tmp_path_factory, http
) -> None:
    fake = FakeTelegram().start()
    running = telegram_stack(test_model, fake, tmp_path_factory.mktemp("tg-poll"), webhook=False)
    try:
        assert "Telegram           long polling" in running.log.read_text()
        resident = Resident(fake, http, running.settings, 82_000_001)
        ident = await report_melding(resident, photo=True)
        assert fake.method_calls("deleteWebhook") and fake.webhook is None
        # Long-polling mode: the Rasa server's connector sets the menu (a fresh fake here).
        assert [c["command"] for c in fake.commands] == ["start", "stop", "vergeet", "help"]
        assert len(fake.method_calls("setMyCommands")) == 1 and not fake.method_calls("setWebhook")
        polls = fake.method_calls("getUpdates")
        assert polls[-1]["allowed_updates"] == ["message", "edited_message", "callback_query"]
        _, case = await CaseApi(http, running.settings).get(f"/cases/{ident}")
        assert case["locatie"]["lat"] == 52.09074 and len(case["bijlagen"]) == 1

        # A button whose payload is over Telegram's 64 bytes still works.
        taxi = Resident(fake, http, running.settings, 82_000_002)
        reply = await taxi.says(
            "taxi's en bussen staan elke nacht met draaiende motor voor mijn deur, veel overlast"
        )
        assert "Overlast van taxi's, bussen en fietstaxi's" in taxi.buttons(), reply
        assert "Waar is het" in await taxi.clicks("Overlast van taxi's, bussen en fietstaxi's")
        events = await taxi.user_events()
        assert events[-1]["text"] == LONG_PAYLOAD
    finally:
        assert running.stop() == 0
        fake.stop()
