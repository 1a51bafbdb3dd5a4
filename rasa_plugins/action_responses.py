"""Rasa's check of the action server's answers, with the schema compiled once.

Rasa validates every answer of the action server (the session start, each form step,
each custom action) against its JSON schema with `jsonschema.validate`, which checks the
schema itself against the JSON Schema meta-schema first, on every call, and then tries
each event against all 23 event schemas of a `oneOf`. On a 2-core machine that cost
10–40 ms per call in the Rasa server's event loop, more than a FAQ turn's NLU
(docs/performance.md, "Profile").

`install()` (rasa_plugins/server.py) gives `RemoteAction` a validator with the same
schema, `RemoteAction.action_response_format_spec()`, compiled once: the answer without
its events' alternatives, then each event against the one alternative its `event` names
(the alternatives differ in that constant, so "exactly one of them" is "the one it
names"). An answer Rasa would refuse is refused with the same exception, ValidationError.
"""

from __future__ import annotations

import functools
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


class ResponseValidator:
    """Validates an action server answer as `jsonschema.validate(answer, spec)` would."""

    def __init__(self, spec: dict[str, Any]) -> None:
        properties = spec["properties"]
        event = properties["events"]["items"]
        alternatives = event["oneOf"]
        common = {k: v for k, v in event.items() if k != "oneOf"}
        self.answer = Draft202012Validator(
            {**spec, "properties": {**properties, "events": {"type": "array"}}}
        )
        self.event = Draft202012Validator(common)
        self.by_type = {
            alt["properties"]["event"]["const"]: Draft202012Validator({"allOf": [common, alt]})
            for alt in alternatives
        }

    def validate(self, answer: Any) -> None:
        self.answer.validate(answer)
        for event in answer.get("events") or []:
            self.event.validate(event)
            validator = self.by_type.get(event["event"])
            if validator is None:
                raise ValidationError(f"{event!r} is not valid under any of the given schemas")
            validator.validate(event)


@functools.cache
def validator() -> ResponseValidator:
    return ResponseValidator(RemoteAction.action_response_format_spec())


def validate_action_result(action: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result, with the compiled schema."""
    try:
        validator().validate(result)
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your "
            "response from the Action endpoint is valid. For more information about the "
            f"format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise e
    return True


def install() -> None:
    """Rasa's RemoteAction validates answers with the compiled schema from now on."""
    validator()  # compiled now, not in the first resident's turn
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
