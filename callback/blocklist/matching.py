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

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from callback.models import BlockEntry, BlockKind, Widget
from callback.phones.hashing import phone_key

# Built once, with the values bound per call: building and compiling the statement for
# each submission cost more than running it (about half of a submission's time).
MATCHING_ENTRY = (
    select(BlockEntry.kind)
    .where(or_(BlockEntry.widget_id == bindparam("widget_id"), BlockEntry.widget_id.is_(None)))
    .where(
        or_(
            and_(BlockEntry.kind == BlockKind.NUMBER, BlockEntry.value == bindparam("number")),
            and_(
                BlockEntry.kind == BlockKind.PREFIX,
                BlockEntry.value.in_(bindparam("prefixes", expanding=True)),
            ),
            and_(
                BlockEntry.kind == BlockKind.IP_RANGE,
                BlockEntry.value.in_(bindparam("networks", expanding=True)),
            ),
        )
    )
    .limit(1)
)


def is_blocked(session: Session, widget: Widget, e164: str, ip: str | None) -> BlockKind | None:
    """Return the kind of an entry (the widget's or a global one) matching, else None."""
    values = {
        "widget_id": widget.id,
        "number": phone_key(e164),
        "prefixes": prefixes(e164),
        "networks": address_networks(ip),
    }
    found: BlockKind | None = session.scalar(MATCHING_ENTRY, values)
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
    value = int(address)
    kind = type(address)
    # Each network's address is the address with its host bits cleared, written as
    # `ipaddress` writes a network (str(ip_network(...))), without building one.
    return [
        f"{kind(value >> (bits - length) << (bits - length))}/{length}"
        for length in range(1, bits + 1)
    ]
