"""rasa_plugins/speedups.py: Rasa's check of the action server's answers, compiled once,
accepts and refuses exactly what `jsonschema.validate` with Rasa's schema does; event
classes found in the table are the ones Rasa's own walk finds; Rasa's endpoint calls go
over kept-alive connections with the same headers, answers and errors; only the actions
that read the domain get it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import jsonschema
import pytest
import pytest_asyncio
import yaml
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from core import ROOT
from rasa_plugins import speedups
from rasa_plugins.speedups import (
    _rasa_resolve_by_type,
    event_classes,
    resolve_by_type,
    validate_action_result,
    validator,
)
from tests.local_server import serving

SESSION_START = {
    "events": [
        {"event": "session_started", "timestamp": None},
        *({"event": "slot", "name": f"gemeente_{k}", "value": "x"} for k in ("naam", "url")),
        {"event": "action", "name": "action_listen", "policy": None, "confidence": None},
    ],
    "responses": [],
}
VALID: list[Any] = [
    SESSION_START,
    {},
    {"events": [], "responses": [{"text": "Dank u."}]},
    {"events": [{"event": "slot", "name": "contact", "value": {"naam": "Jan"}}]},
    {"events": [{"event": "active_loop", "name": "melding_form", "metadata": None}]},
    {
        "events": [
            {
                "event": "user",
                "text": "hallo",
                "parse_data": {
                    "intent": {"name": "groet", "confidence": 0.9},
                    "entities": [{"entity": "straat", "value": "Dorpsstraat", "start": 0}],
                },
            }
        ]
    },
]
INVALID: list[Any] = [
    [],
    {"events": "slot"},
    {"events": [1]},
    {"events": [{"name": "naam"}]},
    {"events": [{"event": 1}]},
    {"events": [{"event": "made_up"}]},
    {"events": [{"event": "slot", "name": 1, "value": None}]},
    {"events": [{"event": "slot", "value": "x"}]},
    {"events": [{"event": "action", "name": 3}]},
    {"events": [{"event": "bot", "timestamp": "gisteren"}]},
    {"events": [{"event": "user", "parse_data": {"entities": [{"entity": "x"}]}}]},
    {"responses": [1]},
]


def rasa_accepts(answer: Any) -> bool:
    try:
        jsonschema.validate(answer, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError:
        return False
    return True


@pytest.mark.parametrize("answer", VALID + INVALID)
def test_same_verdict_as_rasa(answer: Any) -> None:
    try:
        validator().validate(answer)
        accepted = True
    except jsonschema.ValidationError:
        accepted = False
    assert accepted == rasa_accepts(answer) == (answer in VALID)


def test_refusal_says_what_rasa_says() -> None:
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server"):
        validate_action_result(RemoteAction("validate_melding_form", None), INVALID[-1])
    assert validate_action_result(RemoteAction("action_session_start", None), SESSION_START)


def test_event_classes_are_the_ones_rasa_finds() -> None:
    from rasa.shared.core.events import Event

    assert len(event_classes()) > 20
    for name in event_classes():
        assert resolve_by_type(name) is _rasa_resolve_by_type(name)
    assert resolve_by_type("topic") is None
    assert resolve_by_type("made_up", Event) is Event
    with pytest.raises(ValueError, match="Unknown event name"):
        resolve_by_type("made_up")


@pytest_asyncio.fixture
async def action_server() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A stand-in action server: answers what it was sent, noting each call's headers and
    the client's port (a new port is a new connection)."""
    calls: list[dict[str, Any]] = []

    async def webhook(request: web.Request) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        calls.append({"headers": dict(request.headers), "port": peer[1] if peer else None})
        if request.query.get("fail"):
            return web.json_response({"action_name": "x", "error": "nee"}, status=400)
        if request.query.get("text"):
            return web.Response(text="geen json")
        return web.json_response({"events": [], "echo": await request.json()})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    async with serving(app) as port:
        yield f"http://127.0.0.1:{port}/webhook", calls
        await speedups.close_sessions()


