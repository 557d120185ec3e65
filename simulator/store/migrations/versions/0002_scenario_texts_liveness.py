"""Keep the scenario file of every session (re-scoring after the file changed) and who
writes a session (host, pid, last write) so a dead writer's session reads `incomplete`.

Sessions written under 0001 get no scenario text (re-scoring falls back to the scenario
file of the same id and language) and no writer, so any left `in_progress` are marked
`incomplete` here (a writer of the old version still running sets its final status when
it finishes, as usual).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scenario_texts",
        sa.Column("hash", sa.String(64), primary_key=True),
        sa.Column("scenario_id", sa.String(200), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("yaml", sa.Text, nullable=False),
        sa.Column("stored_at", sa.DateTime, nullable=False),
    )
    op.add_column("sessions", sa.Column("host", sa.String(255), nullable=True))
    op.add_column("sessions", sa.Column("pid", sa.Integer, nullable=True))
    op.add_column("sessions", sa.Column("updated_at", sa.DateTime, nullable=True))
    sessions = sa.table("sessions", sa.column("status", sa.String), sa.column("outcome", sa.String))
    op.execute(sessions.update().where(sessions.c.status == "in_progress")
               .values(status="incomplete", outcome=sa.func.coalesce(sessions.c.outcome, "incomplete")))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("pid")
        batch.drop_column("host")
    op.drop_table("scenario_texts")
