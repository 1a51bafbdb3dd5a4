"""SQLite: incident times (cases.tijdstip) in UTC like every other moment

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 16:30:00

SQLite keeps no offset: SQLAlchemy wrote a datetime's own digits. Every other column was
written from UTC datetimes, but `tijdstip` came with the chat's local offset
(Europe/Amsterdam: the action server's parser ran in that zone), so its rows hold Dutch
wall-clock times. From now on webapp.cases.models.UtcDateTime writes UTC; this converts the
old rows. A Case API client that sent another offset wrote other digits, which cannot be
told apart: those rows are converted as if Dutch too. PostgreSQL's timestamptz always
kept the instant, so it needs nothing.
"""

from __future__ import annotations

from datetime import timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The zone the chat wrote in before this revision: fixed, whatever the gemeente configures.
WRITTEN_IN = ZoneInfo("Europe/Amsterdam")

cases = sa.table("cases", sa.column("id", sa.Integer), sa.column("tijdstip", sa.DateTime()))


def _convert(source: timezone | ZoneInfo, target: timezone | ZoneInfo) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    rows = bind.execute(sa.select(cases.c.id, cases.c.tijdstip).where(cases.c.tijdstip.isnot(None)))
    for case_id, naive in rows.all():
        moved = naive.replace(tzinfo=source).astimezone(target).replace(tzinfo=None)
        bind.execute(sa.update(cases).where(cases.c.id == case_id).values(tijdstip=moved))


def upgrade() -> None:
    _convert(WRITTEN_IN, timezone.utc)


def downgrade() -> None:
    _convert(timezone.utc, WRITTEN_IN)
