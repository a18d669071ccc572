"""Blocklist entries in the admin API: the body it takes, and the answers it gives.

The value is checked by the domain (callback/blocklist/entries.py), which parses a
number as the visitor form does; here it is only text of a bounded length.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from callback.schemas.admin import ABSENT, Payload
from callback.schemas.constraints import Clearable, OneOf, Text

BLOCK_KINDS = ("number", "prefix", "ip_range")


class BlockEntryCreate(Payload):
    """Block a number (as typed), a number prefix ("+4420794") or an IP range (a CIDR)."""

    kind: Annotated[str, OneOf(*BLOCK_KINDS)]
    value: Annotated[
        str, Text(64), Field(examples=["+44 20 7946 0123", "+4420794", "2001:db8::/32"])
    ]
    note: Clearable[Annotated[str, Text(200)]] = ABSENT


class BlockEntry(BaseModel):
    """An entry. A number's `value` is null: only its keyed hash is kept. The answer to
    adding one says `masked` (its country code and last two digits) this once."""

    id: int
    widget: str | None = Field(description="the widget's key; null for every widget")
    kind: str
    value: str | None
    note: str | None
    created_at: datetime
    created_by: str
    masked: str = ABSENT


class BlockEntryList(BaseModel):
    entries: list[BlockEntry]
