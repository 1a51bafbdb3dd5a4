"""Forged calls to every route of the live chat (issue #16), against the real web app.

The routes: the Live page (/staff/live) and its WebSocket (/staff/live/ws), the Case
API route the action calls (POST /api/v1/live) and the widget's own socket (/chat/ws,
whose `live` frames act on the resident's own conversation only).

- Anonymous, a staff user without the medewerker role, a wrong Case API token: refused.
- Another site's page (Origin) may not open the medewerker's socket (cross-site
  WebSocket hijacking), nor may a site that may embed the widget.
- A medewerker cannot write to, hand back or close a colleague's chat; a resident never
  reads or ends another resident's live chat.
- A revoked or logged-out medewerker's open socket is closed at once.
- Malformed, mistyped and oversized frames and bodies: a Dutch `fout` frame or a clean
  close of the socket, 4xx JSON from the API; never a 500 or an error in the log.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from core import content
from core.privacy.sealing import sealer
from tests.conftest import free_port
from tests.staff_helpers import PASSWORD, Client, settings_in, web_app
from tests.test_live import ALWAYS, content_file, until
from webapp.cases.store import CaseStore
from webapp.chat.log import ChatLog
from webapp.staff.console import live_pages
from webapp.staff.users import MEDEWERKER, TRAINER, Users

TOKEN = "t" * 40
EVIL = "https://evil.example"
WIDGET_SITE = "https://www.gemeente.example"  # may embed the widget, not the console


@dataclass
class Live:
    base: str
    store: CaseStore
    chat_log: ChatLog


@asynccontextmanager
async def live_web_app(tmp_path: Path) -> AsyncIterator[Live]:
    """The web app with the KCC open, users marieke and jan (medewerkers) and tom (a
    trainer). No Rasa: the residents' messages in these tests go to a medewerker."""
    before = content.content_file()
    content.use(content_file(tmp_path / "gemeente.yml", ALWAYS))
    port = free_port()
    settings = settings_in(
        tmp_path, port, configured_api_token=TOKEN, widget_origins=(WIDGET_SITE,)
    )
    try:
        async with web_app(settings, port) as base:
            store = CaseStore.from_url(settings.database_url)
            users = Users(store.sessions)
            for name, roles in (("marieke", [MEDEWERKER]), ("jan", [MEDEWERKER])):
                await users.create(name, PASSWORD, roles)
            await users.create("tom", PASSWORD, [TRAINER])
            try:
                yield Live(base, store, ChatLog(store.sessions, sealer(settings)))
            finally:
                await store.close()
    finally:
        content.use(before)


@pytest_asyncio.fixture
async def live(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Live]:
    """live_web_app; fails the test when anything was logged as an error (a 500, a crash)."""
    caplog.set_level(logging.WARNING)
    async with live_web_app(tmp_path) as running:
        yield running
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


async def logged_in(base: str, name: str) -> Client:
    client = Client(base)
    status, _ = await client.login(name)
    assert status == 200, name
    return client


async def console_socket(client: Client, name: str = "Marieke") -> aiohttp.ClientWebSocketResponse:
    ws = await client.http.ws_connect(
        client.base + "/staff/live/ws", headers={"Origin": client.base}
    )
    await ws.send_json({"type": "beschikbaar", "aan": True, "voornaam": name})
    await until(ws, lambda f: f["type"] == "beschikbaar" and f["aan"])
    return ws


async def resident(
    live: Live, http: aiohttp.ClientSession
) -> tuple[aiohttp.ClientWebSocketResponse, str]:
    """A widget conversation that asked for a medewerker: its socket and Case API melder."""
    ws = await http.ws_connect(live.base + "/chat/ws", headers={"Origin": live.base})
    await ws.send_json({"type": "hello", "session": None, "after": 0})
    token = (await until(ws, lambda f: f["type"] == "welcome"))["session"]
    await until(ws, lambda f: f["type"] == "synced")
    found = await live.chat_log.find(token)
    assert found is not None
    melder = f"web:{found.sender}"
    async with http.post(
        live.base + "/api/v1/live",
        json={"melder": melder},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as r:
        assert r.status == 200 and (await r.json())["wachtrij"] is True
    await until(ws, lambda f: f.get("status") == "wachtend")
    return ws, melder


async def take(ws: aiohttp.ClientWebSocketResponse, already: set[int] = frozenset()) -> int:  # type: ignore[assignment]
    queued = await until(
        ws,
        lambda f: f["type"] == "wachtrij" and any(i["id"] not in already for i in f["wachtenden"]),
    )
    chat_id = max(i["id"] for i in queued["wachtenden"] if i["id"] not in already)
    await ws.send_json({"type": "nemen", "id": chat_id})
    await until(ws, lambda f: f["type"] == "gesprek" and f["id"] == chat_id)
    return chat_id


async def closed(ws: aiohttp.ClientWebSocketResponse) -> int | None:
    """The server closes the socket (within 5 s): its close code. Frames it had sent
    before (the queue, colleagues) may come first; none may come after."""

    async def until_closed() -> int | None:
        while True:
            msg = await ws.receive()
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                return ws.close_code
            assert msg.type == aiohttp.WSMsgType.TEXT, msg

    return await asyncio.wait_for(until_closed(), 5)


async def handshake(http: aiohttp.ClientSession, url: str, origin: str) -> int:
    """The status of a WebSocket opening handshake, redirects not followed."""
    headers = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Origin": origin,
    }
    async with http.get(url, headers=headers, allow_redirects=False) as r:
        return r.status


