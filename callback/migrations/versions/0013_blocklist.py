"""Blocklist: numbers (as keyed hashes), prefixes and address ranges, per widget or global.

Revision ID: 0013_blocklist
Revises: 0012_language_routing
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_blocklist"
down_revision: str | None = "0012_language_routing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "block_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("widget_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("number", "prefix", "ip_range", name="blockkind", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("value", sa.String(64), nullable=False),
        sa.Column("note", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_block_entries"),
        sa.ForeignKeyConstraint(
            ["widget_id"],
            ["widgets.id"],
            name="fk_block_entries_widget_id_widgets",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "widget_id", "kind", "value", name="uq_block_entries_widget_id_kind_value"
        ),
    )
    op.create_index("ix_block_entries_widget_id", "block_entries", ["widget_id"])


def downgrade() -> None:
    op.drop_index("ix_block_entries_widget_id", table_name="block_entries")
    op.drop_table("block_entries")
