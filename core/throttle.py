"""Attempts per key, counted in a database table: back-off for guessers, windows for creators.

One mechanism, three uses, each on the table of the process that counts: wrong
controlecodes per chat and client address (the action server's `guess_attempts`,
actions/guesser.py), wrong staff passwords per name and client address
(webapp/staff/users.py) and new widget conversations per client address
(webapp/chat/routes.py), both in the web app's `attempts`. Every such table has the
columns `table` makes. A key is a hash of what it counts, so the table holds no
readable chat ids or addresses; `purge` removes keys that have been quiet for `KEEP`.

Back-off: `reserve` counts an attempt *before* the secret is checked, in one
transaction with the row locked (PostgreSQL's row lock, SQLite's write lock), and
refuses while a key is blocked; so a burst of concurrent tries gets exactly as many
checks as the policy allows, and every counted try is counted once. A try that turns
out right is given back with `release`. After `free` counted tries a key waits `base`,
and each further counted try doubles the wait, up to `cap`. Every `leak` one counted try
is forgiven, so an address many people share (an office, a mobile network) with the
odd typo among them never drifts into the waits, while a guesser stays there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from core import clock
from core.clock import utcnow
from core.db import UtcDateTime
from core.dutch.tijdstip import MAANDEN

# Rows quiet this long (and no longer blocked) are deleted by the retention purge.
KEEP = timedelta(days=7)


def table(name: str, metadata: sa.MetaData) -> sa.Table:
    """A table of attempt counts. `sleutel` is the hashed key; `groep` ties the keys of
    one staff name together, so a beheerder can lift its blocks."""
    return sa.Table(
        name,
        metadata,
        sa.Column("sleutel", sa.String(64), primary_key=True),
        sa.Column("groep", sa.String(64), index=True),
        sa.Column("aantal", sa.Integer, nullable=False, default=0),
        sa.Column("sinds", UtcDateTime, nullable=False, default=utcnow),
        sa.Column("laatste_op", UtcDateTime, nullable=False, default=utcnow, index=True),
        sa.Column("geblokkeerd_tot", UtcDateTime),
    )


def key(scope: str, *parts: str) -> str:
    """The stored form of a key: nobody reads chat ids or addresses from the table."""
    return hashlib.sha256("\x1f".join((scope, *parts)).encode()).hexdigest()


@dataclass(frozen=True)
class Policy:
    free: int  # counted tries before the first wait
    base: timedelta  # the first wait
    cap: timedelta  # the longest wait
    leak: timedelta  # one counted try is forgiven per this much time

    def leaked(self, count: int, last: datetime, now: datetime) -> int:
        """The count now, after the forgiving since the last try."""
        return max(0, count - int((now - last) / self.leak))

    def wait(self, count: int) -> timedelta:
        if count < self.free:
            return timedelta(0)
        return min(self.cap, self.base * (1 << min(count - self.free, 30)))  # doubling


@dataclass(frozen=True)
class Key:
    sleutel: str
    policy: Policy
    groep: str | None = None


class Blocked(Exception):
    def __init__(self, until: datetime) -> None:
        super().__init__(f"blocked until {until.isoformat()}")
        self.until = until


def stale(counts: sa.Table, now: datetime | None = None) -> sa.sql.ColumnElement[bool]:
    """Rows the retention purge deletes: quiet for KEEP and not blocked any more."""
    now = now or utcnow()
    c = counts.c
    return sa.and_(
        c.laatste_op < now - KEEP,
        sa.or_(c.geblokkeerd_tot.is_(None), c.geblokkeerd_tot < now),
    )


class Throttle:
    """The counts in `counts` (a table made by `table`), reached through `sessions`."""

    def __init__(self, sessions: sessionmaker, counts: sa.Table) -> None:
        self.sessions = sessions
        self.table = counts

    async def _ensure(self, session: AsyncSession, sleutel: str, groep: str | None) -> None:
        now = utcnow()
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        row = dict(sleutel=sleutel, groep=groep, aantal=0, sinds=now, laatste_op=now)
        await session.execute(insert(self.table).values(**row).on_conflict_do_nothing())

    async def _locked(self, session: AsyncSession, sleutel: str) -> Any:
        """The key's row, locked until commit (PostgreSQL: this row; SQLite: the
        database), so concurrent tries on one key are counted one after the other."""
        query = sa.select(self.table).where(self.table.c.sleutel == sleutel).with_for_update()
        return (await session.execute(query)).first()

    async def _store(self, session: AsyncSession, k: Key, count: int, last: datetime) -> None:
        """The count and the wait it earns, counted from the last try."""
        wait = k.policy.wait(count)
        await session.execute(
            sa.update(self.table)
            .where(self.table.c.sleutel == k.sleutel)
            .values(aantal=count, laatste_op=last, geblokkeerd_tot=last + wait if wait else None)
        )

    async def reserve(self, keys: Sequence[Key]) -> None:
        """Count one attempt on every key, or raise Blocked (and count nothing)."""
        now = utcnow()
        async with self.sessions() as session, session.begin():
            # One order for everyone: two requests locking the same keys cannot deadlock.
            for k in sorted(keys, key=lambda k: k.sleutel):
                await self._ensure(session, k.sleutel, k.groep)
                row = await self._locked(session, k.sleutel)
                assert row is not None  # made just above, in this transaction
                blocked = row.geblokkeerd_tot
                if blocked is not None and blocked > now:
                    raise Blocked(blocked)  # leaving the block rolls back the other keys
                count = k.policy.leaked(row.aantal, row.laatste_op, now) + 1
                await self._store(session, k, count, now)

    async def release(self, keys: Sequence[Key]) -> None:
        """The reserved attempt was right: it does not count, nor does the wait it set."""
        async with self.sessions() as session, session.begin():
            for k in sorted(keys, key=lambda k: k.sleutel):
                row = await self._locked(session, k.sleutel)
                if row is not None and row.aantal > 0:
                    await self._store(session, k, row.aantal - 1, row.laatste_op)

    async def clear(self, *, sleutels: Sequence[str] = (), groep: str | None = None) -> None:
        """Forget keys (a successful login) or a whole group (a beheerder's unlock)."""
        c = self.table.c
        condition = c.sleutel.in_(list(sleutels))
        if groep is not None:
            condition = sa.or_(condition, c.groep == groep)
        async with self.sessions() as session, session.begin():
            await session.execute(sa.delete(self.table).where(condition))

    async def blocked_groups(self, groepen: Sequence[str]) -> dict[str, datetime]:
        """The latest block of each group that is blocked now (accounts overview)."""
        now = utcnow()
        c = self.table.c
        query = (
            sa.select(c.groep, sa.func.max(c.geblokkeerd_tot))
            .where(c.groep.in_(list(groepen)), c.geblokkeerd_tot > now)
            .group_by(c.groep)
        )
        async with self.sessions() as session:
            return {g: until for g, until in await session.execute(query)}

    async def count(self, sleutel: str, window: timedelta) -> int:
        """Count one event in a fixed window and return the window's count, this one included."""
        now = utcnow()
        c = self.table.c
        async with self.sessions() as session, session.begin():
            await self._ensure(session, sleutel, None)
            expired = c.sinds < now - window
            await session.execute(
                sa.update(self.table)
                .where(c.sleutel == sleutel)
                .values(
                    aantal=sa.case((expired, 1), else_=c.aantal + 1),
                    sinds=sa.case((expired, now), else_=c.sinds),
                    laatste_op=now,
                )
            )
            found = await session.scalar(sa.select(c.aantal).where(c.sleutel == sleutel))
            return int(found)

    async def counted(self, sleutel: str) -> int:
        """The current count of a key (0 if it has none)."""
        c = self.table.c
        async with self.sessions() as session:
            found = await session.scalar(sa.select(c.aantal).where(c.sleutel == sleutel))
        return found or 0

    async def purge(self, *, dry_run: bool = False, now: datetime | None = None) -> int:
        """Delete (or, dry, count) the keys gone quiet: see `stale`."""
        condition = stale(self.table, now)
        async with self.sessions() as session, session.begin():
            if dry_run:
                found = await session.scalar(
                    sa.select(sa.func.count()).select_from(self.table).where(condition)
                )
                return int(found or 0)
            result = await session.execute(sa.delete(self.table).where(condition))
            return int(result.rowcount or 0)


def when(until: datetime, now: datetime | None = None) -> str:
    """'om 14:35' today, else 'op 5 december om 14:35' (Dutch time, for messages)."""
    # Rounded up to the minute: trying at the minute named is never too early.
    local = clock.local(until + timedelta(seconds=59))
    today = clock.local(now or utcnow()).date()
    at = f"om {local:%H:%M}"
    if local.date() == today:
        return at
    return f"op {local.day} {MAANDEN[local.month - 1]} {at}"