async def test_calls_share_one_kept_alive_connection(action_server, monkeypatch) -> None:
    url, calls = action_server
    monkeypatch.setattr(EndpointConfig, "session", speedups.kept_session)
    endpoint = EndpointConfig(url, headers={"Authorization": "Bearer geheim"})
    body = {"next_action": "validate_melding_form", "tekst": "lantaarnpaal kapot / é"}
    for _ in range(3):
        answer = await endpoint.request(json=body, method="post")
        assert answer == {"events": [], "echo": body}
    assert len({c["port"] for c in calls}) == 1
    assert all(c["headers"]["Authorization"] == "Bearer geheim" for c in calls)
    assert all(c["headers"]["Content-Type"] == "application/json" for c in calls)

    # Other credentials: a session (and connection) of their own.
    other = EndpointConfig(url, headers={"Authorization": "Bearer ander"})
    await other.request(json=body, method="post")
    assert calls[-1]["headers"]["Authorization"] == "Bearer ander"
    assert len({c["port"] for c in calls}) == 2


async def test_errors_are_rasas(action_server, monkeypatch) -> None:
    url, _ = action_server
    monkeypatch.setattr(EndpointConfig, "session", speedups.kept_session)
    with pytest.raises(ClientResponseError) as refused:
        await EndpointConfig(url, params={"fail": "1"}).request(json={}, method="post")
    assert refused.value.status == 400
    assert json.loads(refused.value.text)["error"] == "nee"
    assert await EndpointConfig(url, params={"text": "1"}).request(json={}) is None


async def test_sessions_close_at_stop(action_server, monkeypatch) -> None:
    url, _ = action_server
    monkeypatch.setattr(EndpointConfig, "session", speedups.kept_session)
    endpoint = EndpointConfig(url)
    async with endpoint.session() as session:
        pass
    assert not session.closed  # borrowed, not closed after each call
    await speedups.close_sessions()
    assert session.closed
    async with endpoint.session() as fresh:
        assert fresh is not session and not fresh.closed


def test_only_actions_that_read_the_domain_get_it() -> None:
    domain = Domain.load(ROOT / "domain.yml")
    config = yaml.safe_load((ROOT / "endpoints.yml").read_text())["action_endpoint"]
    assert config["enable_selective_domain"] is True
    endpoint = EndpointConfig("http://127.0.0.1:1/webhook", enable_selective_domain=True)
    tracker = DialogueStateTracker("bewoner", domain.slots)
    # The forms' validators read their required slots from the domain, the session start
    # its session_config (actions/session.py).
    readers = {"action_session_start"} | {f"validate_{form}" for form in domain.form_names}
    for name in domain.user_actions:
        call = RemoteAction(name, endpoint)._action_call_format(tracker, domain)
        assert ("domain" in call) == (name in readers), name


def payloads_of(responses: dict[str, Any]) -> set[str]:
    return {
        button["payload"]
        for variants in responses.values()
        for variant in variants
        for button in variant.get("buttons") or []
    }


async def test_a_payload_parses_as_through_the_pipeline(test_model) -> None:
    """Every payload Balie's buttons send, and texts that only look like one, parse the
    same with and without the pipeline (the shortcut only takes what the pipeline's
    RegexMessageHandler would replace)."""
    import logging

    from rasa.core.agent import load_agent
    from rasa.core.channels.channel import UserMessage

    from core.residents.choices import payload
    from rasa_plugins.speedups import _rasa_parse_with_graph, parse_message_with_graph

    logging.getLogger("rasa").setLevel(logging.ERROR)
    agent = await load_agent(model_path=str(test_model.path))
    processor = agent.processor
    assert processor is not None
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    texts = payloads_of(domain["responses"]) | {
        payload("faq/paspoort_id_kaart"),
        payload("melding_doen"),
        '/informeren{"categorie":"afval"}',
        '/informeren{"categorie":"overig"}',
        '/informeren{"straat": "Dorpsstraat", "huisnummer": "5"}',
        "/bevestigen@0.5",
        "/bevestigen{kapotte json",
        "/bestaat_niet",
        "/faq/paspoort_id_kaart",
        "/",
        "  /ontkennen  ",
        "/ ontkennen",
        "er ligt afval / vuil naast de container",
        "ja",
        "",
    }
    shortcuts = 0
    for text in sorted(texts):
        message = UserMessage(text, sender_id="bewoner", message_id="m1")
        tracker = DialogueStateTracker("bewoner", processor.domain.slots)
        expected = _rasa_parse_with_graph(processor, message, tracker)
        assert parse_message_with_graph(processor, message, tracker) == expected, text
        unpacked = YAMLStoryReader.unpack_regex_message(Message({TEXT: text}), processor.domain)
        shortcuts += unpacked.get(INTENT) is not None
    assert shortcuts >= 10  # the buttons' payloads did take the shortcut
