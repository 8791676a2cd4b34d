"""Objection register keeps encrypted identifiers; area summaries computed at load time

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("objections") as batch:
        batch.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=True))
    op.create_table(
        "area_summaries",
        sa.Column("area_code", sa.String(length=9), nullable=False),
        sa.Column("indicator_id", sa.String(length=120), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("lsoas", sa.Integer(), nullable=True),
        sa.Column("decile", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("area_code", "indicator_id"),
    )


def downgrade() -> None:
    op.drop_table("area_summaries")
    with op.batch_alter_table("objections") as batch:
        batch.drop_column("sealed")
