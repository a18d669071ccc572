"""The phone line: inbound callers wait in line and may take a callback keeping their place.

Revision ID: 0016_phone_line
Revises: 0015_visitor_sms
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_phone_line"
down_revision: str | None = "0015_visitor_sms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _flag(name: str) -> sa.Column:
    return sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.add_column(_flag("line_enabled"))
        batch_op.add_column(
            sa.Column("line_offer_seconds", sa.Integer(), server_default="60", nullable=False)
        )
    with op.batch_alter_table("callback_requests") as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(10), server_default="web", nullable=False)
        )
        batch_op.add_column(sa.Column("line_call_sid", sa.String(34)))
        batch_op.add_column(_flag("on_line"))
        batch_op.add_column(sa.Column("line_seen_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("line_offered_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("line_callback_at", sa.DateTime(timezone=True)))
        batch_op.create_unique_constraint("uq_callback_requests_line_call_sid", ["line_call_sid"])
    with op.batch_alter_table("report_requests") as batch_op:
        batch_op.add_column(_flag("line_offered"))
        batch_op.add_column(_flag("line_callback"))
        batch_op.add_column(_flag("line_abandoned"))


def downgrade() -> None:
    with op.batch_alter_table("report_requests") as batch_op:
        batch_op.drop_column("line_abandoned")
        batch_op.drop_column("line_callback")
        batch_op.drop_column("line_offered")
    with op.batch_alter_table("callback_requests") as batch_op:
        batch_op.drop_constraint("uq_callback_requests_line_call_sid", type_="unique")
        batch_op.drop_column("line_callback_at")
        batch_op.drop_column("line_offered_at")
        batch_op.drop_column("line_seen_at")
        batch_op.drop_column("on_line")
        batch_op.drop_column("line_call_sid")
        batch_op.drop_column("channel")
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.drop_column("line_offer_seconds")
        batch_op.drop_column("line_enabled")
