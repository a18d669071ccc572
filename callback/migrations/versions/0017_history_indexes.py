"""Indexes so that periodic jobs and ops pages read only recent or live rows, not history.

With a year of ended requests (1,000,000 requests, 2.3 million call legs) the reconciler,
`callback queue-health`, the ops page and a data-subject export each scanned a whole
table (bench/history.py, BENCHMARKS.md "Flat with history"), and the reconciler and the
phone line's figures read every pending request. Each index but one is partial: it
holds only the rows those jobs look for (live legs, numbers still held, requests that
rang, connected or ended, scheduled ones, the phone line's), so history costs them
nothing.

Revision ID: 0017_history_indexes
Revises: 0016_phone_line
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_history_indexes"
down_revision: str | None = "0016_phone_line"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "'in-progress', 'initiated', 'pending', 'queued', 'ringing', 'unknown'"
PENDING = "'calling_agent', 'calling_visitor', 'connected', 'queued', 'scheduled'"
# (name, table, columns, partial condition or None)
INDEXES = (
    ("ix_call_attempts_live", "call_attempts", ["status"], f"status IN ({LIVE})"),
    ("ix_callback_requests_created_at", "callback_requests", ["created_at"], None),
    ("ix_callback_requests_held_phone", "callback_requests", ["phone"], "phone IS NOT NULL"),
    ("ix_callback_requests_held_since", "callback_requests", ["created_at"], "phone IS NOT NULL"),
    ("ix_callback_requests_ended_at", "callback_requests", ["ended_at"], "ended_at IS NOT NULL"),
    (
        "ix_callback_requests_agent_ringing_at",
        "callback_requests",
        ["agent_ringing_at"],
        "agent_ringing_at IS NOT NULL",
    ),
    (
        "ix_callback_requests_connected_at",
        "callback_requests",
        ["connected_at"],
        "connected_at IS NOT NULL",
    ),
    # Pending requests are few beside history, but not so few that every periodic job
    # should read all of them: scheduled ones that are due, the phone line, callers on it.
    (
        "ix_callback_requests_due",
        "callback_requests",
        ["scheduled_for"],
        "status = 'scheduled'",
    ),
    (
        "ix_callback_requests_line",
        "callback_requests",
        ["widget_id", "created_at"],
        f"channel = 'phone' AND status IN ({PENDING})",
    ),
    ("ix_callback_requests_on_line", "callback_requests", ["created_at"], "on_line IS true"),
)


def upgrade() -> None:
    for name, table, columns, condition in INDEXES:
        where = sa.text(condition) if condition else None
        op.create_index(name, table, columns, postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for name, table, _columns, _condition in reversed(INDEXES):
        op.drop_index(name, table_name=table)
