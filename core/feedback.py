"""Residents' feedback on Balie's answers (issue #16): what every channel agrees on.

A bot message that answered something carries what it answered: Rasa puts the response's
`utter_action` in the message ("utter_faq/afvalkalender"), and a created case's message
carries its number in the card (core/channel_hints.py). `topic` turns that into the key a
conversation rates at most once ("faq:afvalkalender", "zaak:M"). Feedback never goes to
NLU as a message: channels send it to the web app's `POST /api/v1/feedback`.
"""

from __future__ import annotations

import re
from typing import Any

from core.channel_hints import CODE_LABEL, NUMBER_LABEL, card_values
from core.dutch.patterns import ZAAKNUMMER_RE

FAQ_PREFIX = "utter_faq/"
API_PATH = "/feedback"  # under the Case API's /api/v1
# The key of a widget message that may be rated (balie_web channel -> web app -> widget).
MESSAGE_KEY = "feedback"
TOPIC_RE = re.compile(r"(faq|zaak):[\w\-]{1,100}", re.ASCII)

# Resident-facing texts (B1, formal u; the buttons need no register).
QUESTION = "Was dit antwoord goed?"
GOOD_LABEL = "Goed antwoord"
BAD_LABEL = "Geen goed antwoord"
THANKS = {"u": "Bedankt voor uw reactie.", "je": "Bedankt voor je reactie."}
COMMENT_PROMPT = {
    "u": "Wat was er niet goed? U mag dit leeg laten.",
    "je": "Wat was er niet goed? Je mag dit leeg laten.",
}
ALREADY = {
    "u": "U gaf hier al een reactie op. Bedankt!",
    "je": "Je gaf hier al een reactie op. Bedankt!",
}


def topic(message: dict[str, Any]) -> str | None:
    """What this bot message answered, or None when there is nothing to rate."""
    utter = message.get("utter_action")
    if isinstance(utter, str) and utter.startswith(FAQ_PREFIX) and len(utter) > len(FAQ_PREFIX):
        return "faq:" + utter[len(FAQ_PREFIX) :][:100]
    card = {row["label"]: row["value"] for row in card_values(message.get("custom"))}
    # A new case shows its number with its controlecode; a status answer shows no code.
    if CODE_LABEL in card and NUMBER_LABEL in card:
        found = ZAAKNUMMER_RE.search(card[NUMBER_LABEL])
        if found:
            return "zaak:" + found.group(1).upper()
    return None


def clean_topic(value: Any) -> str | None:
    """A topic as `topic` makes them, or None (what arrives from outside is checked)."""
    return value if isinstance(value, str) and TOPIC_RE.fullmatch(value) else None


def thanks(register: str | None) -> str:
    return THANKS["je" if register == "je" else "u"]
