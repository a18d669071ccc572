"""The REST subset, as the unchanged twilio library sees it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from tests.sandbox.conftest import (
    ACCOUNT_SID,
    AGENT,
    AUTH_TOKEN,
    FROM,
    OTHER,
    VISITOR,
    ended,
    place,
)


def test_created_call_has_twilios_fields_and_is_queued(sandbox, customer, client):
    call = place(client, customer)

    assert call.sid.startswith("CA")
    assert len(call.sid) == 34
    assert call.account_sid == ACCOUNT_SID
    assert (call.to, call._from, call.to_formatted) == (AGENT, FROM, AGENT)
    assert call.from_formatted == "(500) 555-0006"
    assert call.status == "queued"
    assert call.direction == "outbound-api"
    assert call.api_version == "2010-04-01"
    assert call.parent_call_sid is None
    assert call.date_created.tzinfo is not None
    assert call.uri == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{call.sid}.json"
    assert "recordings" in call.subresource_uris


def test_fetch_returns_the_finished_call_with_duration_and_times(sandbox, customer, client):
    customer.twiml["voice"] = '<Response><Pause length="3"/></Response>'
    call = place(client, customer)
    ended(sandbox, call.sid)

    fetched = client.calls(call.sid).fetch()

    assert fetched.status == "completed"
    assert fetched.duration == "3"
    assert fetched.start_time <= fetched.end_time


def test_the_library_sends_form_parameters_and_basic_auth(sandbox, customer, client):
    place(
        client,
        customer,
        status_callback_event=["initiated", "answered"],
        status_callback_method="POST",
        timeout=20,
    )

    (sent,) = sandbox.control.requests()
    assert sent["method"] == "POST"
    assert sent["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
    assert sent["auth_user"] == ACCOUNT_SID
    assert sent["form"]["To"] == AGENT
    assert sent["form"]["StatusCallbackEvent"] == ["initiated", "answered"]
    assert sent["form"]["Timeout"] == "20"


def test_list_filters_by_to_status_and_start_time(sandbox, customer, client):
    first = place(client, customer, to=AGENT)
    second = place(client, customer, to=OTHER)
    ended(sandbox, first.sid)
    ended(sandbox, second.sid)
    today = datetime.now(UTC)

    assert [c.sid for c in client.calls.list(to=OTHER)] == [second.sid]
    assert {c.sid for c in client.calls.list(status="completed")} == {first.sid, second.sid}
    assert client.calls.list(status="busy") == []
    assert len(client.calls.list(start_time_after=today.replace(hour=0, minute=0))) == 2
    assert client.calls.list(start_time_before=datetime(2001, 1, 1, tzinfo=UTC)) == []
    assert [c.sid for c in client.calls.list(from_=FROM, to=AGENT)] == [first.sid]


def test_list_pages_newest_first_through_next_page_uri(sandbox, customer, client):
    sids = [place(client, customer, to=VISITOR).sid for _ in range(5)]

    listed = client.calls.list(page_size=2)
    page = client.calls.page(page_size=2)

    assert [c.sid for c in listed] == list(reversed(sids))
    assert page._payload["next_page_uri"].endswith("PageSize=2&Page=1")
    assert page._payload["previous_page_uri"] is None
    assert (page._payload["page"], page._payload["start"], page._payload["end"]) == (0, 0, 1)


def test_list_filters_dialled_legs_by_parent(sandbox, customer, client):
    customer.twiml["voice"] = f"<Response><Dial>{VISITOR}</Dial></Response>"
    call = place(client, customer)
    ended(sandbox, call.sid)

    (child,) = client.calls.list(parent_call_sid=call.sid)

    assert child.direction == "outbound-dial"
    assert child.to == VISITOR


def test_update_completed_hangs_up_a_live_call(sandbox, customer, client):
    sandbox.control.set_phone(AGENT, manual=True)  # a person keeps the call live
    customer.twiml["voice"] = '<Response><Gather timeout="600"/></Response>'
    call = place(client, customer)
    sandbox.control.wait_for(lambda s: s["calls"][0]["status"] == "ringing")
    sandbox.control.answer(call.sid)
    sandbox.control.wait_for(lambda s: s["calls"][0]["status"] == "in-progress")

    updated = client.calls(call.sid).update(status="completed")

    assert updated.status == "completed"
    assert updated.end_time is not None


def test_update_canceled_ends_a_ringing_call_as_canceled(sandbox, customer, client):
    sandbox.control.set_phone(AGENT, manual=True)
    call = place(client, customer)
    sandbox.control.wait_for(lambda s: s["calls"][0]["status"] == "ringing")

    updated = client.calls(call.sid).update(status="canceled")

    assert updated.status == "canceled"
    assert updated.duration == "0"
    callbacks = customer.wait_for(lambda: customer.callbacks(call.sid))
    assert callbacks[-1].params["CallStatus"] == "canceled"


def test_redirecting_a_finished_call_is_refused_with_21220(sandbox, customer, client):
    call = place(client, customer)
    ended(sandbox, call.sid)

    with pytest.raises(TwilioRestException) as raised:
        client.calls(call.sid).update(url=customer.url("elsewhere"))

    assert (raised.value.status, raised.value.code) == (400, 21220)


def test_delete_removes_a_finished_call_and_refuses_a_live_one(sandbox, customer, client):
    sandbox.control.set_phone(OTHER, manual=True)
    live = place(client, customer, to=OTHER)
    done = place(client, customer)
    ended(sandbox, done.sid)

    assert client.calls(done.sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        client.calls(done.sid).fetch()
    with pytest.raises(TwilioRestException) as refused:
        client.calls(live.sid).delete()

    assert (gone.value.status, gone.value.code) == (404, 20404)
    assert refused.value.status == 400


def test_wrong_credentials_get_401_with_code_20003(sandbox, customer):
    intruder = Client(ACCOUNT_SID, "not-the-token")
    intruder.api.base_url = sandbox.url

    with pytest.raises(TwilioRestException) as raised:
        place(intruder, customer)

    assert (raised.value.status, raised.value.code) == (401, 20003)


def test_another_accounts_path_is_not_found(sandbox):
    response = requests.get(
        f"{sandbox.url}/2010-04-01/Accounts/AC{'0' * 32}/Calls.json",
        auth=(ACCOUNT_SID, AUTH_TOKEN),
        timeout=5,
    )

    assert response.status_code == 404
    assert response.json()["more_info"] == "https://www.twilio.com/docs/errors/20404"


@pytest.mark.parametrize(
    ("to", "code"),
    [
        ("+15005550001", 21217),
        ("+15005550002", 21214),
        ("+15005550003", 21215),
        ("+15005550004", 21216),
        ("020 7946 0001", 21211),
    ],
)
def test_magic_and_malformed_to_numbers_are_refused_with_twilios_codes(
    sandbox, customer, client, to, code
):
    with pytest.raises(TwilioRestException) as raised:
        place(client, customer, to=to)

    assert (raised.value.status, raised.value.code) == (400, code)
    assert sandbox.control.calls() == []


def test_magic_invalid_from_number_is_refused_with_21212(sandbox, customer, client):
    with pytest.raises(TwilioRestException) as raised:
        client.calls.create(to=AGENT, from_="+15005550001", url=customer.url("voice"))

    assert raised.value.code == 21212


def test_create_without_url_or_twiml_is_refused(sandbox, client):
    with pytest.raises(TwilioRestException) as raised:
        client.calls.create(to=AGENT, from_=FROM)

    assert (raised.value.status, raised.value.code) == (400, 21205)


def test_unknown_call_is_404_with_code_20404(sandbox, client):
    with pytest.raises(TwilioRestException) as raised:
        client.calls("CA" + "f" * 32).fetch()

    assert (raised.value.status, raised.value.code) == (404, 20404)
