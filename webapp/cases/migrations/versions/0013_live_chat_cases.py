"""live chat cases: a case filed by a medewerker from a live chat links to it (issue #16)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 03:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_chat_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("live_chat_id", sa.Integer(), nullable=False),
        sa.Column("soort", sa.String(length=12), nullable=False),
        sa.Column("identificatie", sa.String(length=20), nullable=False),
        sa.Column("medewerker_naam", sa.String(length=40), nullable=False),
        sa.Column("gemaakt_op", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["live_chat_id"], ["live_chats.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("live_chat_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_live_chat_cases_live_chat_id"), ["live_chat_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_live_chat_cases_identificatie"), ["identificatie"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("live_chat_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_chat_cases_identificatie"))
        batch_op.drop_index(batch_op.f("ix_live_chat_cases_live_chat_id"))
    op.drop_table("live_chat_cases")
