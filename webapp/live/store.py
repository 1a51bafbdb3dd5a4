"""The live chat queue and the medewerkers' availability in the database (the web app owns
`live_chats` and `live_medewerkers`, migration 0012).

The database is the source of truth, shared by every web-app instance: taking a resident
is one conditional UPDATE (`status = 'wachtend'`), so of two medewerkers who click at
the same moment exactly one gets them.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from core.clock import utcnow
from core.privacy.masking import mask
from webapp.cases.models import LIVE_OPEN, ChatSession, LiveCase, LiveChat, LiveMedewerker

# A medewerker counts as available this long after their Live page last said so.
SEEN_SECONDS = 90
# The expected wait is the median of the waits of this many recent hand-offs ...
RECENT = 20
# ... taken in this period.
RECENT_PERIOD = timedelta(days=14)
NOTE_MAX = 1000


@dataclass(frozen=True)
class Chat:
    id: int
    session_id: str
    status: str
    aangemeld_op: datetime
    genomen_op: datetime | None
    medewerker_id: int | None
    medewerker_naam: str | None
    vanaf_seq: int
    einde: str | None

    @classmethod
    def of(cls, row: LiveChat) -> Chat:
        return cls(
            row.id,
            row.session_id,
            row.status,
            row.aangemeld_op,
            row.genomen_op,
            row.medewerker_id,
            row.medewerker_naam,
            row.vanaf_seq,
            row.einde,
        )


@dataclass(frozen=True)
class Waiting:
    """A conversation's place in the queue and its expected wait (None: no history yet)."""

    positie: int
    wacht_minuten: int | None


