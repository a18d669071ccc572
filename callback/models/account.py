"""People who use the console: accounts, their role, widgets, passkeys and API keys.

An account is personal data of an employee (e-mail, name): PRIVACY.md states how long it
is kept. No visitor data is ever stored here.
"""

from __future__ import annotations

from datetime import datetime

from flask_security import RoleMixin, UserMixin, WebAuthnMixin
from sqlalchemy import Column, ForeignKey, LargeBinary, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callback.models.base import Base, utcnow
from callback.models.widget import Widget

accounts_roles = Table(
    "accounts_roles",
    Base.metadata,
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
)
# The widgets a manager runs, or an agent answers for.
account_widgets = Table(
    "account_widgets",
    Base.metadata,
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("widget_id", ForeignKey("widgets.id", ondelete="CASCADE"), primary_key=True),
)


class Role(Base, RoleMixin):
    """owner, manager or agent (callback.accounts.roles); an account holds exactly one."""

    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str | None] = mapped_column(String(255))


class Account(Base, UserMixin):
    __tablename__ = "accounts"
    # Audit entries name people as "account:<id>" after they are gone: an id is never
    # given to anyone else (SQLite would otherwise reuse the highest one once removed).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # argon2 hash; None until the invitation is taken up.
    password: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Flask-Security signs sessions with it; a new one signs the account out everywhere.
    fs_uniquifier: Mapped[str] = mapped_column(String(64), unique=True)
    fs_webauthn_user_handle: Mapped[str | None] = mapped_column(String(64), unique=True)  # type: ignore[assignment]
    tf_primary_method: Mapped[str | None] = mapped_column(String(64))
    tf_totp_secret: Mapped[str | None] = mapped_column(String(255))
    # The console's language for this person ("en" or "pl").
    language: Mapped[str] = mapped_column(String(10), default="en")
    # An agent's account is the person behind one agent row (their work phone).
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Flask-Security's mixin types these as always set; here None means not yet.
    last_login_at: Mapped[datetime | None] = mapped_column()  # type: ignore[assignment]
    current_login_at: Mapped[datetime | None] = mapped_column()  # type: ignore[assignment]

    roles = relationship(Role, secondary=accounts_roles, lazy="selectin")
    widgets = relationship(Widget, secondary=account_widgets, lazy="selectin", order_by=Widget.id)
    webauthn = relationship(
        "WebAuthnCredential", back_populates="account", cascade="all, delete-orphan"
    )

    @property
    def role(self) -> str:
        return self.roles[0].name if self.roles else ""


class WebAuthnCredential(Base, WebAuthnMixin):
    """A passkey (WebAuthn credential) an account registered."""

    __tablename__ = "webauthn_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1024), unique=True, index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(default=0)
    transports: Mapped[list[str] | None] = mapped_column()
    backup_state: Mapped[bool] = mapped_column()
    device_type: Mapped[str] = mapped_column(String(64))
    extensions: Mapped[str | None] = mapped_column(String(255))
    create_datetime: Mapped[datetime] = mapped_column(default=utcnow)
    lastuse_datetime: Mapped[datetime] = mapped_column(default=utcnow)
    name: Mapped[str] = mapped_column(String(64))
    # "first" (signs in alone) or "secondary" (a second factor after the password).
    usage: Mapped[str] = mapped_column(String(64))

    account = relationship(Account, back_populates="webauthn")

    # Flask-Security names the owner `user`.
    @property
    def user_id(self) -> int:
        return self.account_id

    @property
    def user(self) -> Account:
        return self.account


class ApiKey(Base):
    """A key an account uses for the admin API, acting with that account's role and widgets."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # The first characters, shown so a person can tell their keys apart; not a secret.
    prefix: Mapped[str] = mapped_column(String(16))
    # SHA-256 of the whole key: keys are 256 random bits, so no slow hash is needed.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    account = relationship(Account)


class Invitation(Base):
    """A one-time link that lets a person set their password and sign in the first time."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()

    account = relationship(Account)
