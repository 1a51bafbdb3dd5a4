"""A thumbs-down in the widget offers a person: chat now when a medewerker is free, else
a call-back (the button asks Rasa, actions/live.py, which decides and says when)."""

from __future__ import annotations

from core import kcc
from core.residents import texts
from webapp.chat.log import BOT
from webapp.live.service import Live


async def after_thumbs_down(live: Live, session_id: str) -> None:
    if await live.store.open_of(session_id) is not None:  # already waiting or chatting
        return
    bericht = {"text": texts.live_offer(await live.available()), "buttons": [kcc.OFFER_BUTTON]}
    # In the log as Balie's message: the relay's guard then lets its button through.
    if await live.log.append(session_id, BOT, bericht, None) is not None:
        live.hub.notify(session_id)
