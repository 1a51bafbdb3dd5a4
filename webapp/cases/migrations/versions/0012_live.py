"""live: a medewerker takes over a widget conversation (issue #16)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 00:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('wachtend', 'live')")


def upgrade() -> None:
    op.create_table(
        "live_chats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("aangemeld_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("genomen_op", sa.DateTime(timezone=True), nullable=True),
        sa.Column("beeindigd_op", sa.DateTime(timezone=True), nullable=True),
        sa.Column("medewerker_id", sa.Integer(), nullable=True),
        sa.Column("medewerker_naam", sa.String(length=40), nullable=True),
        sa.Column("vanaf_seq", sa.Integer(), nullable=False),
        sa.Column("einde", sa.String(length=16), nullable=True),
        sa.Column("notitie", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["chat_sessions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["medewerker_id"], ["staff_users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("live_chats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_chats_session_id"), ["session_id"])
        batch_op.create_index(batch_op.f("ix_live_chats_status"), ["status"])
        batch_op.create_index(
            "uq_live_chats_open",
            ["session_id"],
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )
    op.create_table(
        "live_medewerkers",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("voornaam", sa.String(length=40), nullable=False),
        sa.Column("beschikbaar", sa.Boolean(), nullable=False),
        sa.Column("gezien_op", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("staff_id"),
    )


def downgrade() -> None:
    op.drop_table("live_medewerkers")
    with op.batch_alter_table("live_chats", schema=None) as batch_op:
        batch_op.drop_index("uq_live_chats_open")
        batch_op.drop_index(batch_op.f("ix_live_chats_status"))
        batch_op.drop_index(batch_op.f("ix_live_chats_session_id"))
    op.drop_table("live_chats")
