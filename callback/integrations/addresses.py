"""Where the service may send a webhook or chat alert: https, and never inside the network.

A URL is checked when it is saved (`check_url`) and its host's addresses again at every
send (`check_addresses`), because a name that resolved to a public address yesterday
may resolve to 127.0.0.1 or 169.254.169.254 today. Outside production, loopback (and
plain http to it) is allowed so that a developer's or a test's receiver can listen.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from callback.errors import Invalid

MAX_URL_LENGTH = 2048
LOOPBACK_NAMES = frozenset({"localhost"})
# What a host name or an address literal is written with (`urlsplit` drops the brackets).
HOST_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_:")
LOOPBACK_V6 = ipaddress.IPv6Address("::1")
# IPv6 ranges whose addresses carry an IPv4 address that a host or a gateway may route to:
# IPv4-compatible (::a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d), NAT64 (well-known and
# local-use prefixes) and 6to4. None is a webhook receiver's address; all are refused.
EMBEDDING_IPV4 = tuple(
    ipaddress.IPv6Network(network)
    for network in ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16")
)


@dataclass(frozen=True)
class Target:
    """A checked URL, split into what a connection needs."""

    scheme: str
    host: str
    port: int
    path: str  # with its query: what goes on the request line


def check_url(url: str, allow_loopback: bool) -> Target:
    """Return `url` split, or refuse it (Invalid, field "url") with the reason."""
    if len(url) > MAX_URL_LENGTH:
        raise _refused(f"at most {MAX_URL_LENGTH} characters")
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme not in {"https", "http"} or not host:
        raise _refused("must be an https:// address")
    host = _ascii_host(host)
    if parts.username or parts.password:
        raise _refused("must not hold a user name or password; use the signing secret")
    if parts.fragment:
        raise _refused("must not have a #fragment")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _refused("has a port that is not a number from 1 to 65535") from None
    loopback = host in LOOPBACK_NAMES or _is_loopback_literal(host)
    if parts.scheme == "http" and not (allow_loopback and loopback):
        raise _refused("must be an https:// address")
    literal = _literal(host)
    if literal is not None and not allowed_address(literal, allow_loopback):
        raise _refused("must not point at a loopback, private or link-local address")
    if loopback and not allow_loopback:
        raise _refused("must not point at a loopback, private or link-local address")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path)


def allowed_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address, loopback: bool) -> bool:
    """Return whether a connection to `address` may be made (loopback only if allowed)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if (
        isinstance(address, ipaddress.IPv6Address)
        and address != LOOPBACK_V6
        and any(address in network for network in EMBEDDING_IPV4)
    ):
        return False  # the IPv4 inside may be anything, 127.0.0.1 or 169.254.169.254
    if address.is_loopback:
        return loopback
    return address.is_global and not address.is_multicast


def check_addresses(target: Target, allow_loopback: bool) -> list[str]:
    """Resolve the target's host and return its addresses, or raise BlockedAddress.

    Every address must be allowed: a name with one private address among public ones
    is refused, so a connection can never be steered to the private one.
    """
    try:
        found = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise BlockedAddress("the host name does not resolve") from exc
    addresses = sorted({str(info[4][0]) for info in found})
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if not allowed_address(address, allow_loopback):
            raise BlockedAddress("the host resolves to a loopback, private or link-local address")
    if not addresses:
        raise BlockedAddress("the host name does not resolve")
    return addresses


class BlockedAddress(Exception):
    """A send refused before connecting; the message says why, without the address."""


def _ascii_host(host: str) -> str:
    """Return the host as it goes on the wire: an internationalised name in IDNA form."""
    try:
        written = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        written = ""
    if not written or not set(written) <= HOST_CHARACTERS:
        raise _refused("has a host name that cannot be written in ASCII (IDNA)")
    return written


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _is_loopback_literal(host: str) -> bool:
    literal = _literal(host)
    return literal is not None and literal.is_loopback


def _refused(reason: str) -> Invalid:
    return Invalid("invalid_url", f"url: {reason}.", "url")
