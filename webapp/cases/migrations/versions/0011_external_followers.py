"""residents who follow an open melding in Signalen or ZGW

A resident who reports again what is already reported nearby in the external case
system follows that case: their report goes to the external system, and
`external_followers` remembers their chat so its status news reaches them too.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 00:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "external_followers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("melder", sa.String(length=120), nullable=True),
        sa.Column("kanaal", sa.String(length=10), nullable=False),
        sa.Column("tijdstip", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("aangemaakt_op", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["receipt_id"], ["external_cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("external_followers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_external_followers_receipt_id"), ["receipt_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_external_followers_melder"), ["melder"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("external_followers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_external_followers_melder"))
        batch_op.drop_index(batch_op.f("ix_external_followers_receipt_id"))
    op.drop_table("external_followers")
