"""Resident commands (core/residents/commands.py): read the same way, and answered the same
way, in the website widget and on Telegram.

The widget runs in a real web app (SQLite and PostgreSQL) with a fake Rasa webhook that
records what the relay sends; Telegram runs its real input channel against the fake
Bot API (tests/fakes/telegram.py) and that web app's Case API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from core.residents import commands, texts
from core.residents.commands import Command
from core.widget_protocol import WEBHOOK_PATH
from rasa_plugins.connectors.telegram import TelegramInput, command_menu
from rasa_plugins.connectors.telegram_bot import TelegramConfig
from tests.action_server import ActionServer
from tests.action_server import running as running_action_server
from tests.conftest import make_settings
from tests.fakes.telegram import FakeTelegram, TelegramChat
from tests.test_retention import eventually, melding
from webapp.app import create_app
from webapp.cases.models import ChatSession
from webapp.cases.store import CaseStore
from webapp.chat.log import token_hash

TOKEN = "test-token-commands-0123456789"

# --- reading a command ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("/vergeet", Command.FORGET),
        (" /Vergeten ", Command.FORGET),
        ("/vergeet@balie_bot", Command.FORGET),
        ("/vergeet mij en mijn buren", Command.FORGET),  # words after a command: ignored
        ("/start abc123", Command.START),  # Telegram's /start from a link with a code
        ("/STOP", Command.STOP),
        ("/help", Command.HELP),
        ("/hulp", Command.HELP),
        ("vergeet mij", None),
        ("/vergeetmenietje", None),
        ("/restart", None),
        ("/", None),
        ("", None),
        ("hallo /vergeet", None),
    ],
)
def test_parse(typed: str, command: Command | None) -> None:
    assert commands.parse(typed) is command


def test_typed_text_is_never_a_payload() -> None:
    assert commands.as_words("/restart") == "restart"
    assert commands.as_words(" //EXTERNAL_afgeleverd{} ") == "EXTERNAL_afgeleverd{}"
    assert commands.as_words("/ hallo") == "hallo"
    assert commands.as_words("hallo") == "hallo"
    assert commands.as_words("/") == ""


def test_forget_buttons_and_their_answers() -> None:
    buttons = commands.forget_buttons()
    assert [b["title"] for b in buttons] == [texts.FORGET_YES, texts.FORGET_NO]
    assert [commands.forget_answer(b["payload"]) for b in buttons] == [True, False]
    assert commands.forget_answer("/hulp") is None
    assert commands.forget_answer(texts.FORGET_YES) is None  # the title is not the payload


def test_the_telegram_menu_lists_every_command_once() -> None:
    menu = command_menu()
    assert [c.command for c in menu] == [c.value for c in Command]
    assert all(commands.parse(f"/{c.command}") is Command(c.command) for c in menu)


# --- both channels --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake_telegram():
    server = FakeTelegram().start()
    yield server
    server.stop()


@pytest_asyncio.fixture
async def store(db_url):
    store = CaseStore.from_url(db_url)
    yield store
    await store.close()


@pytest.fixture(scope="module")
def action_server(tmp_path_factory) -> Iterator[ActionServer]:
    """Forgetting a resident asks the outbox's owner too: a real action server."""
    with running_action_server(tmp_path_factory.mktemp("actions")) as server:
        yield server


@pytest_asyncio.fixture
async def stack(db_url, store, tmp_path, monkeypatch, action_server):
    for name, value in action_server.env().items():
        monkeypatch.setenv(name, value)
    """A web app, a fake Rasa behind its widget relay (the texts it got), and Telegram."""
    monkeypatch.setenv("BALIE_DATABASE_URL", db_url)
    monkeypatch.setenv("BALIE_API_TOKEN", TOKEN)
    monkeypatch.delenv("BALIE_TRACKER_DATABASE_URL", raising=False)
    monkeypatch.delenv("BALIE_OUTBOX_URL", raising=False)
    monkeypatch.setenv("BALIE_OUTBOX_PATH", str(tmp_path / "outbox.sqlite"))
    settings = make_settings(
        tmp_path,
        configured_database_url=db_url,
        configured_api_token=TOKEN,
        **action_server.web_settings(),
    )
    relayed: list[str] = []

    async def rasa_webhook(request: web.Request) -> web.Response:
        relayed.append((await request.json())["message"])
        return web.json_response([])

    rasa = web.Application()
    rasa.router.add_post(WEBHOOK_PATH, rasa_webhook)
    runners = [web.AppRunner(create_app(settings)), web.AppRunner(rasa)]
    for runner, port in zip(runners, (settings.web_port, settings.rasa_port), strict=True):
        await runner.setup()
        await web.TCPSite(runner, settings.host, port).start()
    yield settings, relayed
    for runner in runners:
        await runner.cleanup()


