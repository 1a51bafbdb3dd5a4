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

**A connection per call.** `EndpointConfig.request` (every call to the action server,
several per form step) opens a new `aiohttp.ClientSession`, so a new TCP connection, and
closes it again. `install()` has it borrow one kept-alive session per event loop and
endpoint credentials instead: same headers, authentication and timeout, same errors;
the tracker in each call is written by ujson (Sanic's own JSON library, several times
faster than `json.dumps`, the same JSON).
The pool drops an idle connection after `KEEPALIVE_SECONDS`, before the action server
(Sanic: 5 s) closes its end, so a request never goes out on a connection being closed.
`close_sessions()` closes them when the server stops.

**A button's payload through the whole NLU pipeline.** A message such as
`/informeren{"categorie":"afval"}` (a button, half of a melding's answers) goes through
the tokenizer, featurizers and both classifiers, and then the pipeline's last node,
Rasa's RegexMessageHandler, replaces all they found with a new message holding the
payload's intent and entities. `install()` has Rasa ask that node's own function,
`YAMLStoryReader.unpack_regex_message`, first: a payload it unpacks gets exactly the
parse it would have had, without the pipeline; any other text runs the pipeline as before.
"""

from __future__ import annotations

import asyncio
import functools
from contextlib import nullcontext
from typing import Any

import aiohttp
import ujson
from jsonschema import Draft202012Validator, ValidationError  # type: ignore[import-untyped]
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

_rasa_resolve_by_type = Event.resolve_by_type
_rasa_parse_with_graph = MessageProcessor._parse_message_with_graph


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


KEEPALIVE_SECONDS = 4.0
_Key = tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]
_sessions: dict[_Key, tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = {}


def _dumps(value: Any) -> str:
    # json.dumps's output: "/" unescaped, non-ASCII escaped.
    return ujson.dumps(value, escape_forward_slashes=False, ensure_ascii=True)


def kept_session(endpoint: EndpointConfig) -> nullcontext[aiohttp.ClientSession]:
    """EndpointConfig.session, as one kept-alive session per loop and credentials:
    `async with` borrows it and leaves it open."""
    loop = asyncio.get_running_loop()
    headers = tuple(sorted((endpoint.headers or {}).items()))
    basic = tuple(sorted((endpoint.basic_auth or {}).items()))
    kept = _sessions.get((headers, basic))
    if kept is None or kept[0] is not loop or kept[1].closed:
        auth = (
            aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
            if endpoint.basic_auth
            else None
        )
        session = aiohttp.ClientSession(
            headers=endpoint.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
            json_serialize=_dumps,
        )
        kept = _sessions[(headers, basic)] = (loop, session)
    return nullcontext(kept[1])


async def close_sessions() -> None:
    """Closes the kept sessions of the running loop (at server stop)."""
    loop = asyncio.get_running_loop()
    for key, (owner, session) in list(_sessions.items()):
        if owner is loop:
            del _sessions[key]
            await session.close()


def parse_message_with_graph(
    processor: MessageProcessor,
    message: UserMessage,
    tracker: DialogueStateTracker,
    only_output_properties: bool = True,
) -> dict[str, Any]:
    """MessageProcessor._parse_message_with_graph, without the pipeline for a payload
    that the pipeline's RegexMessageHandler would replace by its own parse."""
    text = Message({TEXT: message.text or ""})
    unpacked = YAMLStoryReader.unpack_regex_message(
        text, processor.domain, entity_extractor_name=RegexMessageHandler.__name__
    )
    if unpacked is text:  # not a payload the handler unpacks: the whole pipeline
        return _rasa_parse_with_graph(processor, message, tracker, only_output_properties)
    parse_data: dict[str, Any] = {
        TEXT: "",
        INTENT: {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
        ENTITIES: [],
    }
    parse_data.update(unpacked.as_dict(only_output_properties=only_output_properties))
    return parse_data


def install() -> None:
    """Rasa validates answers with the compiled schema, finds event classes in the table,
    calls its endpoints over kept-alive connections and parses a payload without the
    pipeline, from now on."""
    validator()  # compiled now, not in the first resident's turn
    RemoteAction._validate_action_result = validate_action_result
    Event.resolve_by_type = staticmethod(resolve_by_type)
    EndpointConfig.session = kept_session
    MessageProcessor._parse_message_with_graph = parse_message_with_graph
