"""What a resident may send Balie's dialogue, the same on every channel.

Rasa reads a message that starts with `/` as an intent payload: `/restart`,
`/session_start` and the `EXTERNAL_…` intents Balie's own services send through the
API (`/EXTERNAL_afgeleverd{"sleutel": …}`) would all run if a resident typed them.
A payload is accepted only when Balie offered it as a button in that conversation and
it is not one of Rasa's or Balie's internal intents. Long messages are refused before
NLU sees them: NLU on a 200 KB message blocks a Rasa server for half a minute.

The widget relay (webapp/chat/routes.py), the REST channel (rasa_plugins/connectors/rest.py) and
Telegram (rasa_plugins/connectors/telegram.py) all ask `refusal()`; each knows where its
conversation's offered buttons are and how to show the Dutch answer (texts.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.residents import texts

MAX_LENGTH = 1000  # characters in one resident's message, on every channel
PAYLOAD_PREFIX = "/"  # Rasa's INTENT_MESSAGE_PREFIX
# Intents no resident may trigger, offered or not: Rasa's own and Balie's API-only ones.
INTERNAL_INTENTS = ("restart", "session_start", "back")
INTERNAL_PREFIX = "EXTERNAL_"


@dataclass(frozen=True)
class Refusal:
    code: str  # stable, for APIs and metrics
    text: str  # what the resident reads (B1, formal "u")


TOO_LONG = Refusal("te_lang", texts.too_long(MAX_LENGTH))
NOT_OFFERED = Refusal("niet_aangeboden", texts.NOT_OFFERED)


def is_payload(text: str) -> bool:
    return text.lstrip().startswith(PAYLOAD_PREFIX)


def intent_of(payload: str) -> str:
    """`/name{"entity": …}` -> `name`."""
    name = payload.lstrip()[len(PAYLOAD_PREFIX) :]
    for end in ("{", "@", " "):
        name = name.split(end, 1)[0]
    return name


def internal(payload: str) -> bool:
    name = intent_of(payload)
    return name in INTERNAL_INTENTS or name.startswith(INTERNAL_PREFIX)


async def refusal(text: str, offered: Callable[[str], Awaitable[bool]]) -> Refusal | None:
    """Why this message must not reach Rasa, or None when it may.

    `offered(payload)` says whether Balie offered that payload as a button in the
    conversation; it is asked only for payloads, after the cheap checks.
    """
    if len(text) > MAX_LENGTH:
        return TOO_LONG
    if is_payload(text) and (internal(text) or not await offered(text.strip())):
        return NOT_OFFERED
    return None
