"""attempts per guesser instead of per case or account

Wrong controlecodes and staff passwords are counted per guesser (chat, client address,
name with address) in `attempts`; the per-case and per-account counters go, because
they let anyone lock a resident or a colleague out.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attempts",
        sa.Column("sleutel", sa.String(length=64), nullable=False),
        sa.Column("groep", sa.String(length=64), nullable=True),
        sa.Column("aantal", sa.Integer(), nullable=False),
        sa.Column("sinds", sa.DateTime(timezone=True), nullable=False),
        sa.Column("laatste_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("geblokkeerd_tot", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("sleutel"),
    )
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attempts_groep"), ["groep"], unique=False)
        batch_op.create_index(batch_op.f("ix_attempts_laatste_op"), ["laatste_op"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("inzage_fout_sinds")
        batch_op.drop_column("inzage_fouten")
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("geblokkeerd_tot")
        batch_op.drop_column("mislukte_pogingen")


def downgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mislukte_pogingen", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("geblokkeerd_tot", sa.DateTime(timezone=True)))
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("inzage_fouten", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("inzage_fout_sinds", sa.DateTime(timezone=True)))
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attempts_laatste_op"))
        batch_op.drop_index(batch_op.f("ix_attempts_groep"))
    op.drop_table("attempts")
