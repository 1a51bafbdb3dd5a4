"""Database URLs and async engines, the same for every process's database.

`BALIE_DATABASE_URL` takes the usual forms (`postgresql://user@host/db`,
`sqlite:///path`); the embedded default is a SQLite file in the data directory.
Processes talk to it asynchronously (asyncpg, aiosqlite); `sync_url` names the
synchronous driver for Alembic (webapp.cases.migrate). `UtcDateTime` is how every
table stores a moment; `create_tables` makes the tables of a process that has no
migrations (the action server).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker

from core.clock import as_utc


def _with_driver(url: str, sqlite: str, postgresql: str) -> URL:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername=sqlite)
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername=postgresql)
    raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")


def async_url(url: str) -> URL:
    return _with_driver(url, "sqlite+aiosqlite", "postgresql+asyncpg")


def sync_url(url: str) -> URL:
    return _with_driver(url, "sqlite", "postgresql+psycopg2")


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, begin transactions (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer commits; wait instead of failing on a lock.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # Take the write lock up front: a transaction that reads and then writes would
    # otherwise fail with "database is locked" instead of waiting its turn.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str) -> AsyncEngine:
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        Path(target.database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(target)
        sa.event.listen(engine.sync_engine, "connect", _sqlite_connect)
        sa.event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(target, pool_size=10, max_overflow=10, pool_pre_ping=True)


def session_factory(engine: AsyncEngine) -> sessionmaker:
    return sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def create_tables(engine: AsyncEngine, tables: Sequence[sa.Table]) -> None:
    """Create those of `tables` that are missing, for a process that owns its tables
    without migrations (the action server: its outbox and its guess counts)."""

    def create(sync: sa.engine.Connection) -> None:
        for table in tables:
            table.create(sync, checkfirst=True)

    try:
        async with engine.begin() as conn:
            await conn.run_sync(create)
    except DBAPIError:
        # Another process created them at the same moment: they are there now.
        async with engine.begin() as conn:
            await conn.run_sync(create)


class UtcDateTime(sa.types.TypeDecorator):  # type: ignore[misc]  # SQLAlchemy 1.4: untyped
    """A moment, stored as UTC on SQLite and PostgreSQL alike, read back as aware UTC.

    SQLite has no time zones: SQLAlchemy writes a datetime's digits and drops its offset,
    so 23:00+01:00 came back as 23:00 UTC. Converting to UTC before writing makes the
    stored text the same instant PostgreSQL's timestamptz keeps, and makes comparisons
    in SQL (filters, retention) compare instants on both.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)
