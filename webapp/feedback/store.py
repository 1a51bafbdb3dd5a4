"""Storing a resident's thumbs up/down: masked, at most once per topic per conversation."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import sessionmaker

from core.privacy import masking
from webapp.cases.models import Feedback

# Long enough for "het adres klopte niet, het was de andere kant van de straat".
MAX_COMMENT = 500
MAX_QUOTE = 2000
MAX_KEY = 120


class InvalidFeedback(ValueError):
    """The input is not feedback Balie can store (the route answers 400)."""


@dataclass(frozen=True)
class FeedbackIn:
    gesprek: str  # the conversation's sender id
    onderwerp: str  # what was answered: "faq:<topic>", "zaak:<type>"
    goed: bool
    opmerking: str = ""
    vraag: str = ""  # the resident's message that was answered
    antwoord: str = ""  # Balie's answer

    def checked(self) -> FeedbackIn:
        for name, value in (("gesprek", self.gesprek), ("onderwerp", self.onderwerp)):
            if not value.strip() or len(value) > MAX_KEY:
                raise InvalidFeedback(f"{name} must be 1..{MAX_KEY} characters")
        if len(self.opmerking) > MAX_COMMENT:
            raise InvalidFeedback(f"opmerking must be at most {MAX_COMMENT} characters")
        return self


def _masked(text: str, limit: int) -> str | None:
    text = text.strip()[:limit]
    return masking.mask(text) if text else None


async def record(engine: AsyncEngine, feedback: FeedbackIn) -> bool:
    """Store it; False when this conversation already gave feedback on this topic."""
    feedback = feedback.checked()
    row = {
        "gesprek": feedback.gesprek,
        "onderwerp": feedback.onderwerp,
        "goed": feedback.goed,
        # Free text may hold a name, address or phone number: never stored as typed.
        "opmerking": _masked(feedback.opmerking, MAX_COMMENT),
        "vraag": _masked(feedback.vraag, MAX_QUOTE),
        "antwoord": _masked(feedback.antwoord, MAX_QUOTE),
    }
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(Feedback).values(**row))
    except IntegrityError:
        return False  # the unique (gesprek, onderwerp): never a second request or row
    return True


async def asked(engine: AsyncEngine, gesprek: str, onderwerp: str) -> bool:
    """Whether this conversation already gave feedback on this topic (then don't ask again)."""
    async with engine.connect() as conn:
        found = await conn.scalar(
            sa.select(Feedback.id).where(
                Feedback.gesprek == gesprek, Feedback.onderwerp == onderwerp
            )
        )
    return found is not None


@dataclass(frozen=True)
class ThumbsDown:
    vraag: str
    antwoord: str
    opmerking: str


async def thumbs_down(sessions: sessionmaker, limit: int = 500) -> list[ThumbsDown]:
    """The newest thumbs-downs with the resident's message and Balie's answer (both masked),
    for the NLU inbox's "antwoord was niet goed" mark."""
    query = (
        sa.select(Feedback.vraag, Feedback.antwoord, Feedback.opmerking)
        .where(Feedback.goed.is_(False), Feedback.vraag.is_not(None))
        .order_by(Feedback.aangemaakt_op.desc())
        .limit(limit)
    )
    async with sessions() as session:
        rows = (await session.execute(query)).all()
    return [ThumbsDown(r.vraag, r.antwoord or "", r.opmerking or "") for r in rows]