async def quiet(ws: aiohttp.ClientWebSocketResponse, seconds: float = 0.5) -> list[dict[str, Any]]:
    """Every frame that arrives within `seconds`."""
    frames: list[dict[str, Any]] = []
    try:
        while True:
            msg = await asyncio.wait_for(ws.receive(), seconds)
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            frames.append(json.loads(msg.data))
    except asyncio.TimeoutError:
        pass
    return frames


# --- who may come in -----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_live_page_and_socket_refuse_anonymous_and_other_roles(live: Live) -> None:
    base = live.base
    anonymous = Client(base)
    trainer = await logged_in(base, "tom")
    try:
        status, location = await anonymous.get("/staff/live", follow=False)
        assert status == 303 and "/staff/inloggen" in location
        for client, expected in ((anonymous, 303), (trainer, 403)):
            assert await handshake(client.http, base + "/staff/live/ws", base) == expected
        status, page = await trainer.get("/staff/live")
        assert status == 403 and "geen toegang" in page
        # Other methods: a console page, no 500.
        for path in ("/staff/live", "/staff/live/ws"):
            status, _ = await trainer.post(path, {}, csrf=False)
            assert status in (403, 405), path
    finally:
        await anonymous.close()
        await trainer.close()


@pytest.mark.asyncio
async def test_the_case_api_route_wants_its_token(live: Live) -> None:
    medewerker = await logged_in(live.base, "marieke")  # a console cookie is no token
    try:
        for headers in ({}, {"Authorization": "Bearer " + "x" * 40}, {"Authorization": TOKEN}):
            async with medewerker.http.post(
                live.base + "/api/v1/live", json={"melder": "web:abc"}, headers=headers
            ) as r:
                assert r.status == 401 and "error" in await r.json()
    finally:
        await medewerker.close()


@pytest.mark.asyncio
async def test_another_site_may_not_open_the_medewerkers_socket(live: Live) -> None:
    """Cross-site WebSocket hijacking: the cookie would go along, the Origin gives it away."""
    client = await logged_in(live.base, "marieke")
    try:
        for origin in (EVIL, WIDGET_SITE, "null", "http://127.0.0.1.evil.example"):
            assert await handshake(client.http, live.base + "/staff/live/ws", origin) == 403
        ws = await console_socket(client)  # its own origin: in
        await ws.close()
    finally:
        await client.close()


# --- whose chat ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_medewerker_cannot_touch_a_colleagues_chat(live: Live) -> None:
    marieke, jan = await logged_in(live.base, "marieke"), await logged_in(live.base, "jan")
    try:
        mw = await console_socket(marieke)
        other = await console_socket(jan, "Jan")
        widget, _ = await resident(live, marieke.http)
        chat_id = await take(mw)
        await until(widget, lambda f: f.get("status") == "live")
        await quiet(other)
        for frame in (
            {"type": "nemen", "id": chat_id},
            {"type": "bericht", "id": chat_id, "tekst": "Ik ben Jan, geef mij uw BSN"},
            {"type": "teruggeven", "id": chat_id},
            {"type": "sluiten", "id": chat_id, "notitie": "weg"},
        ):
            await other.send_json(frame)
            refused = await until(other, lambda f: f["type"] == "fout")
            assert "collega" in refused["tekst"] or "afgelopen" in refused["tekst"]
        # Jan never sees the conversation; the resident heard nothing from him.
        assert not [f for f in await quiet(other) if f["type"] in ("gesprek", "bericht")]
        assert not [f for f in await quiet(widget) if f.get("from") == "medewerker"]
        await mw.send_json({"type": "bericht", "id": chat_id, "tekst": "Goedemorgen"})
        said = await until(widget, lambda f: f.get("from") == "medewerker")
        assert said["naam"] == "Marieke"
        await widget.close()
        await mw.close()
        await other.close()
    finally:
        await marieke.close()
        await jan.close()


