"""Console accounts: roles, the widgets each runs, passkeys, API keys and invitations.

Revision ID: 0008_accounts
Revises: 0007_lifecycle
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_accounts"
down_revision: str | None = "0007_lifecycle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = (
    ("owner", "everything, including accounts and API keys"),
    ("manager", "the widgets they are given: settings, agents, requests, reports"),
    ("agent", "their own availability and callbacks"),
)


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    roles = op.create_table(
        "roles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("description", sa.String(255)),
        sa.PrimaryKeyConstraint("id", name="pk_roles"),
        sa.UniqueConstraint("name", name="uq_roles_name"),
    )
    op.bulk_insert(roles, [{"name": name, "description": text} for name, text in ROLES])
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("password", sa.String(255)),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("fs_uniquifier", sa.String(64), nullable=False),
        sa.Column("fs_webauthn_user_handle", sa.String(64)),
        sa.Column("tf_primary_method", sa.String(64)),
        sa.Column("tf_totp_secret", sa.String(255)),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("agent_id", sa.Integer()),
        _at("created_at", nullable=False),
        _at("last_login_at"),
        _at("current_login_at"),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("email", name="uq_accounts_email"),
        sa.UniqueConstraint("fs_uniquifier", name="uq_accounts_fs_uniquifier"),
        sa.UniqueConstraint("fs_webauthn_user_handle", name="uq_accounts_fs_webauthn_user_handle"),
        sa.UniqueConstraint("agent_id", name="uq_accounts_agent_id"),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_accounts_agent_id_agents", ondelete="SET NULL"
        ),
        # Audit entries keep "account:<id>" after removal: ids are never reused.
        sqlite_autoincrement=True,
    )
    for table, other, column in (
        ("accounts_roles", "roles", "role_id"),
        ("account_widgets", "widgets", "widget_id"),
    ):
        op.create_table(
            table,
            sa.Column("account_id", sa.Integer(), nullable=False),
            sa.Column(column, sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("account_id", column, name=f"pk_{table}"),
            sa.ForeignKeyConstraint(
                ["account_id"],
                ["accounts.id"],
                name=f"fk_{table}_account_id_accounts",
                ondelete="CASCADE",
            ),
            sa.ForeignKeyConstraint(
                [column], [f"{other}.id"], name=f"fk_{table}_{column}_{other}", ondelete="CASCADE"
            ),
        )
    op.create_table(
        "webauthn_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(1024), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.Integer(), nullable=False),
        sa.Column("transports", sa.JSON()),
        sa.Column("backup_state", sa.Boolean(), nullable=False),
        sa.Column("device_type", sa.String(64), nullable=False),
        sa.Column("extensions", sa.String(255)),
        _at("create_datetime", nullable=False),
        _at("lastuse_datetime", nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("usage", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webauthn_credentials"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_webauthn_credentials_account_id_accounts",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_webauthn_credentials_credential_id",
        "webauthn_credentials",
        ["credential_id"],
        unique=True,
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        _at("created_at", nullable=False),
        _at("last_used_at"),
        _at("revoked_at"),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_api_keys_account_id_accounts",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_api_keys_account_id", "api_keys", ["account_id"])
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("invited_by", sa.String(64), nullable=False),
        _at("created_at", nullable=False),
        _at("expires_at", nullable=False),
        _at("used_at"),
        sa.PrimaryKeyConstraint("id", name="pk_invitations"),
        sa.UniqueConstraint("token_hash", name="uq_invitations_token_hash"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_invitations_account_id_accounts",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_invitations_account_id", "invitations", ["account_id"])
    op.create_index("ix_audit_entries_at", "audit_entries", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_entries_at", "audit_entries")
    for table in (
        "invitations",
        "api_keys",
        "webauthn_credentials",
        "account_widgets",
        "accounts_roles",
        "accounts",
        "roles",
    ):
        op.drop_table(table)
