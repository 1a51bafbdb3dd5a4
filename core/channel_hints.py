"""What a bot message tells a channel besides its text: Rasa's `custom` field.

The actions add these to a response (`json_message`); a channel that can do more
than show text uses them, the others ignore them. Telegram offers its own "share
my location" button for `ASK_LOCATION` and shows `copyable` values as code, so a
resident can copy a case number and controlecode with one tap; the web widget shows
the same values, labelled (`card`), as a card with copy buttons. A hint never changes
what a message says: the text always holds the values too.
"""

from __future__ import annotations

from typing import Any

ASK = "ask"
LOCATION = "location"
COPYABLE = "copyable"
CARD = "card"
# The labels of a card's values, in the resident's words.
NUMBER_LABEL = "Nummer"
CODE_LABEL = "Controlecode"

ASK_LOCATION: dict[str, Any] = {ASK: LOCATION}


def copyable(number: str | None = None, code: str | None = None) -> dict[str, Any]:
    """Mark a case number and controlecode in the text as values to copy."""
    pairs = [(NUMBER_LABEL, number), (CODE_LABEL, code)]
    return {
        COPYABLE: [v for _, v in pairs if v],
        CARD: [{"label": label, "value": v} for label, v in pairs if v],
    }


def asks_location(custom: Any) -> bool:
    return isinstance(custom, dict) and custom.get(ASK) == LOCATION


def copyable_values(custom: Any) -> list[str]:
    values = custom.get(COPYABLE) if isinstance(custom, dict) else None
    return [v for v in values if isinstance(v, str) and v] if isinstance(values, list) else []


def card_values(custom: Any) -> list[dict[str, str]]:
    """The labelled values of a hint's card: short strings only, at most four."""
    rows = custom.get(CARD) if isinstance(custom, dict) else None
    if not isinstance(rows, list):
        return []
    return [
        {"label": r["label"][:40], "value": r["value"][:64]}
        for r in rows
        if isinstance(r, dict)
        and isinstance(r.get("label"), str)
        and isinstance(r.get("value"), str)
        and r["label"].strip()
        and r["value"].strip()
    ][:4]
