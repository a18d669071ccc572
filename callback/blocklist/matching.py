"""Whether a submission is blocked: one indexed query, no per-process cache.

Every entry a number or an address could match is an exact value: the number's keyed
hash, each of its leading digit runs ("+4", "+44", ... "+442079460123") and each network
holding the address (1.2.3.4/32, 1.2.3.4/31, ... 1.0.0.0/8, ...), written as
`ipaddress` writes a CIDR, the same form entries are stored in. So the widget's and the
global entries are matched by one `value IN (...)` over the unique index (widget_id,
kind, value): at most 1 + 15 + 128 values. A cache would save that query, but would let
a block added in one process take a while to reach the others; this is exact at once.
"""

from __future__ import annotations

import ipaddress

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from callback.models import BlockEntry, BlockKind, Widget
from callback.phones.hashing import phone_key


def is_blocked(session: Session, widget: Widget, e164: str, ip: str | None) -> BlockKind | None:
    """Return the kind of an entry (the widget's or a global one) matching, else None."""
    wanted = [
        and_(BlockEntry.kind == BlockKind.NUMBER, BlockEntry.value == phone_key(e164)),
        and_(BlockEntry.kind == BlockKind.PREFIX, BlockEntry.value.in_(prefixes(e164))),
    ]
    networks = address_networks(ip)
    if networks:
        wanted.append(and_(BlockEntry.kind == BlockKind.IP_RANGE, BlockEntry.value.in_(networks)))
    found = session.scalar(
        select(BlockEntry.kind)
        .where(or_(BlockEntry.widget_id == widget.id, BlockEntry.widget_id.is_(None)))
        .where(or_(*wanted))
        .limit(1)
    )
    return found


def prefixes(e164: str) -> list[str]:
    """Return every prefix of `e164` an entry could hold: "+4" to the whole number."""
    return [e164[:end] for end in range(2, len(e164) + 1)]


def address_networks(ip: str | None) -> list[str]:
    """Return every network (from /1 to the address itself) holding `ip`; [] if unreadable."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return []
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:192.0.2.1 is 192.0.2.1 on a dual stack
    bits = address.max_prefixlen
    return [
        str(ipaddress.ip_network(f"{address}/{length}", strict=False))
        for length in range(1, bits + 1)
    ]
