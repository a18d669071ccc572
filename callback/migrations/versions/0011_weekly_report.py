"""Weekly report: whether a widget's managers get it, and the week it last went out for.

Revision ID: 0011_weekly_report
Revises: 0010_reports
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_weekly_report"
down_revision: str | None = "0010_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.add_column(
            sa.Column(
                "weekly_report_enabled", sa.Boolean(), server_default=sa.true(), nullable=False
            )
        )
        batch_op.add_column(sa.Column("weekly_report_sent_for", sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.drop_column("weekly_report_sent_for")
        batch_op.drop_column("weekly_report_enabled")
