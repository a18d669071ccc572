"""The Account resource and the account's numbers, as the unchanged twilio library reads them."""

from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from callback.sandbox import create_sandbox_app
from callback.sandbox.cli import sandbox_command
from callback.settings import SANDBOX_FROM_NUMBER
from tests.sandbox.conftest import ACCOUNT_SID, AUTH_TOKEN, FROM, start_sandbox, twilio_client

OWNED = "+442079460100"
VERIFIED = "+442079460200"


def test_the_account_answers_for_the_right_credentials(sandbox, client):
    account = client.api.v2010.accounts(ACCOUNT_SID).fetch()

    assert (account.sid, account.status, account.type) == (ACCOUNT_SID, "active", "Full")
    assert account.uri == f"/2010-04-01/Accounts/{ACCOUNT_SID}.json"
    assert not getattr(account, "auth_token", None)


@pytest.mark.parametrize(
    ("sid", "token", "status", "code"),
    [(ACCOUNT_SID, "wrong-token", 401, 20003), ("AC" + "0" * 32, AUTH_TOKEN, 401, 20003)],
)
def test_wrong_credentials_are_refused_as_twilio_refuses_them(sandbox, sid, token, status, code):
    client = Client(sid, token)
    client.api.base_url = sandbox.url

    with pytest.raises(TwilioRestException) as refused:
        client.api.v2010.accounts(sid).fetch()

    assert (refused.value.status, refused.value.code) == (status, code)


def test_another_account_is_not_found(sandbox, client):
    with pytest.raises(TwilioRestException) as refused:
        client.api.v2010.accounts("AC" + "1" * 32).fetch()

    assert (refused.value.status, refused.value.code) == (404, 20404)


def test_by_default_the_account_owns_the_development_caller_id_and_verified_none(sandbox, client):
    owned = client.incoming_phone_numbers.list()

    assert [number.phone_number for number in owned] == [SANDBOX_FROM_NUMBER]
    assert owned[0].sid.startswith("PN")
    assert owned[0].capabilities["voice"] is True
    assert client.outgoing_caller_ids.list() == []
    assert SANDBOX_FROM_NUMBER == FROM


def test_the_control_api_replaces_the_numbers_and_the_library_filters_them(sandbox, client):
    sandbox.control.set_numbers(numbers=[FROM, OWNED], caller_ids=[VERIFIED])

    assert [n.phone_number for n in client.incoming_phone_numbers.list(phone_number=OWNED)] == [
        OWNED
    ]
    assert client.incoming_phone_numbers.list(phone_number=VERIFIED) == []
    (verified,) = client.outgoing_caller_ids.list(phone_number=VERIFIED)
    assert (verified.phone_number, verified.account_sid) == (VERIFIED, ACCOUNT_SID)
    assert client.outgoing_caller_ids.list(phone_number=OWNED) == []


def test_incoming_numbers_match_a_part_with_stars_as_twilio_does(sandbox, client):
    sandbox.control.set_numbers(numbers=[OWNED, "+15005550006"])

    found = client.incoming_phone_numbers.list(phone_number="20794601**")

    assert [n.phone_number for n in found] == [OWNED]


def test_the_lists_page_through_next_page_uri(sandbox, client):
    many = [f"+4420794603{i:02d}" for i in range(7)]
    sandbox.control.set_numbers(numbers=many)

    listed = client.incoming_phone_numbers.list(page_size=3)

    assert [n.phone_number for n in listed] == many
    page = client.incoming_phone_numbers.page(page_size=3)
    assert page.next_page_url is not None


def test_reset_brings_back_the_starting_numbers_and_the_state_shows_them(sandbox):
    sandbox.control.set_numbers(numbers=[OWNED], caller_ids=[VERIFIED])
    assert sandbox.control.state()["numbers"] == {"numbers": [OWNED], "caller_ids": [VERIFIED]}

    sandbox.control.reset()

    assert sandbox.control.numbers() == {"numbers": [FROM], "caller_ids": []}


@pytest.mark.parametrize(
    "body", [{"numbers": "+442079460100"}, {"caller_ids": ["0207 946 0100"]}, {"other": []}]
)
def test_malformed_numbers_are_refused_and_change_nothing(sandbox, body):
    answer = requests.post(f"{sandbox.url}/_sandbox/numbers", json=body, timeout=5)

    assert answer.status_code == 400
    assert sandbox.control.numbers() == {"numbers": [FROM], "caller_ids": []}


def test_the_numbers_can_be_given_at_start():
    server, box = start_sandbox({"SANDBOX_NUMBERS": [OWNED], "SANDBOX_CALLER_IDS": [VERIFIED]})
    try:
        client = twilio_client(box.url)
        assert [n.phone_number for n in client.incoming_phone_numbers.list()] == [OWNED]
        assert [n.phone_number for n in client.outgoing_caller_ids.list()] == [VERIFIED]
    finally:
        box.control.close()
        server.close()


def test_a_malformed_starting_number_stops_the_sandbox_with_its_name():
    with pytest.raises(ValueError, match="caller_ids"):
        create_sandbox_app({"SANDBOX_CALLER_IDS": ["not a number"]})
    result = CliRunner().invoke(sandbox_command, ["--number", "12345"])

    assert result.exit_code == 2
    assert "numbers must be a list of E.164 numbers" in result.output


def test_an_owned_number_can_start_with_a_voice_url():
    url = "http://127.0.0.1:5000/twilio/widgets/wk_demo/voice"
    app = create_sandbox_app({"SANDBOX_VOICE_URLS": {SANDBOX_FROM_NUMBER: url}})
    assert app.extensions["sandbox"].numbers.voice(SANDBOX_FROM_NUMBER).voice_url == url


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("+15005550006", "--voice-url must be NUMBER=URL"),
        ("+442079460999=http://x/voice", "+442079460999 is not one of the account's numbers"),
        ("+15005550006=ftp://x/voice", "voice_url"),
    ],
)
def test_a_voice_url_the_sandbox_cannot_use_stops_it_with_the_reason(value: str, says: str):
    result = CliRunner().invoke(sandbox_command, ["--voice-url", value])
    assert result.exit_code == 2
    assert says in result.output
