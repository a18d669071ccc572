"""The Messages API, as the unchanged twilio library sees it, and the texts' status callbacks."""

from __future__ import annotations

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from tests.sandbox.conftest import ACCOUNT_SID, FROM, OTHER, VISITOR, start_sandbox, twilio_client


def send(client, customer, to=VISITOR, body="Example Shop: we'll call you at 14:30."):
    return client.messages.create(
        to=to, from_=FROM, body=body, status_callback=customer.url("sms-status")
    )


def reports(customer, sid):
    return [h for h in customer.received("sms-status") if h.params.get("MessageSid") == sid]


def test_created_message_has_twilios_fields_and_is_queued(sandbox, customer, client):
    message = send(client, customer)

    assert message.sid.startswith("SM")
    assert len(message.sid) == 34
    assert message.account_sid == ACCOUNT_SID
    assert (message.to, message.from_, message.status) == (VISITOR, FROM, "queued")
    assert message.direction == "outbound-api"
    assert message.num_segments == "1"
    assert message.date_created.tzinfo is not None
    assert message.uri == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message.sid}.json"


def test_message_is_delivered_and_each_step_reported_signed_in_order(sandbox, customer, client):
    message = send(client, customer)

    hits = customer.wait_for(
        lambda: len(reports(customer, message.sid)) == 2 and reports(customer, message.sid)
    )

    assert [h.params["MessageStatus"] for h in hits] == ["sent", "delivered"]
    assert all(h.signature_valid for h in hits)
    assert {h.params["To"] for h in hits} == {VISITOR}
    assert hits[0].params["SmsSid"] == message.sid
    assert client.messages(message.sid).fetch().status == "delivered"


def test_a_phone_scripted_to_fail_leaves_the_message_undelivered_with_30003(
    sandbox, customer, client
):
    sandbox.control.set_phone(OTHER, fail=True)
    message = send(client, customer, to=OTHER)

    hits = customer.wait_for(
        lambda: len(reports(customer, message.sid)) == 2 and reports(customer, message.sid)
    )

    assert hits[-1].params["MessageStatus"] == "undelivered"
    assert hits[-1].params["ErrorCode"] == "30003"
    assert client.messages(message.sid).fetch().error_code == 30003


@pytest.mark.parametrize(
    ("to", "code"),
    [("+15005550001", 21211), ("+15005550004", 21610), ("+15005550009", 21614), ("12", 21211)],
)
def test_magic_and_invalid_numbers_are_refused_with_twilios_codes(client, customer, to, code):
    with pytest.raises(TwilioRestException) as refused:
        send(client, customer, to=to)

    assert (refused.value.status, refused.value.code) == (400, code)


def test_missing_body_is_refused(client):
    with pytest.raises(TwilioRestException) as refused:
        client.messages.create(to=VISITOR, from_=FROM, body="")

    assert refused.value.code == 21602


def test_chaos_create_failures_apply_to_messages_too(sandbox, customer, client):
    sandbox.control.set_chaos(create={"respond": "429", "count": 1})

    with pytest.raises(TwilioRestException) as refused:
        send(client, customer)
    message = send(client, customer)

    assert refused.value.status == 429
    assert message.status == "queued"


def test_a_message_is_listed_fetched_and_deleted_once_sent(sandbox, customer, client):
    message = send(client, customer)
    sandbox.control.wait_for_message(VISITOR, "delivered")

    listed = client.messages.list(to=VISITOR)
    assert [m.sid for m in listed] == [message.sid]
    assert client.messages(message.sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        client.messages(message.sid).fetch()
    assert gone.value.status == 404


def test_control_api_and_phones_page_show_messages(sandbox, customer, client):
    send(client, customer, body="Hello from the shop")
    shown = sandbox.control.wait_for_message(VISITOR, "delivered")
    page = requests.get(sandbox.url + "/phones", timeout=5).text

    assert shown["body"] == "Hello from the shop"
    assert sandbox.control.state()["phones"][VISITOR]
    assert 'id="messages"' in page


def test_reset_forgets_messages(sandbox, customer, client):
    send(client, customer)
    sandbox.control.reset()

    assert sandbox.control.messages() == []


def test_a_message_still_being_sent_cannot_be_deleted(customer):
    server, box = start_sandbox({"SANDBOX_TIME_SCALE": 1.0})  # half a second to "sent"
    try:
        client = twilio_client(box.url)
        message = send(client, customer)

        with pytest.raises(TwilioRestException) as refused:
            client.messages(message.sid).delete()

        assert refused.value.status == 400
        box.control.wait_for_message(VISITOR, "sent")
        assert client.messages(message.sid).delete() is True
    finally:
        box.control.close()
        server.close()
