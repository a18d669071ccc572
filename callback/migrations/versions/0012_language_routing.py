"""Language routing: whether a widget may ring agents who don't speak the visitor's language.

Revision ID: 0012_language_routing
Revises: 0011_weekly_report
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_language_routing"
down_revision: str | None = "0011_weekly_report"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # True keeps every existing widget ringing as before: anyone free, speaker or not.
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.add_column(
            sa.Column(
                "ring_other_languages", sa.Boolean(), server_default=sa.true(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.drop_column("ring_other_languages")
