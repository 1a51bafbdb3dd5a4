"""rasa_plugins/speedups.py: Rasa's check of the action server's answers, compiled once,
accepts and refuses exactly what `jsonschema.validate` with Rasa's schema does; event
classes found in the table are the ones Rasa's own walk finds."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from rasa_plugins.speedups import (
    _rasa_resolve_by_type,
    event_classes,
    resolve_by_type,
    validate_action_result,
    validator,
)

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
