"""The blocklist: numbers, number prefixes and address ranges never called back."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callback.models.base import Base, utcnow


class BlockKind(enum.StrEnum):
    NUMBER = "number"
    PREFIX = "prefix"
    IP_RANGE = "ip_range"


class BlockEntry(Base):
    """One blocked number, prefix or range, for one widget or (widget_id NULL) all of them.

    `value` is, by kind: the number's keyed hash (callback/phones/hashing.phone_key, never
    the number), the E.164 prefix ("+4420794"), or the CIDR as `ipaddress` writes it.
    """

    __tablename__ = "block_entries"
    # NULLs are distinct in a unique constraint: the domain checks global duplicates itself.
    __table_args__ = (UniqueConstraint("widget_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    widget_id: Mapped[int | None] = mapped_column(
        ForeignKey("widgets.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[BlockKind] = mapped_column(
        Enum(
            BlockKind, native_enum=False, length=10, values_callable=lambda e: [m.value for m in e]
        )
    )
    value: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
