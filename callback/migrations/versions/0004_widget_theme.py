"""widget theme: colour, corner, reworded texts

Revision ID: 0004_widget_theme
Revises: 0003_privacy_notice
Create Date: 2026-11-27 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_widget_theme"
down_revision: str | None = "0003_privacy_notice"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("widgets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("theme_color", sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column("theme_position", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("theme_texts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("widgets", schema=None) as batch_op:
        batch_op.drop_column("theme_texts")
        batch_op.drop_column("theme_position")
        batch_op.drop_column("theme_color")
