"""`/vergeet` in the website widget: the resident asks Balie to forget them.

Typing `/vergeet` gets the explanation (what is removed, what stays) with two buttons,
answered by the web app itself: nothing goes to Rasa. "Ja, vergeet mij" forgets the
conversation's channel identity (bot.privacy.retention: the Rasa conversation, this
transcript, contact details of cases made here, call-back requests) and moves the
widget to a fresh conversation that starts with the confirmation. Other tabs on the
old conversation are told it was wiped, as after "Gesprek wissen".
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.privacy import selfservice
from bot.privacy.retention import RETENTION_KEY
from bot.web.chat.hub import Connection
from bot.web.chat.log import BOT, RESIDENT

if TYPE_CHECKING:
    from bot.web.chat.routes import ChatServer

log = logging.getLogger(__name__)


async def ask(server: ChatServer, conn: Connection, message_id: str, text: str) -> None:
    """The resident typed /vergeet: explain, and offer the two buttons."""
    stored = await server.log.append(conn.session_id, RESIDENT, {"text": text}, message_id)
    if stored is None or not stored[1]:  # wiped meanwhile, or this message was answered
        server.hub.notify(conn.session_id)
        return
    question = {"text": selfservice.ASK, "buttons": selfservice.buttons()}
    await server.log.append(conn.session_id, BOT, question, None)
    server.hub.notify(conn.session_id)


async def answer(
    server: ChatServer, conn: Connection, message_id: str, label: str, confirmed: bool
) -> Connection | None:
    """A button of `ask` was pressed; a new connection when the conversation was forgotten."""
    if not confirmed:
        await _reply(server, conn, message_id, label, selfservice.CANCELLED)
        return None
    server.hub.remove(conn)
    try:
        retention = server.app[RETENTION_KEY] if server.app is not None else None
        if retention is None:
            raise LookupError("no Retention in this web app")
        # After the turn Rasa may still be busy with: nothing is written back afterwards.
        async with server.hub.turn(conn.session_id):
            await retention.forget("web", conn.sender)
    except Exception:
        log.exception("forgetting a widget conversation failed")
        server.hub.add(conn)
        await _reply(server, conn, message_id, label, selfservice.FAILED)
        return None
    await server.hub.wiped(conn.session_id)  # other tabs, here and on other instances
    if not await server.may_start(conn.address):  # forgotten, but no new conversation yet
        await server.refuse_new(conn.ws)
        return None
    conversation, token, _ = await server.log.open(None)
    # The pressed button opens the new conversation (same id: the widget confirms it).
    await server.log.append(conversation.id, RESIDENT, {"text": label}, message_id)
    await server.log.append(conversation.id, BOT, {"text": selfservice.DONE}, None)
    return await server._attach(conn.ws, conversation, token, 0, new=True, address=conn.address)


async def _reply(
    server: ChatServer, conn: Connection, message_id: str, label: str, text: str
) -> None:
    stored = await server.log.append(conn.session_id, RESIDENT, {"text": label}, message_id)
    if stored is not None and stored[1]:
        await server.log.append(conn.session_id, BOT, {"text": text}, None)
    server.hub.notify(conn.session_id)
