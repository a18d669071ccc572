"""widget privacy notice override

Revision ID: 0003_privacy_notice
Revises: 0002_daily_call_cap
Create Date: 2026-11-27 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_privacy_notice"
down_revision: str | None = "0002_daily_call_cap"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("widgets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("privacy_notice", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("widgets", schema=None) as batch_op:
        batch_op.drop_column("privacy_notice")
