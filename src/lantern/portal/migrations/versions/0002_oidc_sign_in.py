"""OpenID Connect sign-in: state, nonce and PKCE verifier on the pre-sign-in session

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("oidc_state", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("oidc_nonce", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("oidc_verifier", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("oidc_verifier")
        batch.drop_column("oidc_nonce")
        batch.drop_column("oidc_state")
