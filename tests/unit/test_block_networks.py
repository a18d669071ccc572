"""The networks an address is matched against are written as blocklist entries are."""

from __future__ import annotations

import ipaddress

import pytest

from callback.blocklist.matching import address_networks


@pytest.mark.parametrize(
    "ip",
    [
        "192.0.2.1",
        "203.0.113.255",
        "0.0.0.0",  # noqa: S104 - an address, not a bind
        "255.255.255.255",
        "2001:db8::1",
        "::1",
        "::",
    ],
)
def test_each_network_is_written_as_ipaddress_writes_it(ip: str) -> None:
    address = ipaddress.ip_address(ip)
    expected = [
        str(ipaddress.ip_network(f"{address}/{length}", strict=False))
        for length in range(1, address.max_prefixlen + 1)
    ]
    assert address_networks(ip) == expected


def test_an_ipv4_mapped_address_is_matched_as_ipv4() -> None:
    assert address_networks("::ffff:192.0.2.1") == address_networks("192.0.2.1")
    assert address_networks("::ffff:192.0.2.1")[-1] == "192.0.2.1/32"


def test_an_unreadable_address_matches_no_network() -> None:
    assert address_networks("not an address") == []
    assert address_networks(None) == []
