"""Widget conversations in the database: sessions and their numbered messages.

The database, not a web-app process, is the source of truth: any instance behind a
load balancer can take the callback for a bot message, and the instance holding the
resident's WebSocket finds it by sequence number (see hub.py).

A message is stored encrypted (core/privacy/sealing.py, the tracker store's key): the
widget shows the resident their own words, case number and controlecode again after a
reload, so they are kept, but nobody reading the database sees them. Messages stored
before encryption are read as they are and encrypted when the web app starts.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from core.privacy.masking import ENCRYPTED_LABEL, ENCRYPTED_PREFIX
from core.privacy.sealing import Sealer, is_sealed
from webapp.cases.models import ChatEntry, ChatSession, utcnow

RESIDENT, BOT = "inwoner", "balie"
MEDEWERKER = "medewerker"  # a medewerker in a live chat (webapp/live/); bericht has "naam"
FROM = {RESIDENT: "user", BOT: "bot", MEDEWERKER: "medewerker"}  # the frame's "from"
HISTORY = 200  # messages a freshly loaded page gets at most


def token_hash(token: str) -> str:
    # Any text hashes: a token with a lone surrogate (JSON \udXXX) is just unknown.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class RateLimited(Exception):
    """Too many messages from this sender in the window (ChatLog.append)."""


@dataclass(frozen=True)
class Conversation:
    id: str
    sender: str


@dataclass(frozen=True)
class Entry:
    seq: int
    afzender: str
    bericht: dict[str, Any]
    bericht_id: str | None
    op: datetime

    def frame(self) -> dict[str, Any]:
        """The `message` frame of the WebSocket protocol."""
        frame: dict[str, Any] = {
            "type": "message",
            "seq": self.seq,
            "from": FROM.get(self.afzender, "bot"),
            "time": self.op.isoformat(),
            **self.bericht,
        }
        if self.afzender == RESIDENT and self.bericht_id:
            frame["id"] = self.bericht_id  # lets the sending widget confirm its own message
        return frame


class ChatLog:
    def __init__(self, sessions: sessionmaker, sealer: Sealer) -> None:
        self.sessions = sessions
        # core.privacy.sealing.sealer(settings): BALIE_SECRET_KEY, or the data directory's key.
        self.sealer = sealer

    def _open(self, stored: str) -> dict[str, Any]:
        bericht = self.sealer.open_json(stored)
        # Written with another secret: the resident sees that something was there.
        return bericht if isinstance(bericht, dict) else {"text": ENCRYPTED_LABEL}

    async def seal_plain_rows(self, batch: int = 500) -> int:
        """Encrypt messages stored before encryption; returns how many."""
        done = 0
        while True:
            async with self.sessions() as session, session.begin():
                rows = (
                    await session.execute(
                        sa.select(ChatEntry.id, ChatEntry.bericht)
                        .where(ChatEntry.bericht.not_like(f"{ENCRYPTED_PREFIX}%"))
                        .limit(batch)
                    )
                ).all()
                for row in rows:
                    if not is_sealed(row.bericht):
                        await session.execute(
                            sa.update(ChatEntry)
                            .where(ChatEntry.id == row.id, ChatEntry.bericht == row.bericht)
                            .values(bericht=self.sealer.seal(self._open(row.bericht)))
                        )
            done += len(rows)
            if len(rows) < batch:
                return done

    async def open(self, token: str | None) -> tuple[Conversation, str, bool]:
        """The conversation of a browser's token, or a new one: (conversation, token, new)."""
        if token:
            found = await self.find(token)
            if found:
                return found, token, False
        token = secrets.token_urlsafe(32)
        row = ChatSession(id=token_hash(token), sender=secrets.token_hex(16))
        async with self.sessions() as session, session.begin():
            session.add(row)
        return Conversation(row.id, row.sender), token, True

    async def find(self, token: str) -> Conversation | None:
        async with self.sessions() as session:
            row = await session.get(ChatSession, token_hash(token))
        if row is None or row.gewist_op is not None:
            return None
        return Conversation(row.id, row.sender)

    async def by_sender(self, sender: str) -> tuple[Conversation, bool] | None:
        """(conversation, wiped) for Rasa's conversation id."""
        async with self.sessions() as session:
            row = (
                await session.execute(sa.select(ChatSession).where(ChatSession.sender == sender))
            ).scalar_one_or_none()
        if row is None:
            return None
        return Conversation(row.id, row.sender), row.gewist_op is not None

    async def append(
        self,
        session_id: str,
        afzender: str,
        bericht: dict[str, Any],
        bericht_id: str | None,
        rate: tuple[int, timedelta] | None = None,
    ) -> tuple[int, bool] | None:
        """Add a message; (seq, added). The same bericht_id again returns the first seq.

        None when the conversation was wiped. The UPDATE locks the session row until
        commit, so concurrent appends (a status push during a turn) get consecutive
        numbers and become visible in that order. rate = (limit, window): raise
        RateLimited when the sender already stored `limit` messages in the window,
        counted under that lock, so tabs on several instances cannot slip past it.
        """
        if bericht_id:
            seq = await self.seq_of(session_id, bericht_id)
            if seq is not None:
                return seq, False
        try:
            async with self.sessions() as session, session.begin():
                updated = await session.execute(
                    sa.update(ChatSession)
                    .where(ChatSession.id == session_id, ChatSession.gewist_op.is_(None))
                    .values(laatste_seq=ChatSession.laatste_seq + 1, actief_op=utcnow())
                )
                if updated.rowcount == 0:
                    return None
                if rate is not None:
                    limit, window = rate
                    recent = await session.execute(
                        sa.select(sa.func.count(ChatEntry.id)).where(
                            ChatEntry.session_id == session_id,
                            ChatEntry.afzender == afzender,
                            ChatEntry.aangemaakt_op >= utcnow() - window,
                        )
                    )
                    if recent.scalar_one() >= limit:
                        raise RateLimited
                seq = (
                    await session.execute(
                        sa.select(ChatSession.laatste_seq).where(ChatSession.id == session_id)
                    )
                ).scalar_one()
                session.add(
                    ChatEntry(
                        session_id=session_id,
                        seq=seq,
                        afzender=afzender,
                        bericht=self.sealer.seal(bericht),
                        bericht_id=bericht_id,
                    )
                )
            return seq, True
        except IntegrityError:
            # Another instance stored the same message a moment earlier.
            seq = await self.seq_of(session_id, bericht_id) if bericht_id else None
            if seq is None:
                raise
            return seq, False

    async def offered(self, session_id: str, payload: str, recent: int = 20) -> bool:
        """Did one of the bot's recent messages offer a button with this payload?"""
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    sa.select(ChatEntry.bericht)
                    .where(ChatEntry.session_id == session_id, ChatEntry.afzender == BOT)
                    .order_by(ChatEntry.seq.desc())
                    .limit(recent)
                )
            ).scalars()
            return any(
                button.get("payload") == payload
                for bericht in rows
                for button in self._open(bericht).get("buttons", [])
            )

    async def seq_of(self, session_id: str, bericht_id: str) -> int | None:
        """The number a message with this id already has, if it was stored."""
        async with self.sessions() as session:
            return (
                await session.execute(
                    sa.select(ChatEntry.seq).where(
                        ChatEntry.session_id == session_id, ChatEntry.bericht_id == bericht_id
                    )
                )
            ).scalar_one_or_none()

    async def answered(self, session_id: str, seq: int) -> tuple[Entry, Entry | None] | None:
        """Balie's message number `seq` and the resident's message before it (what it
        answered), for feedback on it; None when `seq` is no message of Balie's here."""
        async with self.sessions() as session:
            bot = (
                await session.execute(
                    sa.select(ChatEntry).where(
                        ChatEntry.session_id == session_id,
                        ChatEntry.seq == seq,
                        ChatEntry.afzender == BOT,
                    )
                )
            ).scalar_one_or_none()
            if bot is None:
                return None
            asked = (
                await session.execute(
                    sa.select(ChatEntry)
                    .where(
                        ChatEntry.session_id == session_id,
                        ChatEntry.seq < seq,
                        ChatEntry.afzender == RESIDENT,
                    )
                    .order_by(ChatEntry.seq.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            entries = [
                Entry(r.seq, r.afzender, self._open(r.bericht), r.bericht_id, r.aangemaakt_op)
                for r in (bot, asked)
                if r is not None
            ]
        return entries[0], (entries[1] if asked is not None else None)

    async def after(self, session_id: str, seq: int, limit: int = HISTORY) -> list[Entry]:
        """Messages after `seq`, oldest first; at most the newest `limit` of them."""
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    sa.select(ChatEntry)
                    .where(ChatEntry.session_id == session_id, ChatEntry.seq > seq)
                    .order_by(ChatEntry.seq.desc())
                    .limit(limit)
                )
            ).scalars()
            entries = [
                Entry(r.seq, r.afzender, self._open(r.bericht), r.bericht_id, r.aangemaakt_op)
                for r in rows
            ]
        return entries[::-1]

    async def last_seqs(self, session_ids: Iterable[str]) -> dict[str, int]:
        return {sid: seq for sid, (seq, _) in (await self.heads(session_ids)).items()}

    async def heads(self, session_ids: Iterable[str]) -> dict[str, tuple[int, bool]]:
        """(last sequence number, wiped) of each conversation that exists."""
        ids = list(session_ids)
        found: dict[str, tuple[int, bool]] = {}
        async with self.sessions() as session:
            for start in range(0, len(ids), 500):
                rows = await session.execute(
                    sa.select(ChatSession.id, ChatSession.laatste_seq, ChatSession.gewist_op).where(
                        ChatSession.id.in_(ids[start : start + 500])
                    )
                )
                found.update({row.id: (row.laatste_seq, row.gewist_op is not None) for row in rows})
        return found

    async def sent_since(self, session_id: str, since: datetime) -> int:
        """How many messages the resident sent since then (the relay's rate limit)."""
        async with self.sessions() as session:
            return (
                await session.execute(
                    sa.select(sa.func.count(ChatEntry.id)).where(
                        ChatEntry.session_id == session_id,
                        ChatEntry.afzender == RESIDENT,
                        ChatEntry.aangemaakt_op >= since,
                    )
                )
            ).scalar_one()

    async def allow_upload(self, session_id: str, limit: int, window: timedelta) -> bool:
        """Count an upload in a fixed window; False once `limit` is used up."""
        now = utcnow()
        async with self.sessions() as session, session.begin():
            row = await session.get(ChatSession, session_id, with_for_update=True)
            if row is None:
                return False
            since = row.uploads_sinds
            if since is None or now - since > window:
                row.uploads_sinds, row.uploads = now, 0
            if row.uploads >= limit:
                return False
            row.uploads += 1
            row.actief_op = now
        return True

    async def wipe(self, session_id: str) -> None:
        """Gesprek wissen: the messages go; the row stays, so late replies are dropped."""
        async with self.sessions() as session, session.begin():
            await session.execute(sa.delete(ChatEntry).where(ChatEntry.session_id == session_id))
            await session.execute(
                sa.update(ChatSession)
                .where(ChatSession.id == session_id)
                .values(gewist_op=utcnow())
            )

    async def purge(self, older_than: timedelta) -> int:
        """Forget conversations nobody used for a while; returns how many."""
        cutoff = utcnow() - older_than
        async with self.sessions() as session, session.begin():
            stale = sa.select(ChatSession.id).where(ChatSession.actief_op < cutoff)
            entries = sa.delete(ChatEntry).where(ChatEntry.session_id.in_(stale))
            await session.execute(entries.execution_options(synchronize_session=False))
            result = await session.execute(
                sa.delete(ChatSession).where(ChatSession.actief_op < cutoff)
            )
        return result.rowcount or 0
