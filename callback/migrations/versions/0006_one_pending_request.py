"""Partial indexes for the hot paths: one pending request per number, live agent legs.

Revision ID: 0006_one_pending_request
Revises: 0005_routing
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_one_pending_request"
down_revision: str | None = "0005_routing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "'calling_agent', 'calling_visitor', 'connected', 'queued', 'scheduled'"
WAITING = "'queued', 'scheduled'"
LIVE = "'in-progress', 'initiated', 'pending', 'queued', 'ringing', 'unknown'"


def upgrade() -> None:
    # Before the index could forbid them, two submissions racing could both be stored.
    # The later one, if nothing has rung yet, is withdrawn; anything else stops the
    # upgrade with the database's own duplicate-key error, for a person to look at.
    op.execute(
        sa.text(
            f"UPDATE callback_requests SET status = 'canceled', outcome = 'duplicate' "  # noqa: S608 - fixed text
            f"WHERE status IN ({WAITING}) AND EXISTS ("
            f"SELECT 1 FROM callback_requests AS older "
            f"WHERE older.widget_id = callback_requests.widget_id "
            f"AND older.phone = callback_requests.phone AND older.status IN ({PENDING}) "
            f"AND older.created_at < callback_requests.created_at)"
        )
    )
    where = sa.text(f"status IN ({PENDING})")
    op.create_index(
        "uq_callback_requests_pending_phone",
        "callback_requests",
        ["widget_id", "phone"],
        unique=True,
        postgresql_where=where,
        sqlite_where=where,
    )
    live = sa.text(f"leg = 'agent' AND status IN ({LIVE})")
    op.create_index(
        "ix_call_attempts_live_agent",
        "call_attempts",
        ["agent_id"],
        postgresql_where=live,
        sqlite_where=live,
    )


def downgrade() -> None:
    op.drop_index("ix_call_attempts_live_agent", table_name="call_attempts")
    op.drop_index("uq_callback_requests_pending_phone", table_name="callback_requests")
