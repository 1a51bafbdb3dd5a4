"""Attempts per key, counted in the database: back-off for guessers, windows for creators.

One implementation, three uses: wrong controlecodes per chat and client address
(actions/guesser.py), wrong staff passwords per name and client address
(bot/staff/users.py), and new widget conversations per client address
(bot/web/chat/routes.py). A key is a hash of what it counts, so the table holds no
readable chat ids or addresses; the purge removes keys that have been quiet for `KEEP`.

Back-off: `reserve` counts an attempt *before* the secret is checked, in one
transaction with the row locked (PostgreSQL's row lock, SQLite's write lock), and
refuses while a key is blocked; so a burst of concurrent tries gets exactly as many
checks as the policy allows, and every counted try is counted once. A try that turns
out right is given back with `release`. After `free` counted tries a key waits `base`,
and each further counted try doubles the wait, up to `cap`; `forget` after the last
try the count starts again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.cases.models import Attempts, utcnow
from bot.cases.store import aware

# Rows quiet this long (and no longer blocked) are deleted by the retention purge.
KEEP = timedelta(days=7)


def key(scope: str, *parts: str) -> str:
    """The stored form of a key: nobody reads chat ids or addresses from the table."""
    return hashlib.sha256("\x1f".join((scope, *parts)).encode()).hexdigest()


@dataclass(frozen=True)
class Policy:
    free: int  # counted tries before the first wait
    base: timedelta  # the first wait
    cap: timedelta  # the longest wait
    forget: timedelta = KEEP  # quiet this long: the count starts again

    def wait(self, count: int) -> timedelta:
        if count < self.free:
            return timedelta(0)
        return min(self.cap, self.base * 2 ** min(count - self.free, 30))


@dataclass(frozen=True)
class Key:
    sleutel: str
    policy: Policy
    groep: str | None = None


class Blocked(Exception):
    def __init__(self, until: datetime) -> None:
        super().__init__(f"blocked until {until.isoformat()}")
        self.until = until


def _aware(value: datetime) -> datetime:
    return aware(value)  # type: ignore[return-value]


class Throttle:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    async def _ensure(self, session: AsyncSession, sleutel: str, groep: str | None) -> None:
        now = utcnow()
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        row = dict(sleutel=sleutel, groep=groep, aantal=0, sinds=now, laatste_op=now)
        await session.execute(insert(Attempts).values(**row).on_conflict_do_nothing())

    async def reserve(self, keys: Sequence[Key]) -> None:
        """Count one attempt on every key, or raise Blocked (and count nothing)."""
        if not keys:
            return
        now = utcnow()
        async with self.sessions() as session, session.begin():
            # One order for everyone: two requests locking the same keys cannot deadlock.
            for k in sorted(keys, key=lambda k: k.sleutel):
                await self._ensure(session, k.sleutel, k.groep)
                fresh = Attempts.laatste_op < now - k.policy.forget
                counted = await session.execute(
                    sa.update(Attempts)
                    .where(
                        Attempts.sleutel == k.sleutel,
                        sa.or_(Attempts.geblokkeerd_tot.is_(None), Attempts.geblokkeerd_tot <= now),
                    )
                    .values(
                        aantal=sa.case((fresh, 1), else_=Attempts.aantal + 1),
                        sinds=sa.case((fresh, now), else_=Attempts.sinds),
                        laatste_op=now,
                    )
                    .execution_options(synchronize_session=False)
                )
                row = (
                    await session.execute(
                        sa.select(Attempts.aantal, Attempts.geblokkeerd_tot).where(
                            Attempts.sleutel == k.sleutel
                        )
                    )
                ).one()
                if not counted.rowcount:  # leaving the block rolls back the other keys
                    raise Blocked(_aware(row.geblokkeerd_tot))
                wait = k.policy.wait(row.aantal)
                if wait:
                    await session.execute(
                        sa.update(Attempts)
                        .where(Attempts.sleutel == k.sleutel)
                        .values(geblokkeerd_tot=now + wait)
                        .execution_options(synchronize_session=False)
                    )

    async def release(self, keys: Sequence[Key]) -> None:
        """The reserved attempt was right: it does not count, nor does the wait it set."""
        async with self.sessions() as session, session.begin():
            for k in sorted(keys, key=lambda k: k.sleutel):
                row = (
                    await session.execute(
                        sa.select(Attempts.aantal, Attempts.laatste_op)
                        .where(Attempts.sleutel == k.sleutel)
                        .with_for_update()
                    )
                ).one_or_none()
                if row is None or row.aantal <= 0:
                    continue
                count = row.aantal - 1
                wait = k.policy.wait(count)
                await session.execute(
                    sa.update(Attempts)
                    .where(Attempts.sleutel == k.sleutel)
                    .values(
                        aantal=count,
                        geblokkeerd_tot=_aware(row.laatste_op) + wait if wait else None,
                    )
                    .execution_options(synchronize_session=False)
                )

    async def clear(self, *, sleutels: Sequence[str] = (), groep: str | None = None) -> None:
        """Forget keys (a successful login) or a whole group (a beheerder's unlock)."""
        condition = Attempts.sleutel.in_(list(sleutels))
        if groep is not None:
            condition = sa.or_(condition, Attempts.groep == groep)
        async with self.sessions() as session, session.begin():
            await session.execute(sa.delete(Attempts).where(condition))

    async def blocked_groups(self, groepen: Sequence[str]) -> dict[str, datetime]:
        """The latest block of each group that is blocked now (accounts overview)."""
        now = utcnow()
        query = (
            sa.select(Attempts.groep, sa.func.max(Attempts.geblokkeerd_tot))
            .where(Attempts.groep.in_(list(groepen)), Attempts.geblokkeerd_tot > now)
            .group_by(Attempts.groep)
        )
        async with self.sessions() as session:
            return {g: _aware(until) for g, until in await session.execute(query)}

    async def count(self, sleutel: str, window: timedelta) -> int:
        """Count one event in a fixed window and return the window's count, this one included."""
        now = utcnow()
        async with self.sessions() as session, session.begin():
            await self._ensure(session, sleutel, None)
            expired = Attempts.sinds < now - window
            await session.execute(
                sa.update(Attempts)
                .where(Attempts.sleutel == sleutel)
                .values(
                    aantal=sa.case((expired, 1), else_=Attempts.aantal + 1),
                    sinds=sa.case((expired, now), else_=Attempts.sinds),
                    laatste_op=now,
                )
                .execution_options(synchronize_session=False)
            )
            return (
                await session.execute(sa.select(Attempts.aantal).where(Attempts.sleutel == sleutel))
            ).scalar_one()

    async def counted(self, sleutel: str) -> int:
        """The current count of a key (0 if it has none)."""
        async with self.sessions() as session:
            row = await session.get(Attempts, sleutel)
        return row.aantal if row else 0


def stale(now: datetime | None = None) -> sa.sql.ColumnElement:
    """Rows the retention purge deletes: quiet for KEEP and not blocked any more."""
    now = now or utcnow()
    return sa.and_(
        Attempts.laatste_op < now - KEEP,
        sa.or_(Attempts.geblokkeerd_tot.is_(None), Attempts.geblokkeerd_tot < now),
    )


AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip


def when(until: datetime, now: datetime | None = None) -> str:
    """'om 14:35' today, else 'op 5 december om 14:35' (Dutch time, for messages)."""
    # Rounded up to the minute: trying at the minute named is never too early.
    local = (_aware(until) + timedelta(seconds=59)).astimezone(AMSTERDAM)
    today = (now or utcnow()).astimezone(AMSTERDAM).date()
    clock = f"om {local:%H:%M}"
    if local.date() == today:
        return clock
    return f"op {local.day} {MONTHS[local.month - 1]} {clock}"
