"""Display rules: a widget may nudge or open on its own, after a time, on exit intent,
after a scroll depth, on matching paths.

Revision ID: 0014_display_rules
Revises: 0013_blocklist
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_display_rules"
down_revision: str | None = "0013_blocklist"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.add_column(
            sa.Column("display_action", sa.String(8), server_default="none", nullable=False)
        )
        batch_op.add_column(sa.Column("display_after_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "display_on_exit_intent", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(sa.Column("display_scroll_percent", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("display_paths", sa.JSON(), server_default="[]", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.drop_column("display_paths")
        batch_op.drop_column("display_scroll_percent")
        batch_op.drop_column("display_on_exit_intent")
        batch_op.drop_column("display_after_seconds")
        batch_op.drop_column("display_action")
