"""Scenarios written in the browser: every saved version of a scenario's YAML, with who
saved it.  A session played from a stored scenario keeps its version through the content
hash (``scenario_texts``), like any other.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scenario_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scenario_id", sa.String(200), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, index=True),
        sa.Column("yaml", sa.Text, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("scenario_id", "language", "version", name="uq_scenario_versions"),
    )


def downgrade() -> None:
    op.drop_table("scenario_versions")
