"""Rate limits for anonymous and write routes; objections matched against household lists;
England and county reference values of indicators

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=40), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rate_events_bucket_client_at", "rate_events", ["bucket", "client", "at"])
    op.create_table(
        "household_match",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("household_id", "token"),
    )
    op.create_index("ix_household_match_token", "household_match", ["token"])
    op.create_table(
        "indicator_benchmarks",
        sa.Column("indicator_id", sa.String(length=120), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("geography", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("areas", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("indicator_id", "period", "geography"),
    )
    with op.batch_alter_table("objections") as batch:
        batch.add_column(sa.Column("match_tokens", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch.create_index("ix_objections_fingerprint", ["fingerprint"])


def downgrade() -> None:
    with op.batch_alter_table("objections") as batch:
        batch.drop_index("ix_objections_fingerprint")
        batch.drop_column("fingerprint")
        batch.drop_column("match_tokens")
    op.drop_table("indicator_benchmarks")
    op.drop_index("ix_household_match_token", table_name="household_match")
    op.drop_table("household_match")
    op.drop_index("ix_rate_events_bucket_client_at", table_name="rate_events")
    op.drop_table("rate_events")
