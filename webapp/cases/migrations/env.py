"""Alembic environment: the URL comes from core.db, never from an ini file."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from webapp.cases.models import Base


def _ours(obj, name, type_, reflected, compare_to) -> bool:
    """Rasa's SQL tracker store shares the database: never touch its tables."""
    return not (type_ == "table" and reflected and compare_to is None)


# An arbitrary constant: the advisory-lock id Balie's migrations take on PostgreSQL.
MIGRATE_LOCK = 0x62616C6965

url = context.config.attributes["url"]
engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=_ours,
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        if url.get_backend_name() == "postgresql":
            # Several web-app replicas start at once: one migrates, the others wait and
            # then find the schema at head (the lock ends with the transaction).
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK})
        context.run_migrations()
engine.dispose()