class Widget:
    """A resident in the website widget, over the WebSocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = iter(range(1, 100))

    async def send(self, text: str, label: str | None = None) -> list[dict[str, Any]]:
        """Balie's messages in answer; a button is pressed when `label` is given."""
        frame: dict[str, Any] = {"type": "message", "id": f"m{next(self.ids)}", "text": text}
        if label:
            frame |= {"label": label, "button": True}
        await self.ws.send_json(frame)
        answers: list[dict[str, Any]] = []
        while True:
            try:
                got = await self.ws.receive_json(timeout=1.5)
            except asyncio.TimeoutError:
                return answers
            if got.get("from") == "bot":
                answers.append(got)


class Telegram:
    """A resident in a private Telegram chat."""

    def __init__(self, fake: FakeTelegram, channel: TelegramInput, chat_id: int) -> None:
        self.fake, self.channel = fake, channel
        self.chat = TelegramChat(fake, chat_id)
        fake._chats[chat_id] = self.chat.chat
        self.relayed: list[str] = []

    async def on_new(self, message: Any) -> None:
        self.relayed.append(message.text)

    async def _after(self, update: dict[str, Any], before: int) -> list[dict[str, Any]]:
        self.channel.dispatch(update, self.on_new)
        await self.channel.queue.close()  # waits for the update, handled in the background
        return self.fake.sent(self.chat.chat_id)[before:]

    async def send(self, text: str) -> list[dict[str, Any]]:
        return await self._after(self.chat.text(text), len(self.fake.sent(self.chat.chat_id)))

    async def press(self, question: dict[str, Any], title: str) -> list[dict[str, Any]]:
        before = len(self.fake.sent(self.chat.chat_id))
        return await self._after(self.chat.click(question, title), before)


async def test_a_command_does_the_same_in_the_widget_and_on_telegram(
    db_url, store, stack, fake_telegram
) -> None:
    settings, relayed_by_widget = stack
    config = TelegramConfig(fake_telegram.token, "geheim_1", "", fake_telegram.url)
    channel = TelegramInput(config, settings)  # the web app's Case API and token
    await channel.start()
    base = settings.web_url
    try:
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(f"{base}/chat/ws", origin=base)
            await ws.send_json({"type": "hello", "session": None, "after": 0})
            welcome = await ws.receive_json(timeout=10)
            assert welcome["type"] == "welcome"
            assert (await ws.receive_json(timeout=10))["type"] == "synced"
            widget = Widget(ws)
            telegram = Telegram(fake_telegram, channel, 8100 + len(fake_telegram._chats))

            # /help (and an unknown command: its words) go to Rasa, the same on both.
            for typed in ("/help", "/hulp@balie_bot", "/hallo daar"):
                await widget.send(typed)
                await telegram.send(typed)
            expected = [commands.HELP_PAYLOAD, commands.HELP_PAYLOAD, "hallo daar"]

            async def widget_relayed() -> bool:
                return len(relayed_by_widget) >= len(expected)

            assert await eventually(widget_relayed)
            assert relayed_by_widget == expected
            assert telegram.relayed == expected

            # /vergeet: the same explanation (Telegram adds that the app keeps its own
            # copy) and the same two buttons; "Nee" removes nothing, on both.
            (widget_question,) = await widget.send("/vergeet")
            (telegram_question,) = await telegram.send("/vergeten")
            assert widget_question["text"] == texts.FORGET_ASK
            assert telegram_question["text"] == texts.FORGET_ASK + texts.FORGET_TELEGRAM_NOTE
            keyboard = telegram_question["reply_markup"]["inline_keyboard"]
            assert [b["title"] for b in widget_question["buttons"]] == [
                b["text"] for row in keyboard for b in row
            ]
            (widget_answer,) = await widget.send(commands.FORGET_NO, texts.FORGET_NO)
            (telegram_answer,) = await telegram.press(telegram_question, texts.FORGET_NO)
            assert widget_answer["text"] == telegram_answer["text"] == texts.FORGET_CANCELLED

            # "Ja, vergeet mij": both forget the resident and say the same.
            async with store.sessions() as session:
                chat = await session.get(ChatSession, token_hash(welcome["session"]))
            cases = [
                (await store.create(melding(melder)))[0].identificatie
                for melder in (f"web:{chat.sender}", f"telegram:{telegram.chat.chat_id}")
            ]
            (widget_question,) = await widget.send("/vergeet")
            (telegram_question,) = await telegram.send("/vergeet")
            (widget_answer,) = await widget.send(commands.FORGET_YES, texts.FORGET_YES)
            (telegram_answer,) = await telegram.press(telegram_question, texts.FORGET_YES)
            assert widget_answer["text"] == telegram_answer["text"] == texts.FORGET_DONE
            for ident in cases:
                case = await store.get(ident)
                assert case.melder is None and case.contact is None
            await ws.close()
    finally:
        await channel.stop()
