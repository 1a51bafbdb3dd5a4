"""`/vergeet` in the website widget: the resident asks Balie to forget them.

Typing `/vergeet` gets the explanation (what is removed, what stays) with two buttons,
answered by the web app itself: nothing goes to Rasa. "Ja, vergeet mij" forgets the
conversation's channel identity (webapp.privacy.retention: the Rasa conversation, this
transcript, contact details of cases made here, call-back requests); other tabs on the
old conversation are told it was wiped, as after "Gesprek wissen". The chat server
(routes.py) then moves the widget to a fresh conversation that starts with the
confirmation.
"""

from __future__ import annotations

import logging

from core.residents import commands, texts
from webapp.chat.hub import Connection, Hub
from webapp.chat.log import BOT, RESIDENT, ChatLog
from webapp.privacy.retention import Retention

log = logging.getLogger(__name__)


async def ask(chat: ChatLog, hub: Hub, conn: Connection, message_id: str, text: str) -> None:
    """The resident typed /vergeet: explain, and offer the two buttons."""
    stored = await chat.append(conn.session_id, RESIDENT, {"text": text}, message_id)
    if stored is None or not stored[1]:  # wiped meanwhile, or this message was answered
        hub.notify(conn.session_id)
        return
    question = {"text": texts.FORGET_ASK, "buttons": commands.forget_buttons()}
    await chat.append(conn.session_id, BOT, question, None)
    hub.notify(conn.session_id)


async def forget(
    chat: ChatLog,
    hub: Hub,
    retention: Retention | None,
    conn: Connection,
    message_id: str,
    label: str,
) -> bool:
    """ "Ja, vergeet mij" was pressed: forget the conversation's resident everywhere.

    False, after telling the resident, when that failed: the conversation stays."""
    hub.remove(conn)
    try:
        if retention is None:
            raise LookupError("no Retention in this web app")
        # After the turn Rasa may still be busy with: nothing is written back afterwards.
        async with hub.turn(conn.session_id):
            await retention.forget("web", conn.sender)
    except Exception:
        log.exception("forgetting a widget conversation failed")
        hub.add(conn)
        await reply(chat, hub, conn, message_id, label, texts.FORGET_FAILED)
        return False
    await hub.wiped(conn.session_id)  # other tabs, here and on other instances
    return True


async def reply(
    chat: ChatLog, hub: Hub, conn: Connection, message_id: str, label: str, text: str
) -> None:
    """The pressed button and Balie's answer to it, in the current conversation."""
    stored = await chat.append(conn.session_id, RESIDENT, {"text": label}, message_id)
    if stored is not None and stored[1]:
        await chat.append(conn.session_id, BOT, {"text": text}, None)
    hub.notify(conn.session_id)
