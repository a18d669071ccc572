"""widget daily call cap

Revision ID: 0002_daily_call_cap
Revises: 0001
Create Date: 2026-11-27 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_daily_call_cap"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("widgets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("daily_call_cap", sa.Integer(), server_default="100", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("widgets", schema=None) as batch_op:
        batch_op.drop_column("daily_call_cap")
