"""Index contact outcomes by household and time (a list reads each household's latest)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_contact_outcomes_household_latest",
        "contact_outcomes",
        ["household_id", "recorded_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_contact_outcomes_household_latest", table_name="contact_outcomes")
