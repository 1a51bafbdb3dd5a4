"""Database URLs and async engines, the same for every process's database.

`BALIE_DATABASE_URL` takes the usual forms (`postgresql://user@host/db`,
`sqlite:///path`); the embedded default is a SQLite file in the data directory.
Processes talk to it asynchronously (asyncpg, aiosqlite); `sync_url` names the
synchronous driver for Alembic (webapp.cases.migrate).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker


def database_url(data_dir: Path) -> str:
    url = os.environ.get("BALIE_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir / 'balie.sqlite'}"


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
