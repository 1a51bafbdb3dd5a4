"""feedback: residents' thumbs up/down on Balie's answers (issue #16)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 20:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gesprek", sa.String(length=120), nullable=False),
        sa.Column("onderwerp", sa.String(length=120), nullable=False),
        sa.Column("goed", sa.Boolean(), nullable=False),
        sa.Column("opmerking", sa.Text(), nullable=True),
        sa.Column("vraag", sa.Text(), nullable=True),
        sa.Column("antwoord", sa.Text(), nullable=True),
        sa.Column("aangemaakt_op", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gesprek", "onderwerp"),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_aangemaakt_op"), ["aangemaakt_op"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_aangemaakt_op"))
    op.drop_table("feedback")
