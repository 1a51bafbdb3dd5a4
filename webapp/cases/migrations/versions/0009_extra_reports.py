"""extra reports of the same melding, and who follows it

A resident who reports what is already reported (and open) nearby may follow that case
instead: their report is kept in `case_reports` with its own photos, their chat gets the
status messages, and `cases.melders` counts the reporters for the console.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 19:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("omschrijving", sa.Text(), nullable=False),
        sa.Column("tijdstip", sa.DateTime(timezone=True), nullable=True),
        sa.Column("kanaal", sa.String(length=10), nullable=False),
        sa.Column("melder", sa.String(length=120), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("aangemaakt_op", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("case_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_reports_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_reports_melder"), ["melder"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("melders", sa.Integer(), server_default="1", nullable=False))
        batch_op.create_index(batch_op.f("ix_cases_melders"), ["melders"], unique=False)
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_attachments_report_id"), ["report_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_attachments_report_id", "case_reports", ["report_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_constraint("fk_attachments_report_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_attachments_report_id"))
        batch_op.drop_column("report_id")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_melders"))
        batch_op.drop_column("melders")
    with op.batch_alter_table("case_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_reports_melder"))
        batch_op.drop_index(batch_op.f("ix_case_reports_case_id"))
    op.drop_table("case_reports")
