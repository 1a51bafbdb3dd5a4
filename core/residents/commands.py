"""The commands a resident types, read the same way on every channel.

A command is the first word of a message: `/vergeet`, `/Vergeet` or `/vergeet@balie_bot`
(Telegram adds the bot's name in groups and from its menu); what follows it is ignored,
like Telegram's `/start <code>` from a link. Anything else that starts with `/` is typed
text: the slashes go and the rest goes to Rasa as words, never as an intent payload
(only buttons Balie offered send those; core/residents/guard.py).

- `/start`: Telegram turns status messages back on; then, as `/help`, what Balie can do.
- `/stop`: Telegram stops status messages about the resident's cases.
- `/vergeet` (`/vergeten`): the channel explains what forgetting removes and keeps and
  offers two buttons, answered by the channel itself, never by Rasa, so typed text can
  never confirm it.
- `/help` (`/hulp`): Rasa's `hulp` intent, what Balie can do.

The widget has no status messages outside its open chat, so `/start` and `/stop` are
Telegram's only; there they are words like any other.
"""

from __future__ import annotations

from enum import Enum

from core.residents import texts
from core.residents.guard import PAYLOAD_PREFIX


class Command(str, Enum):
    START = "start"
    STOP = "stop"
    FORGET = "vergeet"
    HELP = "help"


NAMES = {
    "start": Command.START,
    "stop": Command.STOP,
    "vergeet": Command.FORGET,
    "vergeten": Command.FORGET,
    "help": Command.HELP,
    "hulp": Command.HELP,
}
# Telegram's command menu behind "/" (setMyCommands), in this order.
MENU = (
    (Command.START, texts.MENU_START),
    (Command.STOP, texts.MENU_STOP),
    (Command.FORGET, texts.MENU_FORGET),
    (Command.HELP, texts.MENU_HELP),
)
HELP_PAYLOAD = "/hulp"  # what `/help` (and `/start`) ask Rasa

# The forget confirmation's button payloads (Telegram's callback data, the widget's
# payloads); a channel acts on them only when they come from a button it offered.
FORGET_YES, FORGET_NO = "/vergeet:ja", "/vergeet:nee"


def parse(text: str) -> Command | None:
    """The command `text` starts with, or None."""
    words = text.strip().split(maxsplit=1)
    if not words or not words[0].startswith(PAYLOAD_PREFIX):
        return None
    return NAMES.get(words[0][len(PAYLOAD_PREFIX) :].split("@", 1)[0].lower())


def as_words(text: str) -> str:
    """Typed text without its leading slashes: never an intent payload ("" if nothing is left)."""
    return text.strip().lstrip(PAYLOAD_PREFIX).strip()


def forget_buttons() -> list[dict[str, str]]:
    return [
        {"title": texts.FORGET_YES, "payload": FORGET_YES},
        {"title": texts.FORGET_NO, "payload": FORGET_NO},
    ]


def forget_answer(payload: str) -> bool | None:
    """True for the forget button's "yes", False for its "no", None for any other payload."""
    return {FORGET_YES: True, FORGET_NO: False}.get(payload.strip())
