"""Which addresses a webhook may go to, and how a URL's host is written on the wire."""

from __future__ import annotations

import ipaddress

import pytest

from callback.errors import Invalid
from callback.integrations.addresses import allowed_address, check_url


@pytest.mark.parametrize(
    "text",
    [
        "::127.0.0.1",  # IPv4-compatible
        "::a9fe:a9fe",  # IPv4-compatible 169.254.169.254
        "::ffff:0:7f00:1",  # IPv4-translated 127.0.0.1
        "::ffff:0:a00:1",  # IPv4-translated 10.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b::8.8.8.8",  # NAT64, even of a public address: a gateway's, not a receiver's
        "64:ff9b:1::a00:1",  # local-use NAT64
        "::ffff:10.0.0.1",  # IPv4-mapped private
    ],
)
def test_ipv6_forms_that_embed_an_ipv4_address_are_refused(text: str) -> None:
    address = ipaddress.ip_address(text)
    assert not allowed_address(address, loopback=False)
    assert not allowed_address(address, loopback=True)


@pytest.mark.parametrize("text", ["2606:4700:4700::1111", "93.184.216.34", "::ffff:93.184.216.34"])
def test_public_addresses_are_allowed(text: str) -> None:
    assert allowed_address(ipaddress.ip_address(text), loopback=False)


def test_ipv6_loopback_is_allowed_only_where_loopback_is() -> None:
    assert allowed_address(ipaddress.ip_address("::1"), loopback=True)
    assert not allowed_address(ipaddress.ip_address("::1"), loopback=False)


@pytest.mark.parametrize("host", ["[::127.0.0.1]", "[2002:a9fe:a9fe::]", "[64:ff9b::a9fe:a9fe]"])
def test_a_url_naming_an_embedding_literal_is_refused(host: str) -> None:
    with pytest.raises(Invalid):
        check_url(f"https://{host}/hooks", allow_loopback=True)


def test_an_internationalised_host_is_kept_in_its_ascii_form() -> None:
    target = check_url("https://пример.рф/hooks", allow_loopback=False)
    assert target.host == "xn--e1afmkfd.xn--p1ai"
    target.host.encode("ascii")  # fit for a Host header and TLS


@pytest.mark.parametrize("host", ["\u00fc" * 64 + ".example", "a\u00a0b.example"])
def test_a_host_that_idna_cannot_write_is_refused_as_an_invalid_url(host: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_url(f"https://{host}/hooks", allow_loopback=False)
    assert refused.value.field == "url"
    assert refused.value.code == "invalid_url"
