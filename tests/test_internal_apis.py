"""Rasa's HTTP API, the action server and the REST channel against callers who should
not get in (docs/security.md, "Internal APIs and channel input"), on the real stack."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import aiohttp
import jwt
import pytest

from core.residents.guard import MAX_LENGTH
from core.settings import Settings
from core.widget_protocol import SECRET_HEADER, WEBHOOK_PATH, channel_secret
from tests.client import events, say

pytestmark = [pytest.mark.stack, pytest.mark.asyncio(loop_scope="session")]

REST = "/webhooks/rest/webhook"
PUBLIC_ROUTES = {"/", "/version"}  # Rasa's own: a greeting and the version, nothing else
SAFE = "GET"  # routes the right token may call on the shared stack without changing it


def wrong_credentials(stack: Settings) -> list[dict[str, Any]]:
    """Every way in but the right one, including the real secret in Rasa's `?token=`."""
    secret = stack.rasa_token()
    admin = {"user": {"username": "balie", "role": "admin"}}
    resident = {"user": {"username": "someone-else", "role": "user"}}
    return [
        {},
        {"params": {"token": secret}},
        {"params": {"token": ""}},
        {"headers": {"Authorization": f"Bearer {secret}"}},
        {"headers": {"Authorization": "Bearer wrong"}},
        {"headers": {"Authorization": f"Bearer {jwt.encode(admin, 'wrong-secret')}"}},
        {"headers": {"Authorization": f"Bearer {jwt.encode(admin, None, 'none')}"}},
        {"headers": {"Authorization": f"Bearer {jwt.encode(resident, secret)}"}},
    ]


def rasa_api_routes() -> list[tuple[str, str]]:
    """(method, path) of every route of Rasa's HTTP API, from Rasa itself."""
    from rasa.server import create_app

    app = create_app(auth_token="enumerate-only")
    app.router.finalize()
    conversation = f"geen-{uuid.uuid4().hex[:8]}"
    routes = []
    for route in app.router.routes:
        path = "/" + re.sub(r"<conversation_id:path>", conversation, route.path)
        assert "<" not in path, f"a route parameter this test does not fill in: {path}"
        routes += [(method, path) for method in sorted(route.methods)]
    return routes


