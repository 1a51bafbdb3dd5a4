"""Two costs Rasa pays on every turn, done once instead (`install()`, from
rasa_plugins/server.py, before Rasa starts).

**The action server's answers.** Rasa validates every answer of the action server (the
session start, each form step, each custom action) against its JSON schema with
`jsonschema.validate`, which checks the schema itself against the JSON Schema
meta-schema first, on every call, and then tries each event against all 23 event
schemas of a `oneOf`. On a 2-core machine that cost 10–50 ms per call in the Rasa
server's event loop, 20% of its CPU at 16 residents (docs/performance.md, "Profile").
`install()` gives `RemoteAction` a validator with the same schema,
`RemoteAction.action_response_format_spec()`, compiled once: the answer without its
events' alternatives, then each event against the one alternative its `event` names (the
alternatives differ in that constant, so "exactly one of them" is "the one it names").
An answer Rasa would refuse is refused with the same exception, ValidationError.

**An event's class by its type name.** Rasa reads every stored event and every event in
an answer with `Event.resolve_by_type`, which walks the whole class tree of `Event` for
each one (4% of the Rasa server's CPU at 16 residents, more in a form's longer turns).
`install()` looks the names up in a table built from that same walk, first match as
Rasa's; a name not in it (an event class defined later, an unknown name) goes to Rasa's
own lookup, which answers as before.
"""

from __future__ import annotations

import functools
from typing import Any

from jsonschema import Draft202012Validator, ValidationError  # type: ignore[import-untyped]
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

_rasa_resolve_by_type = Event.resolve_by_type


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


@functools.cache
def event_classes() -> dict[str, type[Event]]:
    """Event classes by type name, the first of Rasa's walk for each name."""
    table: dict[str, type[Event]] = {}
    for cls in all_subclasses(Event):
        table.setdefault(cls.type_name, cls)
    return table


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Event.resolve_by_type, from the table."""
    found = event_classes().get(type_name)
    return found if found is not None else _rasa_resolve_by_type(type_name, default)


def install() -> None:
    """Rasa validates answers with the compiled schema, and finds event classes in the
    table, from now on."""
    validator()  # compiled now, not in the first resident's turn
    RemoteAction._validate_action_result = validate_action_result
    Event.resolve_by_type = staticmethod(resolve_by_type)