@pytest.mark.asyncio
async def test_a_resident_never_reads_or_ends_another_residents_chat(live: Live) -> None:
    marieke = await logged_in(live.base, "marieke")
    async with aiohttp.ClientSession() as one, aiohttp.ClientSession() as two:
        try:
            mw = await console_socket(marieke)
            first, _ = await resident(live, one)
            first_id = await take(mw)
            second, _ = await resident(live, two)
            second_id = await take(mw, {first_id})
            await until(first, lambda f: f.get("status") == "live")
            await until(second, lambda f: f.get("status") == "live")
            # The second resident names the first one's chat: only their own is ended.
            await second.send_json({"type": "live", "actie": "stoppen", "id": first_id})
            await until(mw, lambda f: f["type"] == "einde" and f["id"] == second_id)
            await mw.send_json({"type": "bericht", "id": first_id, "tekst": "Alleen voor u"})
            said = await until(first, lambda f: f.get("from") == "medewerker")
            assert said["text"] == "Alleen voor u"
            assert not [f for f in await quiet(second) if "Alleen voor u" in str(f)]
            # Their words reach the medewerker in their own chat only.
            await second.send_json({"type": "message", "id": "m-2", "text": "Van de tweede"})
            await first.send_json({"type": "message", "id": "m-1", "text": "Van de eerste"})
            heard = await until(mw, lambda f: f["type"] == "bericht" and f["from"] == "user")
            assert (heard["id"], heard["text"]) == (first_id, "Van de eerste")
            # A made-up session is a new conversation, not someone else's.
            guess = await two.ws_connect(live.base + "/chat/ws", headers={"Origin": live.base})
            await guess.send_json({"type": "hello", "session": "x" * 43, "after": 0})
            welcome = await until(guess, lambda f: f["type"] == "welcome")
            assert welcome["new"] is True
            assert not [f for f in await quiet(guess) if f.get("type") == "message"]
            # The Case API knows no conversation by a made-up sender.
            async with one.post(
                live.base + "/api/v1/live",
                json={"melder": "web:bestaat-niet"},
                headers={"Authorization": f"Bearer {TOKEN}"},
            ) as r:
                assert r.status == 404 and "error" in await r.json()
            for ws in (guess, first, second, mw):
                await ws.close()
        finally:
            await marieke.close()


