"""Reports: one row of figures per ended request and per agent leg placed for it.

Revision ID: 0010_reports
Revises: 0009_integrations
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_reports"
down_revision: str | None = "0009_integrations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_requests",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("widget_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("local_weekday", sa.Integer(), nullable=False),
        sa.Column("local_hour", sa.Integer(), nullable=False),
        sa.Column("page", sa.String(512)),
        sa.Column("campaign", sa.String(200)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("scheduled", sa.Boolean(), nullable=False),
        sa.Column("on_time", sa.Boolean()),
        sa.Column("agent_seconds", sa.Integer()),
        sa.Column("visitor_seconds", sa.Integer()),
        sa.Column("talk_seconds", sa.Integer()),
        sa.PrimaryKeyConstraint("request_id", name="pk_report_requests"),
        sa.ForeignKeyConstraint(
            ["widget_id"],
            ["widgets.id"],
            name="fk_report_requests_widget_id_widgets",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_report_requests_widget_day", "report_requests", ["widget_id", "local_day"])
    op.create_table(
        "report_agent_legs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("widget_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer()),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("talk_seconds", sa.Integer()),
        sa.PrimaryKeyConstraint("id", name="pk_report_agent_legs"),
        sa.ForeignKeyConstraint(
            ["widget_id"],
            ["widgets.id"],
            name="fk_report_agent_legs_widget_id_widgets",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name="fk_report_agent_legs_agent_id_agents",
            ondelete="SET NULL",
        ),
    )
    op.create_index(
        "ix_report_agent_legs_widget_day", "report_agent_legs", ["widget_id", "local_day"]
    )


def downgrade() -> None:
    op.drop_table("report_agent_legs")
    op.drop_table("report_requests")
