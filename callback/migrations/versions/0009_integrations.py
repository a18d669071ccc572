"""Integrations: webhook endpoints and their outbox, alert settings, the campaign of a request.

Revision ID: 0009_integrations
Revises: 0008_accounts
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_integrations"
down_revision: str | None = "0008_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.add_column(
            sa.Column("alert_emails", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(sa.Column("alert_chat_url", sa.String(2048), nullable=True))
        batch_op.add_column(
            sa.Column("digest_enabled", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("digest_hour", sa.Integer(), server_default="8", nullable=False)
        )
        batch_op.add_column(sa.Column("digest_sent_for", sa.String(10), nullable=True))
        batch_op.add_column(
            sa.Column("webhook_number_consent_version", sa.String(40), nullable=True)
        )
        batch_op.add_column(
            sa.Column("webhook_events", sa.JSON(), server_default="[]", nullable=False)
        )
    with op.batch_alter_table("callback_requests") as batch_op:
        for name in UTM:
            batch_op.add_column(sa.Column(name, sa.String(200), nullable=True))
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("widget_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(80), nullable=False),
        sa.Column("description", sa.String(200)),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(200)),
        _at("failing_since"),
        _at("created_at", nullable=False),
        _at("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_endpoints"),
        sa.ForeignKeyConstraint(
            ["widget_id"],
            ["widgets.id"],
            name="fk_webhook_endpoints_widget_id_widgets",
            ondelete="CASCADE",
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_webhook_endpoints_widget_id", "webhook_endpoints", ["widget_id"])
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(40), nullable=False),
        sa.Column("widget_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("phone", sa.String(20)),
        _at("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_events"),
        sa.UniqueConstraint("message_id", name="uq_webhook_events_message_id"),
        sa.ForeignKeyConstraint(
            ["widget_id"],
            ["widgets.id"],
            name="fk_webhook_events_widget_id_widgets",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["callback_requests.id"],
            name="fk_webhook_events_request_id_callback_requests",
            ondelete="CASCADE",
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_webhook_events_widget_id", "webhook_events", ["widget_id"])
    op.create_index("ix_webhook_events_created_at", "webhook_events", ["created_at"])
    op.create_index("ix_webhook_events_request_id_id", "webhook_events", ["request_id", "id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _at("next_attempt_at", nullable=False),
        _at("claimed_until"),
        _at("first_attempt_at"),
        _at("last_attempt_at"),
        sa.Column("last_status_code", sa.Integer()),
        sa.Column("last_error", sa.String(200)),
        _at("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
        sa.UniqueConstraint(
            "event_id", "endpoint_id", name="uq_webhook_deliveries_event_id_endpoint_id"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_events.id"],
            name="fk_webhook_deliveries_event_id_webhook_events",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name="fk_webhook_deliveries_endpoint_id_webhook_endpoints",
            ondelete="CASCADE",
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_webhook_deliveries_line",
        "webhook_deliveries",
        ["endpoint_id", "request_id", "state", "event_id"],
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["state", "next_attempt_at"])
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        _at("at", nullable=False),
        sa.Column("status_code", sa.Integer()),
        sa.Column("error", sa.String(200)),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_attempts"),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name="fk_webhook_attempts_delivery_id_webhook_deliveries",
            ondelete="CASCADE",
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_webhook_attempts_delivery_id", "webhook_attempts", ["delivery_id"])


def downgrade() -> None:
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_events")
    op.drop_table("webhook_endpoints")
    with op.batch_alter_table("callback_requests") as batch_op:
        for name in UTM:
            batch_op.drop_column(name)
    with op.batch_alter_table("widgets") as batch_op:
        for name in (
            "webhook_events",
            "webhook_number_consent_version",
            "digest_sent_for",
            "digest_hour",
            "digest_enabled",
            "alert_chat_url",
            "alert_emails",
        ):
            batch_op.drop_column(name)
