"""Real databases for tests: a SQLite file, and a throwaway PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from webapp.cases.migrate import migrate

# An administrative connection to the local server; the tests make their own database.
POSTGRES_ADMIN_URL = os.environ.get(
    "BALIE_TEST_POSTGRES_URL", "postgresql://balie:balie@127.0.0.1:5432/postgres"
)


@contextmanager
def postgres_database() -> Iterator[str]:
    name = f"balie_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def sqlite_database(directory: Path) -> Iterator[str]:
    url = f"sqlite:///{directory / f'balie-{uuid.uuid4().hex[:8]}.sqlite'}"
    migrate(url)
    yield url
