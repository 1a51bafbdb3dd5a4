"""Links in bot texts: responses write `[tekst](https://…)`, so a resident reads words.

Each channel shows such a link its own way: the web widget as a link with that text
(widget.js parses the same form), Telegram as an HTML link. Only http(s) addresses
count as links; anything else is text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

LINK_RE = re.compile(r"\[([^\]\n]{1,200})\]\((https?://[^\s()<>\"']+)\)")


def segments(text: str) -> Iterator[tuple[str, str | None]]:
    """`text` as (text, None) and (link text, address) pieces, in order."""
    at = 0
    for found in LINK_RE.finditer(text):
        if found.start() > at:
            yield text[at : found.start()], None
        yield found.group(1).strip(), found.group(2)
        at = found.end()
    if at < len(text):
        yield text[at:], None
