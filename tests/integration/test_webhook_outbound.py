"""One POST to an owner's URL: vetted at send time, to the vetted address, answer capped."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import trustme
from flask import Flask
from standardwebhooks import Webhook

from callback.integrations.outbound import MAX_ANSWER_BYTES, MOST_ADDRESSES, TOO_SLOW, post_json
from tests.webhook_receiver import MOST_STREAMED, MOST_TRICKLED, Receiver, Reply, receiving

SIGNED = {"webhook-id": "msg_test", "webhook-timestamp": "0", "webhook-signature": "v1,x"}
REBOUND_HOST = "hooks.example.test"


@pytest.fixture
def receiver(app: Flask) -> Iterator[Receiver]:
    with receiving() as serving:
        serving.secret = "whsec_" + "A" * 44
        yield serving


@pytest.fixture
def rebinding_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name that resolves to this machine, as a rebinding attacker's DNS would answer."""
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == REBOUND_HOST else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def signed(receiver: Receiver, body: bytes = b"{}") -> dict[str, str]:
    """Headers that the receiver accepts for `body`, as the delivery job makes them."""
    now = datetime.now(UTC)
    signature = Webhook(receiver.secret).sign("msg_test", now, body.decode())
    return {
        "webhook-id": "msg_test",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


def test_the_answer_is_read_no_further_than_the_cap(app: Flask, receiver: Receiver) -> None:
    app.config["WEBHOOK_READ_TIMEOUT"] = 60  # only the size cap can end the reading
    receiver.answer(Reply(200, endless=True))
    answer = post_json(receiver.url, b"{}", signed(receiver))
    assert (answer.status_code, answer.error) == (200, None)
    assert receiver.stream_ended.wait(10)
    # Hung up after the cap (plus what socket buffers took), long before the end.
    assert MAX_ANSWER_BYTES <= receiver.streamed < MOST_STREAMED


def test_retry_after_is_read_as_seconds_or_a_date(receiver: Receiver) -> None:
    receiver.answer(
        Reply(429, {"Retry-After": "30"}),
        Reply(503, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
    )
    assert post_json(receiver.url, b"{}", signed(receiver)).retry_after == 30
    assert post_json(receiver.url, b"{}", signed(receiver)).retry_after == 0


def test_a_redirect_is_not_followed(receiver: Receiver) -> None:
    receiver.answer(Reply(307, {"Location": receiver.url}))
    answer = post_json(receiver.url, b"{}", signed(receiver))
    assert (answer.status_code, answer.error) == (307, "redirects are not followed")
    assert len(receiver.received) == 1


def test_a_name_resolving_to_loopback_is_refused_in_production_before_connecting(
    app: Flask, receiver: Receiver, rebinding_dns: None
) -> None:
    app.config["ENV"] = "production"
    answer = post_json(f"https://{REBOUND_HOST}/hooks", b"{}", SIGNED)
    assert answer.status_code is None
    assert answer.error == "the host resolves to a loopback, private or link-local address"
    assert (len(receiver.received), receiver.forged) == (0, 0)


def test_loopback_by_name_or_plain_http_is_refused_in_production(
    app: Flask, receiver: Receiver
) -> None:
    app.config["ENV"] = "production"
    answer = post_json(receiver.url, b"{}", SIGNED)
    assert (answer.status_code, answer.error) == (None, "the URL is not allowed")
    assert receiver.forged == 0


def test_nothing_listening_is_a_short_error(app: Flask) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    answer = post_json(f"http://127.0.0.1:{port}/", b"{}", SIGNED)
    assert (answer.status_code, answer.error) == (None, "could not connect")


def tls_for(ca: trustme.CA, host: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(host).configure_cert(context)
    return context


@pytest.fixture
def trusted_ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    """A CA the sender trusts (as it trusts the system's), for receivers' certificates."""
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    return ca


def test_tls_is_checked_against_the_host_name_while_the_address_is_connected(
    app: Flask, trusted_ca: trustme.CA
) -> None:
    with receiving(tls=tls_for(trusted_ca, "localhost")) as receiver:
        receiver.secret = "whsec_" + "A" * 44
        answer = post_json(receiver.url, b"{}", signed(receiver))
        assert (answer.status_code, answer.error) == (204, None)
        assert receiver.received[0].headers["Host"] == receiver.url.split("/")[2]


def test_a_certificate_for_another_name_is_refused(app: Flask, trusted_ca: trustme.CA) -> None:
    with receiving(tls=tls_for(trusted_ca, "someone-else.example")) as receiver:
        receiver.secret = "whsec_" + "A" * 44
        answer = post_json(receiver.url, b"{}", signed(receiver))
        assert (answer.status_code, answer.error) == (
            None,
            "TLS failed (certificate not valid for the host?)",
        )
        assert receiver.received == []


@pytest.fixture
def short_deadline(app: Flask) -> None:
    """Timeouts that a byte every 0.2 s never trips, and an attempt deadline of 2 s."""
    app.config["WEBHOOK_CONNECT_TIMEOUT"] = 0.5
    app.config["WEBHOOK_READ_TIMEOUT"] = 0.5


@pytest.mark.parametrize("in_head", [True, False], ids=["head", "body"])
def test_an_answer_trickled_a_byte_at_a_time_is_cut_off_at_the_deadline(
    receiver: Receiver, short_deadline: None, in_head: bool
) -> None:
    receiver.answer(Reply(200, trickle_every=0.2, trickle_head=in_head))
    answer = post_json(receiver.url, b"{}", signed(receiver))
    assert (answer.status_code, answer.error) == (None, TOO_SLOW)
    assert receiver.hung_up_on.wait(10)  # the sender hung up, not the receiver
    assert receiver.trickled < MOST_TRICKLED


def test_a_trickled_answer_over_tls_is_cut_off_at_the_deadline(
    app: Flask, short_deadline: None, trusted_ca: trustme.CA
) -> None:
    with receiving(tls=tls_for(trusted_ca, "localhost")) as receiver:
        receiver.secret = "whsec_" + "A" * 44
        receiver.answer(Reply(200, trickle_every=0.2))
        answer = post_json(receiver.url, b"{}", signed(receiver))
        assert (answer.status_code, answer.error) == (None, TOO_SLOW)
        assert receiver.hung_up_on.wait(10)
        assert receiver.trickled < MOST_TRICKLED


def test_at_most_two_of_a_host_s_addresses_are_tried(
    app: Flask, monkeypatch: pytest.MonkeyPatch, trusted_ca: trustme.CA
) -> None:
    with receiving(host="127.0.0.3", tls=tls_for(trusted_ca, "many.example.test")) as third:
        third.secret = "whsec_" + "A" * 44
        port = int(third.url.rsplit(":", 1)[1].split("/")[0])
        real = socket.getaddrinfo

        def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host != "many.example.test":
                return real(host, port, *args, **kwargs)
            # Nothing listens on the first two: each refuses the connection.
            return [info for name in ("127.0.0.1", "127.0.0.2", "127.0.0.3")
                    for info in real(name, port, *args, **kwargs)]  # fmt: skip

        monkeypatch.setattr(socket, "getaddrinfo", resolve)
        answer = post_json(f"https://many.example.test:{port}/hooks", b"{}", signed(third))
        assert MOST_ADDRESSES == 2
        assert (answer.status_code, answer.error) == (None, "could not connect")
        assert third.received == []
