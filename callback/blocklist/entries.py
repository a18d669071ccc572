"""Adding, listing and removing blocklist entries, each value checked and normalised.

A number is stored only as its keyed hash (callback/phones/hashing.phone_key): the
admin sees its mask once, in the answer to adding it, and never again. A prefix ("+44
20 794") is not anyone's number, and an address range is a CIDR in `ipaddress`'s form.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from callback.errors import Conflict, Invalid, NotFound
from callback.models import BlockEntry, BlockKind, Widget
from callback.phones.hashing import phone_key
from callback.phones.masking import mask
from callback.phones.policy import NUMBER_TYPE_NAMES, PhoneRejected, parse_visitor_number

PREFIX = re.compile(r"^\+\d{1,14}$")
# Spaces, dots, dashes and brackets a person types inside a prefix; never stored.
PREFIX_SEPARATORS = re.compile(r"[\s.\-()]")
ALL_REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
ALL_NUMBER_TYPES = sorted({*NUMBER_TYPE_NAMES.values(), "UNKNOWN"})


@dataclass(frozen=True)
class Added:
    """A new entry and how to show its value: a number's mask, else the value itself."""

    entry: BlockEntry
    shown: str


def shown_value(entry: BlockEntry) -> str | None:
    """Return the value as lists show it: None for a number (only its hash is kept)."""
    return None if entry.kind == BlockKind.NUMBER else entry.value


def entries_of(session: Session, widget: Widget | None) -> list[BlockEntry]:
    """Return the widget's entries (None: the global ones), oldest first."""
    owner = BlockEntry.widget_id.is_(None) if widget is None else BlockEntry.widget_id == widget.id
    return list(session.scalars(select(BlockEntry).where(owner).order_by(BlockEntry.id)))


def add_entry(
    session: Session,
    widget: Widget | None,
    kind: str,
    typed: str,
    note: str | None,
    actor: str,
) -> Added:
    """Add an entry for `widget` (None: every widget); refuse a bad or repeated value."""
    try:
        block_kind = BlockKind(kind)
    except ValueError:
        words = "kind: must be one of number, prefix, ip_range"
        raise Invalid("invalid_field", words, "kind") from None
    value, shown = normalised(block_kind, typed, widget.default_region if widget else None)
    widget_id = widget.id if widget else None
    existing = session.scalar(
        select(BlockEntry.id).where(
            BlockEntry.widget_id.is_(None)
            if widget_id is None
            else BlockEntry.widget_id == widget_id,
            BlockEntry.kind == block_kind,
            BlockEntry.value == value,
        )
    )
    if existing is not None:
        raise Conflict("already_blocked", "value: this entry is already on the list.", "value")
    entry = BlockEntry(
        widget_id=widget_id, kind=block_kind, value=value, note=note or None, created_by=actor
    )
    session.add(entry)
    session.flush()
    return Added(entry, shown)


def remove_entry(session: Session, widget: Widget | None, entry_id: int) -> BlockEntry:
    """Delete entry `entry_id` of `widget` (None: a global one), or raise NotFound."""
    entry = session.get(BlockEntry, entry_id)
    if entry is None or entry.widget_id != (widget.id if widget else None):
        raise NotFound("unknown_entry", "No blocklist entry has that id.")
    session.delete(entry)
    session.flush()
    return entry


def normalised(kind: BlockKind, typed: str, region: str | None) -> tuple[str, str]:
    """Return the value to store and the one to show once, or raise Invalid."""
    text = (typed or "").strip()
    if kind == BlockKind.NUMBER:
        e164 = _number(text, region)
        return phone_key(e164), mask(e164) or ""
    if kind == BlockKind.PREFIX:
        prefix = PREFIX_SEPARATORS.sub("", text)
        if not PREFIX.match(prefix):
            raise Invalid("invalid_field", "value: a prefix is + and 1 to 14 digits.", "value")
        return prefix, prefix
    network = _network(text)
    return network, network


def _number(text: str, region: str | None) -> str:
    # The visitor form's rules, without the widget's countries and types: a number that
    # the form refuses anyway may still be listed.
    try:
        return parse_visitor_number(text, region or "ZZ", ALL_REGIONS, ALL_NUMBER_TYPES).e164
    except PhoneRejected:
        words = "value: not a valid phone number" + ("" if region else " (give it with +)")
        raise Invalid("invalid_field", words + ".", "value") from None


def _network(text: str) -> str:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise Invalid(
            "invalid_field", "value: an address range is an IP address or a CIDR.", "value"
        ) from None
    if network.prefixlen == 0:
        raise Invalid("invalid_field", "value: a range of every address is not allowed.", "value")
    return str(network)


def number_entries(session: Session, e164: str) -> list[BlockEntry]:
    """Return the entries (a widget's or global) that block `e164` itself, by its hash."""
    query = select(BlockEntry).where(
        BlockEntry.kind == BlockKind.NUMBER, BlockEntry.value == phone_key(e164)
    )
    return list(session.scalars(query.order_by(BlockEntry.id)))


def forget_number(session: Session, e164: str) -> int:
    """Delete the entries that block `e164` (a data-subject erasure); return how many.

    A number's keyed hash is pseudonymous personal data: whoever holds PHONE_HASH_KEY can
    tell whether a number is on the list. Erasure removes it, as it removes the abuse
    limits' Redis keys named by the same hash. An operator with a lawful reason to keep
    blocking the number (GDPR art. 17(3)) may add it again; prefixes and ranges stay.
    """
    entries = number_entries(session, e164)
    for entry in entries:
        session.delete(entry)
    return len(entries)
