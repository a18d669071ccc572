"""Visitor SMS: the widget's settings and the messages sent to the visitor.

Revision ID: 0015_visitor_sms
Revises: 0014_display_rules
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_visitor_sms"
down_revision: str | None = "0014_display_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.add_column(
            sa.Column("sms_enabled", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("sms_reminder_minutes", sa.Integer(), server_default="10", nullable=False)
        )
    op.create_table(
        "visitor_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("to", sa.String(20)),
        _at("send_at", nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("message_sid", sa.String(34)),
        sa.Column("error_code", sa.Integer()),
        sa.Column("reason", sa.String(64)),
        _at("created_at", nullable=False),
        _at("sent_at"),
        _at("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_visitor_messages"),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["callback_requests.id"],
            name="fk_visitor_messages_request_id_callback_requests",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("request_id", "kind", name="uq_visitor_messages_request_id_kind"),
        sa.UniqueConstraint("message_sid", name="uq_visitor_messages_message_sid"),
    )
    op.create_index("ix_visitor_messages_request_id", "visitor_messages", ["request_id"])
    op.create_index("ix_visitor_messages_status", "visitor_messages", ["status"])


def downgrade() -> None:
    op.drop_index("ix_visitor_messages_status", table_name="visitor_messages")
    op.drop_index("ix_visitor_messages_request_id", table_name="visitor_messages")
    op.drop_table("visitor_messages")
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.drop_column("sms_reminder_minutes")
        batch_op.drop_column("sms_enabled")
