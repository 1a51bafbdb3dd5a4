"""Thumbs up/down in the website widget (issue #16): the `feedback` frame.

The widget rates one of Balie's messages by its number in the conversation; the web
app looks up what that message answered (its topic, its text, the resident's message
before it) in the conversation's own log, so a widget can only rate what Balie said
in its own conversation. Nothing goes to Rasa. The store masks the texts and keeps one
rating per topic per conversation.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from core import feedback
from webapp.chat.hub import Connection
from webapp.chat.log import ChatLog
from webapp.feedback.store import MAX_COMMENT, FeedbackIn, record


class BadFeedback(ValueError):
    """Not a feedback frame Balie can use (the widget gets the `onleesbaar` error)."""


def _parsed(frame: dict[str, Any]) -> tuple[int, bool, str]:
    seq, good, comment = frame.get("seq"), frame.get("goed"), frame.get("opmerking", "")
    if not (isinstance(seq, int) and not isinstance(seq, bool) and seq > 0):
        raise BadFeedback
    if not isinstance(good, bool) or not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise BadFeedback
    return seq, good, comment


async def rate(
    chat: ChatLog, engine: AsyncEngine, conn: Connection, frame: dict[str, Any]
) -> dict[str, Any]:
    """Store the rating; the frame that answers the widget."""
    seq, good, comment = _parsed(frame)
    found = await chat.answered(conn.session_id, seq)
    topic = feedback.clean_topic(found[0].bericht.get(feedback.MESSAGE_KEY)) if found else None
    if found is None or topic is None:
        raise BadFeedback  # not a message of Balie's that asked for feedback
    answer, question = found
    stored = await record(
        engine,
        FeedbackIn(
            gesprek=conn.sender,
            onderwerp=topic,
            goed=good,
            opmerking=comment,
            vraag=str(question.bericht.get("text", "")) if question else "",
            antwoord=str(answer.bericht.get("text", "")),
        ),
    )
    text = feedback.thanks(None) if stored else feedback.ALREADY["u"]
    return {"type": "feedback", "seq": seq, "text": text}
