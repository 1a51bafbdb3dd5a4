"""What a bot message tells a channel besides its text: Rasa's `custom` field.

The actions add these to a response (`json_message`); a channel that can do more
than show text uses them, the others ignore them. Telegram offers its own "share
my location" button for `ASK_LOCATION` and shows `copyable` values as code, so a
resident can copy a case number and controlecode with one tap. The web widget shows
text and buttons only, so a hint never changes what a message says.
"""

from __future__ import annotations

from typing import Any

ASK = "ask"
LOCATION = "location"
COPYABLE = "copyable"

ASK_LOCATION: dict[str, Any] = {ASK: LOCATION}


def copyable(*values: str | None) -> dict[str, Any]:
    """Mark case numbers and codes in the text as values to copy."""
    return {COPYABLE: [v for v in values if v]}


def asks_location(custom: Any) -> bool:
    return isinstance(custom, dict) and custom.get(ASK) == LOCATION


def copyable_values(custom: Any) -> list[str]:
    values = custom.get(COPYABLE) if isinstance(custom, dict) else None
    return [v for v in values if isinstance(v, str) and v] if isinstance(values, list) else []
