"""The first schema: trainees, sessions, turns (the event log), scores and their checks.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trainees",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(36), nullable=False, unique=True),
        sa.Column("trainee_id", sa.Integer, sa.ForeignKey("trainees.id"), nullable=False),
        sa.Column("scenario_id", sa.String(200), nullable=False),
        sa.Column("scenario_hash", sa.String(64), nullable=False),
        sa.Column("scenario_title", sa.Text, nullable=False),
        sa.Column("desk", sa.String(50), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("variables", sa.JSON, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("audio_dir", sa.Text, nullable=False),
    )
    op.create_index("ix_sessions_trainee_id", "sessions", ["trainee_id"])
    op.create_index("ix_sessions_scenario_id", "sessions", ["scenario_id"])
    op.create_index("ix_sessions_started_at", "sessions", ["started_at"])
    op.create_table(
        "turns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("idx", sa.Integer, nullable=False),
        sa.Column("speaker", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("state", sa.String(200), nullable=False),
        sa.Column("intents", sa.JSON, nullable=False),
        sa.Column("mood", sa.Float, nullable=False),
        sa.Column("t_start", sa.Float, nullable=False),
        sa.Column("t_end", sa.Float, nullable=False),
        sa.Column("audio", sa.Text, nullable=True),
        sa.Column("normalized", sa.Text, nullable=True),
        sa.Column("numbers", sa.JSON, nullable=False),
        sa.Column("interrupted", sa.Boolean, nullable=False),
        sa.Column("silence", sa.Boolean, nullable=False),
        sa.Column("asked", sa.JSON, nullable=False),
        sa.Column("read_back", sa.JSON, nullable=False),
        sa.Column("gives", sa.JSON, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("session_id", "idx", name="uq_turns_session_idx"),
    )
    op.create_table(
        "scores",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("scored_at", sa.DateTime, nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("rubric_version", sa.String(50), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("pass_mark", sa.Float, nullable=False),
        sa.Column("numbers", sa.JSON, nullable=False),
    )
    op.create_index("ix_scores_session_id", "scores", ["session_id"])
    op.create_table(
        "checks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("score_id", sa.Integer, sa.ForeignKey("scores.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("check_id", sa.String(200), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("points", sa.Float, nullable=False),
        sa.Column("max_points", sa.Float, nullable=False),
        sa.Column("expected", sa.Text, nullable=True),
        sa.Column("heard", sa.Text, nullable=True),
        sa.Column("evidence", sa.Text, nullable=True),
        sa.Column("advice", sa.Text, nullable=True),
        sa.Column("turn", sa.Integer, nullable=True),
        sa.Column("hard_fail", sa.Boolean, nullable=False),
    )
    op.create_index("ix_checks_score_id", "checks", ["score_id"])


def downgrade() -> None:
    for name in ("checks", "scores", "turns", "sessions", "trainees"):
        op.drop_table(name)
