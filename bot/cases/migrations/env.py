"""Alembic environment: the URL comes from bot.cases.db, never from an ini file."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from bot.cases.models import Base

url = context.config.attributes["url"]
engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