@pytest.mark.asyncio
async def test_a_revoked_medewerkers_socket_is_closed(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Logged out everywhere or deactivated by a beheerder: the open Live page stops
    getting residents' words at once (on its next frame), or within RECHECK_SECONDS when
    it is quiet, not at its next reconnect."""
    monkeypatch.setattr(live_pages, "RECHECK_SECONDS", 0.2)
    users = Users(live.store.sessions)
    user = await users.by_name("marieke")
    assert user is not None
    marieke = await logged_in(live.base, "marieke")
    try:
        mw = await console_socket(marieke)
        await users.end_sessions(user.id)
        await mw.send_json({"type": "ping"})
        assert await closed(mw) == aiohttp.WSCloseCode.POLICY_VIOLATION
    finally:
        await marieke.close()
    marieke = await logged_in(live.base, "marieke")
    try:
        mw = await console_socket(marieke)
        await users.set_active(user.id, False)
        assert await closed(mw) == aiohttp.WSCloseCode.POLICY_VIOLATION  # sent nothing
    finally:
        await marieke.close()


# --- what comes in -------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_bad_frames_on_the_live_socket(live: Live) -> None:
    marieke = await logged_in(live.base, "marieke")
    try:
        mw = await console_socket(marieke)
        bad: list[Any] = [
            "{not json",
            "[1, 2]",
            '"tekst"',
            "null",
            "12",
            json.dumps({"type": "vliegen"}),
            json.dumps({"geen": "type"}),
        ]
        for chat_id in ("1", True, 1.5, None, -1, 0, 2**63, 10**40, [1], {"id": 1}):
            for kind in ("nemen", "bericht", "teruggeven", "sluiten"):
                bad.append(json.dumps({"type": kind, "id": chat_id, "tekst": "x", "notitie": "x"}))
        bad += [
            json.dumps({"type": "bericht", "id": 1, "tekst": 5}),
            json.dumps({"type": "sluiten", "id": 1, "notitie": {"a": 1}}),
        ]
        for data in bad:
            await mw.send_str(data)
            refused = await until(mw, lambda f: f["type"] == "fout")
            assert refused["tekst"], data
        # Strange names and values for availability: a first name or the default.
        for naam in (5, None, "x" * 500, "<script>", "Marieke\u200b", ["a"]):
            await mw.send_json({"type": "beschikbaar", "aan": "ja", "voornaam": naam})
            frame = await until(mw, lambda f: f["type"] == "beschikbaar")
            assert frame["aan"] is False and len(frame["voornaam"]) <= 40
            assert frame["voornaam"].replace("-", "").replace("'", "").isalpha()
        await mw.send_str('{"type": "beschikbaar", "aan": true, "voornaam": "Mar\\u0000ieke"}')
        assert (await until(mw, lambda f: f["type"] in ("fout", "beschikbaar")))["type"] == "fout"
        # Oversized: the socket is closed cleanly (1009), the app goes on.
        await mw.send_str(json.dumps({"type": "bericht", "id": 1, "tekst": "x" * 20_000}))
        assert await closed(mw) == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
        # A binary frame ends the socket as well.
        mw = await console_socket(marieke)
        await mw.send_bytes(b"\x00\x01")
        await closed(mw)
        mw = await console_socket(marieke)  # and a new one works
        await mw.close()
    finally:
        await marieke.close()


@pytest.mark.asyncio
async def test_long_messages_in_a_live_chat(live: Live) -> None:
    """A medewerker's message and note are cut to their limits; a resident's too long
    message is refused as everywhere (te_lang) and never reaches the medewerker."""
    marieke = await logged_in(live.base, "marieke")
    try:
        mw = await console_socket(marieke)
        widget, _ = await resident(live, marieke.http)
        chat_id = await take(mw)
        await widget.send_json({"type": "message", "id": "lang", "text": "x" * 1001})
        refused = await until(widget, lambda f: f["type"] == "error")
        assert (refused["code"], refused["id"]) == ("te_lang", "lang")
        await widget.send_json({"type": "message", "id": "kort", "text": "Kort"})
        heard = await until(mw, lambda f: f["type"] == "bericht" and f["from"] == "user")
        assert heard["text"] == "Kort"  # the first one the medewerker hears
        await mw.send_json({"type": "bericht", "id": chat_id, "tekst": "a" * 5000})
        said = await until(widget, lambda f: f.get("from") == "medewerker")
        assert len(said["text"]) == 2000
        for text in ("   ", ""):
            await mw.send_json({"type": "bericht", "id": chat_id, "tekst": text})
            await until(mw, lambda f: f["type"] == "fout")
        await mw.send_json({"type": "sluiten", "id": chat_id, "notitie": "n" * 10_000})
        await until(mw, lambda f: f["type"] == "einde")
        await widget.close()
        await mw.close()
    finally:
        await marieke.close()


@pytest.mark.asyncio
async def test_bad_bodies_for_the_case_api_route(live: Live) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    url = live.base + "/api/v1/live"
    bodies: list[tuple[dict[str, str], bytes, int]] = [
        ({"Content-Type": "text/plain"}, b'{"melder": "web:x"}', 415),
        ({}, b"{niet json", 400),
        ({}, b"[]", 400),
        ({}, b'{"melder": 5}', 422),
        ({}, b'{"melder": true}', 422),
        ({}, b'{"melder": "zonder-dubbele-punt"}', 422),
        ({}, b'{"melder": "web:../../etc"}', 422),
        ({}, json.dumps({"melder": "web:" + "x" * 300}).encode(), 422),
        ({}, json.dumps({"melder": "web:x", "extra": 1}).encode(), 422),
        ({}, json.dumps({"melder": "web:x", "extra": "y" * 100_000}).encode(), 413),
        ({}, b'{"melder": "web:\\u0000"}', 400),
    ]
    async with aiohttp.ClientSession() as http:
        for headers, body, expected in bodies:
            headers = {"Content-Type": "application/json", **auth, **headers}
            async with http.post(url, data=body, headers=headers) as r:
                assert r.status == expected, body[:40]
                assert r.content_type == "application/json"
                assert "error" in await r.json()
        # GET only says whether a medewerker is free: nothing about anyone's chat.
        async with http.get(url, headers=auth) as r:
            assert r.status == 200 and set(await r.json()) == {"beschikbaar"}
        async with http.get(url) as r:
            assert r.status == 401


@pytest.mark.asyncio
async def test_bad_live_frames_from_the_widget(live: Live) -> None:
    """The widget's `live` frames: only `stoppen` of its own conversation; anything else is
    an error frame; a resident who is not waiting stops nothing."""
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(live.base + "/chat/ws", headers={"Origin": live.base})
        await ws.send_json({"type": "hello", "session": None, "after": 0})
        await until(ws, lambda f: f["type"] == "synced")
        for frame in (
            {"type": "live"},
            {"type": "live", "actie": "nemen", "id": 1},
            {"type": "live", "actie": ["stoppen"]},
        ):
            await ws.send_json(frame)
            assert (await until(ws, lambda f: f["type"] == "error"))["code"] == "onleesbaar"
        await ws.send_json({"type": "live", "actie": "stoppen"})  # not waiting: nothing
        assert not [f for f in await quiet(ws) if f["type"] in ("error", "message")]
        await ws.close()
