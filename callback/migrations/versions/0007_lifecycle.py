"""Lifecycle: when an agent leg's create was sent; why an agent was paused.

Revision ID: 0007_lifecycle
Revises: 0006_one_pending_request
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_lifecycle"
down_revision: str | None = "0006_one_pending_request"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call_attempts") as batch_op:
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("agents") as batch_op:
        batch_op.add_column(sa.Column("paused_reason", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch_op:
        batch_op.drop_column("paused_reason")
    with op.batch_alter_table("call_attempts") as batch_op:
        batch_op.drop_column("sent_at")
