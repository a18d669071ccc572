"""The phone line's hold music: a sound file Twilio plays to waiting callers.

Revision ID: 0018_line_music
Revises: 0017_history_indexes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_line_music"
down_revision: str | None = "0017_history_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.add_column(sa.Column("line_music_url", sa.String(2048)))


def downgrade() -> None:
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.drop_column("line_music_url")