class LiveStore:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    # --- the queue -----------------------------------------------------------------------

    async def enqueue(self, session_id: str, vanaf_seq: int) -> Chat:
        """The conversation's open live chat, a new waiting one if it had none."""
        try:
            async with self.sessions() as session, session.begin():
                row = LiveChat(session_id=session_id, status="wachtend", vanaf_seq=vanaf_seq)
                session.add(row)
            return Chat.of(row)
        except IntegrityError:  # already waiting or live (the partial unique index)
            found = await self.open_of(session_id)
            if found is None:
                raise
            return found

    async def open_of(self, session_id: str) -> Chat | None:
        async with self.sessions() as session:
            row = (
                await session.execute(
                    sa.select(LiveChat).where(
                        LiveChat.session_id == session_id, LiveChat.status.in_(LIVE_OPEN)
                    )
                )
            ).scalar_one_or_none()
        return Chat.of(row) if row is not None else None

    async def open_among(self, session_ids: list[str]) -> dict[str, Chat]:
        if not session_ids:
            return {}
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    sa.select(LiveChat).where(
                        LiveChat.session_id.in_(session_ids), LiveChat.status.in_(LIVE_OPEN)
                    )
                )
            ).scalars()
            return {row.session_id: Chat.of(row) for row in rows}

    async def get(self, chat_id: int) -> Chat | None:
        async with self.sessions() as session:
            row = await session.get(LiveChat, chat_id)
        return Chat.of(row) if row is not None else None

    async def waiting(self) -> list[Chat]:
        """The queue, longest waiting first."""
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    sa.select(LiveChat)
                    .where(LiveChat.status == "wachtend")
                    .order_by(LiveChat.aangemeld_op, LiveChat.id)
                )
            ).scalars()
            return [Chat.of(row) for row in rows]

    async def of_medewerker(self, staff_id: int) -> list[Chat]:
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    sa.select(LiveChat)
                    .where(LiveChat.status == "live", LiveChat.medewerker_id == staff_id)
                    .order_by(LiveChat.genomen_op)
                )
            ).scalars()
            return [Chat.of(row) for row in rows]

    async def median_wait(self) -> float | None:
        """Seconds: the median wait of the recent hand-offs; None without any."""
        since = utcnow() - RECENT_PERIOD
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    sa.select(LiveChat.aangemeld_op, LiveChat.genomen_op)
                    .where(LiveChat.genomen_op.is_not(None), LiveChat.genomen_op >= since)
                    .order_by(LiveChat.genomen_op.desc())
                    .limit(RECENT)
                )
            ).all()
        waits = [(taken - joined).total_seconds() for joined, taken in rows]
        return statistics.median(waits) if waits else None

    async def places(self) -> dict[str, Waiting]:
        """Every waiting conversation's place (1 = next) and expected wait."""
        queue = await self.waiting()
        median = await self.median_wait() if queue else None
        now = utcnow()
        found: dict[str, Waiting] = {}
        for place, chat in enumerate(queue, 1):
            minutes = None
            if median is not None:
                # Each resident ahead takes about one median wait; what this one already
                # waited counts, but never below a minute while still waiting.
                left = median * place - (now - chat.aangemeld_op).total_seconds()
                minutes = max(1, math.ceil(left / 60))
            found[chat.session_id] = Waiting(place, minutes)
        return found

    # --- taking and ending ---------------------------------------------------------------

    async def take(self, chat_id: int, staff_id: int, naam: str, vanaf_seq: int) -> bool:
        """Take a waiting resident; False when someone else was first (or they left)."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                sa.update(LiveChat)
                .where(LiveChat.id == chat_id, LiveChat.status == "wachtend")
                .values(
                    status="live",
                    medewerker_id=staff_id,
                    medewerker_naam=naam,
                    genomen_op=utcnow(),
                    vanaf_seq=vanaf_seq,
                )
            )
        return bool(result.rowcount)

    async def end(
        self,
        chat_id: int,
        einde: str,
        *,
        staff_id: int | None = None,
        notitie: str | None = None,
    ) -> bool:
        """End an open chat (only the medewerker who has it, when staff_id is given)."""
        where = [LiveChat.id == chat_id, LiveChat.status.in_(LIVE_OPEN)]
        if staff_id is not None:
            where += [LiveChat.status == "live", LiveChat.medewerker_id == staff_id]
        values: dict[str, object] = {"status": "klaar", "einde": einde, "beeindigd_op": utcnow()}
        if notitie:
            values["notitie"] = mask(notitie.strip()[:NOTE_MAX])
        async with self.sessions() as session, session.begin():
            result = await session.execute(sa.update(LiveChat).where(*where).values(**values))
        return bool(result.rowcount)

    async def transfer(self, chat_id: int, staff_id: int, to_id: int, to_naam: str) -> bool:
        """Hand a live chat to a colleague; only the medewerker who has it can."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                sa.update(LiveChat)
                .where(
                    LiveChat.id == chat_id,
                    LiveChat.status == "live",
                    LiveChat.medewerker_id == staff_id,
                )
                .values(medewerker_id=to_id, medewerker_naam=to_naam)
            )
        return bool(result.rowcount)

    async def requeue(self, staff_id: int) -> list[Chat]:
        """The medewerker is gone: their live chats wait again, first in the queue (they
        keep the time they first joined). Returns the chats that went back."""
        back = []
        for chat in await self.of_medewerker(staff_id):
            async with self.sessions() as session, session.begin():
                result = await session.execute(
                    sa.update(LiveChat)
                    .where(
                        LiveChat.id == chat.id,
                        LiveChat.status == "live",
                        LiveChat.medewerker_id == staff_id,
                    )
                    .values(
                        status="wachtend", medewerker_id=None, medewerker_naam=None, genomen_op=None
                    )
                )
            if result.rowcount:
                back.append(chat)
        return back

    # --- cases filed from a chat -------------------------------------------------------------

    async def link_case(self, chat_id: int, soort: str, identificatie: str, naam: str) -> None:
        async with self.sessions() as session, session.begin():
            session.add(
                LiveCase(
                    live_chat_id=chat_id,
                    soort=soort,
                    identificatie=identificatie,
                    medewerker_naam=naam,
                )
            )

    async def sender_of(self, session_id: str) -> str | None:
        """Rasa's id of the widget conversation: a case's melder is "web:<sender>"."""
        async with self.sessions() as session:
            row = await session.get(ChatSession, session_id)
        return str(row.sender) if row is not None else None

    async def case_link(self, identificatie: str) -> tuple[LiveCase, Chat] | None:
        """The live chat a case was filed from, if it was."""
        async with self.sessions() as session:
            row = (
                await session.execute(
                    sa.select(LiveCase, LiveChat)
                    .join(LiveChat, LiveChat.id == LiveCase.live_chat_id)
                    .where(LiveCase.identificatie == identificatie)
                    .order_by(LiveCase.id)
                    .limit(1)
                )
            ).first()
        return (row[0], Chat.of(row[1])) if row is not None else None

    # --- who is there ----------------------------------------------------------------------

    async def availability(self, staff_id: int) -> tuple[bool, str | None]:
        async with self.sessions() as session:
            row = await session.get(LiveMedewerker, staff_id)
        return (bool(row.beschikbaar), row.voornaam) if row is not None else (False, None)

    async def set_available(self, staff_id: int, voornaam: str, on: bool) -> None:
        async with self.sessions() as session, session.begin():
            row = await session.get(LiveMedewerker, staff_id, with_for_update=True)
            if row is None:
                row = LiveMedewerker(staff_id=staff_id)
                session.add(row)
            row.voornaam, row.beschikbaar, row.gezien_op = voornaam, on, utcnow()

    async def seen(self, staff_id: int) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                sa.update(LiveMedewerker)
                .where(LiveMedewerker.staff_id == staff_id)
                .values(gezien_op=utcnow())
            )

    async def anyone_available(self) -> bool:
        since = utcnow() - timedelta(seconds=SEEN_SECONDS)
        async with self.sessions() as session:
            count = (
                await session.execute(
                    sa.select(sa.func.count()).where(
                        LiveMedewerker.beschikbaar.is_(True), LiveMedewerker.gezien_op >= since
                    )
                )
            ).scalar_one()
        return count > 0

    async def seen_at(self, staff_id: int) -> datetime | None:
        async with self.sessions() as session:
            row = await session.get(LiveMedewerker, staff_id)
        return row.gezien_op if row is not None else None

    async def colleagues(self, staff_id: int) -> list[tuple[int, str]]:
        """Other medewerkers available now: (staff id, first name), by name."""
        since = utcnow() - timedelta(seconds=SEEN_SECONDS)
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    sa.select(LiveMedewerker.staff_id, LiveMedewerker.voornaam)
                    .where(
                        LiveMedewerker.beschikbaar.is_(True),
                        LiveMedewerker.gezien_op >= since,
                        LiveMedewerker.staff_id != staff_id,
                    )
                    .order_by(LiveMedewerker.voornaam, LiveMedewerker.staff_id)
                )
            ).all()
        return [(int(i), str(n)) for i, n in rows]

    async def touch(self, staff_ids: set[int]) -> None:
        """These medewerkers' Live pages are open here: they are still there."""
        if not staff_ids:
            return
        async with self.sessions() as session, session.begin():
            await session.execute(
                sa.update(LiveMedewerker)
                .where(LiveMedewerker.staff_id.in_(staff_ids))
                .values(gezien_op=utcnow())
            )
