"""Scripted people: busy, unanswered, voicemail, hanging up, failing, manual; scenarios."""

from __future__ import annotations

from tests.sandbox.conftest import AGENT, OTHER, ended, place, said, start_sandbox, twilio_client

GATHER = (
    '<Response><Gather numDigits="1" action="/choice"><Say>Press 1</Say></Gather>'
    "<Say>Nothing pressed</Say></Response>"
)


def test_a_busy_phone_ends_the_call_as_busy_without_fetching_twiml(sandbox, customer, client):
    sandbox.control.set_phone(AGENT, busy=True)
    call = place(client, customer)

    played = ended(sandbox, call.sid)

    assert played["status"] == "busy"
    assert played["duration"] == "0"
    assert customer.received("voice") == []


def test_an_unanswered_phone_ends_as_no_answer_after_the_calls_timeout(sandbox, customer, client):
    sandbox.control.set_phone(AGENT, no_answer=True)
    call = place(client, customer, timeout=25)

    played = ended(sandbox, call.sid)

    assert played["status"] == "no-answer"
    assert played["log"][-2]["at"] == 25  # the "ended" entry, on the call's own clock


def test_answering_later_than_the_timeout_is_no_answer(sandbox, customer, client):
    sandbox.control.set_phone(AGENT, answer_after=30)
    call = place(client, customer, timeout=10)

    assert ended(sandbox, call.sid)["status"] == "no-answer"


def test_a_failing_phone_ends_the_call_as_failed(sandbox, customer, client):
    sandbox.control.set_phone(AGENT, fail=True)
    call = place(client, customer)

    assert ended(sandbox, call.sid)["status"] == "failed"


def test_twilios_unreachable_magic_number_is_placed_then_fails(sandbox, customer, client):
    call = place(client, customer, to="+15005550009")

    played = ended(sandbox, call.sid)

    assert played["status"] == "failed"
    assert customer.received("voice") == []


def test_voicemail_answers_but_never_presses_keys(sandbox, customer, client):
    sandbox.control.set_phone(AGENT, voicemail=True)
    customer.twiml["voice"] = GATHER
    call = place(client, customer, machine_detection="Enable")

    played = ended(sandbox, call.sid)

    assert played["answered_by"] == "machine_start"
    assert said(played) == ["Press 1", "Nothing pressed"]
    assert customer.received("choice") == []
    assert {"kind": "answered", "by": "voicemail", "at": 1.0} in played["log"]


def test_a_person_who_hangs_up_mid_prompt_ends_the_call(sandbox, customer, client):
    sandbox.control.set_phone(AGENT, hangup_after_answer=2)
    customer.twiml["voice"] = '<Response><Pause length="30"/><Say>Too late</Say></Response>'
    call = place(client, customer)

    played = ended(sandbox, call.sid)

    assert played["duration"] == "2"
    assert said(played) == []


def test_digits_given_as_a_list_are_pressed_at_successive_gathers(sandbox, customer, client):
    sandbox.control.set_phone(AGENT, digits=["2", "7"])
    customer.twiml["voice"] = '<Response><Gather numDigits="1" action="/choice"/></Response>'
    customer.twiml["choice"] = '<Response><Gather numDigits="1" action="/again"/></Response>'
    call = place(client, customer)
    ended(sandbox, call.sid)

    assert customer.received("choice")[0].params["Digits"] == "2"
    assert customer.received("again")[0].params["Digits"] == "7"


def test_a_manual_phone_rings_until_answered_and_takes_keys_from_the_control_api(
    sandbox, customer, client
):
    sandbox.control.set_phone(AGENT, manual=True)
    customer.twiml["voice"] = (
        '<Response><Gather numDigits="2" timeout="30" action="/choice"><Say>Code?</Say></Gather>'
        "</Response>"
    )
    call = place(client, customer)
    sandbox.control.wait_for(lambda s: s["calls"][0]["status"] == "ringing")

    sandbox.control.answer(call.sid)
    sandbox.control.wait_for(lambda s: s["calls"][0]["gathering"])
    sandbox.control.press(call.sid, "4")
    sandbox.control.press(call.sid, "2")

    ended(sandbox, call.sid)
    assert customer.received("choice")[0].params["Digits"] == "42"


def test_a_manual_phone_that_is_declined_ends_as_busy(sandbox, customer, client):
    sandbox.control.set_phone(AGENT, manual=True)
    call = place(client, customer)
    sandbox.control.wait_for(lambda s: s["calls"][0]["status"] == "ringing")

    sandbox.control.hangup(call.sid)

    assert ended(sandbox, call.sid)["status"] == "busy"


def test_a_manual_person_hangs_up_an_answered_call(sandbox, customer, client):
    sandbox.control.set_phone(AGENT, manual=True)
    customer.twiml["voice"] = '<Response><Gather timeout="600"/></Response>'
    call = place(client, customer)
    sandbox.control.wait_for(lambda s: s["calls"][0]["status"] == "ringing")
    sandbox.control.answer(call.sid)
    sandbox.control.wait_for(lambda s: s["calls"][0]["status"] == "in-progress")

    sandbox.control.hangup(call.sid)

    assert ended(sandbox, call.sid)["status"] == "completed"


def test_the_scenario_file_sets_defaults_and_phones(tmp_path, customer):
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        f'[default]\nanswer_after = 3\ndigits = "2"\n\n[phones."{OTHER}"]\nbusy = true\n'
    )
    server, box = start_sandbox({"SANDBOX_SCENARIO": str(scenario)})
    try:
        client = twilio_client(box.url)
        customer.twiml["voice"] = '<Response><Gather numDigits="1" action="/choice"/></Response>'
        answered = place(client, customer, to=AGENT)
        refused = place(client, customer, to=OTHER)

        assert ended(box, refused.sid)["status"] == "busy"
        played = ended(box, answered.sid)
        assert next(e["at"] for e in played["log"] if e["kind"] == "answered") == 3
        assert customer.received("choice")[0].params["Digits"] == "2"
        box.control.set_phone(OTHER, busy=False)
        box.control.reset()
        assert box.control.state()["phones"][OTHER]["busy"] is True
    finally:
        box.control.close()
        server.close()


def test_unknown_phone_settings_are_refused(sandbox):
    response = sandbox.control.session.post(
        f"{sandbox.url}/_sandbox/phones/{AGENT}", json={"sings": True}, timeout=5
    )

    assert response.status_code == 400
