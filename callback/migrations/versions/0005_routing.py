"""Routing and scheduling: agent hours and misses, maximum wait, slots, wanted time.

Revision ID: 0005_routing
Revises: 0004_widget_theme
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_routing"
down_revision: str | None = "0004_widget_theme"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.add_column(
            sa.Column("max_wait_minutes", sa.Integer(), server_default="240", nullable=False)
        )
        batch_op.add_column(
            sa.Column("slot_minutes", sa.Integer(), server_default="15", nullable=False)
        )
    with op.batch_alter_table("agents") as batch_op:
        batch_op.add_column(sa.Column("hours", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False)
        )
        batch_op.add_column(
            sa.Column("missed_in_row", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("callback_requests") as batch_op:
        batch_op.add_column(sa.Column("wanted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("callback_requests") as batch_op:
        batch_op.drop_column("wanted_at")
    with op.batch_alter_table("agents") as batch_op:
        batch_op.drop_column("missed_in_row")
        batch_op.drop_column("timezone")
        batch_op.drop_column("hours")
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.drop_column("slot_minutes")
        batch_op.drop_column("max_wait_minutes")
