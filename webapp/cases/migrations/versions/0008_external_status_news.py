"""status news from external case systems

`external_cases` remembers the last status Signalen or ZGW reported for a receipted case
(its reference, when it was set, Balie's status for it), so a duplicate or out-of-order
notification is not pushed to the resident twice; `external_url` gets an index because
ZGW notifications name the zaak by its URL.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("external_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("laatste_status_ref", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column("laatste_status_op", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("laatste_status", sa.String(length=20), nullable=True))
        batch_op.create_index("ix_external_cases_external_url", ["external_url"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("external_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_external_cases_external_url")
        batch_op.drop_column("laatste_status")
        batch_op.drop_column("laatste_status_op")
        batch_op.drop_column("laatste_status_ref")