async def call(
    http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> tuple[int, str]:
    async with http.request(method, url, **kwargs) as resp:
        return resp.status, await resp.text()


async def rest(
    http: aiohttp.ClientSession, stack: Settings, body: dict[str, Any], **kwargs: Any
) -> tuple[int, Any]:
    async with http.post(f"{stack.rasa_url}{REST}", json=body, **kwargs) as resp:
        return resp.status, await resp.json()


async def test_every_rasa_api_route_answers_only_the_token(
    stack: Settings, http: aiohttp.ClientSession
) -> None:
    routes = rasa_api_routes()
    assert len(routes) > 15 and ("POST", "/model/parse") in routes
    for method, path in routes:
        url = f"{stack.rasa_url}{path}"
        if path in PUBLIC_ROUTES:
            assert (await call(http, method, url))[0] == 200, path
            continue
        for wrong in wrong_credentials(stack):
            status, body = await call(http, method, url, json={}, **wrong)
            assert status in (401, 403), f"{method} {path} {wrong}: {status} {body[:200]}"
        if method == SAFE:
            status, body = await call(http, method, url, headers=stack.rasa_auth())
            assert status not in (401, 403), f"{method} {path}: {status} {body[:200]}"
    # The calls Balie makes itself work with the token.
    auth = stack.rasa_auth()
    status, _ = await call(http, "POST", f"{stack.rasa_url}/model/parse", json={"text": "hoi"})
    assert status == 401
    url = f"{stack.rasa_url}/model/parse"
    assert (await call(http, "POST", url, json={"text": "hoi"}, headers=auth))[0] == 200


async def test_nobody_reads_or_writes_a_conversation_without_the_token(
    stack: Settings, http: aiohttp.ClientSession
) -> None:
    sender = f"api-{uuid.uuid4().hex[:8]}"
    await say(http, stack, sender, "wanneer is het gemeentehuis open?")
    base = f"{stack.rasa_url}/conversations/{sender}"
    assert (await call(http, "GET", f"{base}/tracker"))[0] == 401
    # A bot message injected into the resident's open chat, an intent triggered.
    injected = [{"event": "bot", "text": "Bel nu 0900-OPLICHTER"}]
    params = {"output_channel": "balie_web"}
    assert (await call(http, "POST", f"{base}/tracker/events", json=injected, params=params))[
        0
    ] == 401
    trigger = {"name": "EXTERNAL_status_gewijzigd", "entities": {"zaaknummer": "M-2026-000001"}}
    assert (await call(http, "POST", f"{base}/trigger_intent", json=trigger))[0] == 401
    texts = [e.get("text") for e in await events(http, stack, sender) if e["event"] == "bot"]
    assert "Bel nu 0900-OPLICHTER" not in texts


async def test_the_action_server_runs_actions_only_for_rasa(
    stack: Settings, http: aiohttp.ClientSession
) -> None:
    url = f"{stack.action_url}/webhook"
    # A forged tracker: someone's Telegram chat id asking for the status of their cases.
    forged = {
        "next_action": "action_status_opvragen",
        "sender_id": "81000001",
        "tracker": {
            "sender_id": "81000001",
            "slots": {},
            "latest_message": {"intent": {"name": "status_opvragen"}, "text": "status"},
            "events": [{"event": "user", "text": "status", "input_channel": "telegram"}],
            "latest_input_channel": "telegram",
            "active_loop": {},
        },
        "domain": {},
        "version": "3.6.2",
    }
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
        status, body = await call(http, "POST", url, json=forged, headers=headers)
        assert status == 401, (headers, body[:200])
    assert (await call(http, "GET", f"{stack.action_url}/actions"))[0] == 401
    right = {"Authorization": f"Bearer {stack.rasa_token()}"}
    assert (await call(http, "GET", f"{stack.action_url}/actions", headers=right))[0] == 200
    assert (await call(http, "GET", f"{stack.action_url}/health"))[0] == 200
    # Rasa itself has the token: a conversation runs its actions.
    replies = await say(http, stack, f"act-{uuid.uuid4().hex[:8]}", "ik wil een melding doen")
    assert replies


async def test_rest_refuses_internal_and_unoffered_payloads(
    stack: Settings, http: aiohttp.ClientSession
) -> None:
    sender = f"replay-{uuid.uuid4().hex[:8]}"
    replies = await say(http, stack, sender, "de lantaarnpaal bij de ingang van het park is kapot")
    offered = [b["payload"] for r in replies for b in r.get("buttons", [])]
    before = len(await events(http, stack, sender))
    for payload in (
        '/EXTERNAL_afgeleverd{"sleutel": "case-0123456789abcdef"}',
        '/EXTERNAL_status_gewijzigd{"zaaknummer": "M-2026-000001"}',
        "/restart",
        "/session_start",
        " /restart",
        "/ontkennen" if "/ontkennen" not in offered else "/hulp",
    ):
        status, body = await rest(http, stack, {"sender": sender, "message": payload})
        assert status == 403, (payload, body)
        assert body["error"] == "niet_aangeboden" and "knop" in body["text"], body
    assert len(await events(http, stack, sender)) == before  # no turn ran
    # The buttons Balie offered work as before, and typed text too.
    if offered:
        status, body = await rest(http, stack, {"sender": sender, "message": offered[0]})
        assert status == 200 and body, body
    status, body = await rest(http, stack, {"sender": sender, "message": "Parkweg 1"})
    assert status == 200


async def test_rest_speaks_only_for_its_own_conversations(
    stack: Settings, http: aiohttp.ClientSession
) -> None:
    # The input channel is always `rest`, whatever the caller claims.
    sender = f"claim-{uuid.uuid4().hex[:8]}"
    body = {"sender": sender, "message": "hallo", "input_channel": "telegram"}
    assert (await rest(http, stack, body))[0] == 200
    users = [e for e in await events(http, stack, sender) if e["event"] == "user"]
    assert {e["input_channel"] for e in users} == {"rest"}
    # A Telegram chat id, and a conversation the widget channel started, are not REST's.
    status, body = await rest(http, stack, {"sender": "81000001", "message": "mijn meldingen"})
    assert status == 403 and body["error"] == "ander_kanaal", body
    widget = f"w{uuid.uuid4().hex}"
    secret = {SECRET_HEADER: channel_secret(stack.api_token())}
    async with http.post(
        f"{stack.rasa_url}{WEBHOOK_PATH}",
        json={"sender": widget, "message": "hallo"},
        headers=secret,
    ) as resp:
        assert resp.status == 200
    status, body = await rest(http, stack, {"sender": widget, "message": "hallo"})
    assert status == 403 and body["error"] == "ander_kanaal", body
    # Malformed bodies get a 4xx JSON error, never a 500.
    for bad in ({}, {"sender": "", "message": "x"}, {"sender": "x" * 300, "message": "x"}):
        status, body = await rest(http, stack, bad)
        assert status == 400 and "error" in body, bad
    async with http.post(f"{stack.rasa_url}{REST}", data=b"{not json") as resp:
        assert resp.status == 400 and "error" in await resp.json()


async def test_a_huge_message_is_refused_before_nlu_on_every_channel(
    stack: Settings, http: aiohttp.ClientSession
) -> None:
    sender = f"groot-{uuid.uuid4().hex[:8]}"
    huge = "de lantaarnpaal is kapot " * (200_000 // 25)
    status, body = await rest(http, stack, {"sender": sender, "message": huge})
    assert status == 413 and body["error"] == "te_lang" and str(MAX_LENGTH) in body["text"]
    # Just over the limit, within the body limit: refused the same way.
    status, body = await rest(http, stack, {"sender": sender, "message": "a" * (MAX_LENGTH + 1)})
    assert status == 413 and body["error"] == "te_lang"
    # The widget channel refuses it too (the relay already does).
    secret = {SECRET_HEADER: channel_secret(stack.api_token())}
    async with http.post(
        f"{stack.rasa_url}{WEBHOOK_PATH}",
        json={"sender": f"w{uuid.uuid4().hex}", "message": huge},
        headers=secret,
    ) as resp:
        assert resp.status == 413 and (await resp.json())["error"] == "te_lang"
    # The server goes on answering, and nothing of the message was stored.
    async with http.get(f"{stack.rasa_url}/version") as resp:
        assert resp.status == 200
    assert (await rest(http, stack, {"sender": sender, "message": "hallo"}))[0] == 200
    stored = json.dumps(await events(http, stack, sender))
    assert "lantaarnpaal" not in stored
