"""A check's ``passed`` may be null: the call gave the trainee no chance to do it (a
spoken-only check on a typed call, de-escalation with a customer never upset, the closing
after the customer hung up).  Such a check is on the card with ``max_points`` 0 and its
reason in ``evidence``; history, reports and exports never count it as failed.

Scores also keep their ``fail_reasons`` (the outcome, the hard fails, the pass mark); rows
written before keep their true/false values and no reasons.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checks") as batch:
        batch.alter_column("passed", existing_type=sa.Boolean(), nullable=True)
    op.add_column("scores", sa.Column("fail_reasons", sa.JSON, nullable=True))


def downgrade() -> None:
    checks = sa.table("checks", sa.column("passed", sa.Boolean))
    op.execute(checks.update().where(checks.c.passed.is_(None)).values(passed=False))
    with op.batch_alter_table("checks") as batch:
        batch.alter_column("passed", existing_type=sa.Boolean(), nullable=False)
    with op.batch_alter_table("scores") as batch:
        batch.drop_column("fail_reasons")
