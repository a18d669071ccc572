"""The phone line's webhooks: a caller in line, the callback offer, leaving, the bridge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import select

from callback import db
from callback.lines.calls import SPOKEN_AFTER_HOURS_NOTICE_VERSION, SPOKEN_NOTICE_VERSION
from callback.lines.order import queue_name, someone_ahead
from callback.models import (
    AuditEntry,
    CallAttempt,
    CallbackRequest,
    Leg,
    RequestFact,
    RequestStatus,
    Widget,
    utcnow,
)
from tests.factories import (
    AGENT_PHONE,
    VISITOR_LANDLINE,
    make_agent,
    make_line_caller,
    make_request,
    make_widget,
)
from tests.twilio_signing import signed_post
from workers.dial import dial

CALLER = "+442079460456"  # Ofcom drama range, as every test number
COMPANY = "+442079460999"


@pytest.fixture
def widget(client: FlaskClient) -> Widget:
    return make_widget(line_enabled=True, line_offer_seconds=30)


def call_in(
    client: FlaskClient, widget: Widget, sid: str, caller: str = CALLER
) -> ElementTree.Element:
    params = {"CallSid": sid, "From": caller, "To": COMPANY, "Direction": "inbound"}
    answer = signed_post(client, f"/twilio/widgets/{widget.key}/voice", params)
    assert answer.status_code == 200
    return ElementTree.fromstring(answer.data)


def in_line(sid: str) -> CallbackRequest:
    request = (
        db.session()
        .scalars(select(CallbackRequest).where(CallbackRequest.line_call_sid == sid))
        .one()
    )
    db.session().refresh(request)
    return request


def post(
    client: FlaskClient, request: CallbackRequest, step: str, **params: str
) -> ElementTree.Element:
    fields = {"CallSid": request.line_call_sid or "", "From": CALLER, **params}
    answer = signed_post(client, f"/twilio/lines/{request.id}/{step}", fields)
    assert answer.status_code == 200
    return ElementTree.fromstring(answer.data)


def said(twiml: ElementTree.Element) -> str:
    return " ".join(say.text or "" for say in twiml.iter("Say"))


def test_a_caller_is_greeted_and_put_in_a_queue_of_their_own_once(
    client: FlaskClient, widget: Widget
) -> None:
    twiml = call_in(client, widget, "CA" + "1" * 32)
    again = call_in(client, widget, "CA" + "1" * 32)  # Twilio retried the Voice URL
    request = in_line("CA" + "1" * 32)
    enqueue = twiml.find("Enqueue")
    assert enqueue is not None
    assert enqueue.text == queue_name(request)
    assert enqueue.get("waitUrl", "").endswith(f"/twilio/lines/{request.id}/wait")
    assert enqueue.get("action", "").endswith(f"/twilio/lines/{request.id}/left")
    assert "Thank you for calling Example Ltd" in said(twiml)
    assert again.find("Enqueue") is not None
    assert request.channel == "phone"
    assert request.on_line
    assert request.phone is None
    assert request.consent_version == ""
    assert (request.country, request.status) == ("GB", RequestStatus.QUEUED)
    assert len(db.session().scalars(select(CallbackRequest)).all()) == 1


def test_a_widget_without_the_line_turns_calls_away(client: FlaskClient) -> None:
    closed = make_widget()
    twiml = call_in(client, closed, "CA" + "2" * 32)
    assert twiml.find("Enqueue") is None
    assert twiml.find("Hangup") is not None
    assert "not taking calls" in said(twiml)
    assert db.session().scalars(select(CallbackRequest)).all() == []


def test_the_voice_url_wants_twilios_signature(client: FlaskClient, widget: Widget) -> None:
    answer = client.post(f"/twilio/widgets/{widget.key}/voice", data={"CallSid": "CA" + "3" * 32})
    assert answer.status_code == 403


def test_the_wait_tells_the_place_and_offers_a_callback_only_after_the_set_wait(
    client: FlaskClient, widget: Widget
) -> None:
    call_in(client, widget, "CA" + "a" * 32)
    call_in(client, widget, "CA" + "b" * 32)
    first, second = in_line("CA" + "a" * 32), in_line("CA" + "b" * 32)
    first.created_at = utcnow() - timedelta(seconds=5)  # it called first
    db.session().commit()
    early = post(client, second, "wait", QueueTime="10")
    assert "number 2 in line" in said(early)
    assert early.find("Gather") is None
    assert in_line("CA" + "b" * 32).line_offered_at is None
    later = post(client, second, "wait", QueueTime="30")
    gather = later.find("Gather")
    assert gather is not None
    assert gather.get("action", "").endswith("/choice")
    assert "press 1" in said(later)
    assert "no longer than 24 hours" in said(later)
    assert in_line("CA" + "b" * 32).line_offered_at is not None
    assert "number 1 in line" in said(post(client, first, "wait", QueueTime="0"))


def test_pressing_1_takes_a_callback_on_the_callers_number_keeping_the_place(
    client: FlaskClient, widget: Widget
) -> None:
    call_in(client, widget, "CA" + "c" * 32)
    before = in_line("CA" + "c" * 32)
    placed_at = before.created_at
    twiml = post(client, before, "choice", Digits="1")
    request = in_line("CA" + "c" * 32)
    assert twiml.find("Leave") is not None
    assert "ending 5 6" in said(twiml)
    assert request.phone == CALLER
    assert not request.on_line
    assert request.consent_version == SPOKEN_NOTICE_VERSION
    assert request.line_callback_at is not None
    assert request.line_offered_at is not None
    assert request.created_at == placed_at
    assert request.status == RequestStatus.QUEUED
    audit = db.session().scalars(select(AuditEntry).where(AuditEntry.request_id == request.id))
    assert [entry.action for entry in audit] == ["line_callback_taken"]
    # Leaving the queue after taking the callback changes nothing more.
    assert post(client, request, "left", QueueResult="leave").find("Hangup") is not None
    assert in_line("CA" + "c" * 32).status == RequestStatus.QUEUED


@pytest.mark.parametrize("withheld", ["anonymous", "+266696687", ""])
def test_a_withheld_number_is_told_and_stays_in_line(
    client: FlaskClient, widget: Widget, withheld: str
) -> None:
    call_in(client, widget, "CA" + "d" * 32, caller=withheld)
    request = in_line("CA" + "d" * 32)
    twiml = post(client, request, "choice", Digits="1", From=withheld)
    assert "withheld" in said(twiml)
    redirect = twiml.find("Redirect")
    assert redirect is not None
    assert (redirect.text or "").endswith("/wait")
    assert in_line("CA" + "d" * 32).on_line
    assert request.phone is None


def test_another_number_is_typed_and_checked_by_the_forms_rules(
    client: FlaskClient, widget: Widget
) -> None:
    call_in(client, widget, "CA" + "e" * 32)
    request = in_line("CA" + "e" * 32)
    ask = post(client, request, "choice", Digits="2")
    gather = ask.find("Gather")
    assert gather is not None
    assert gather.get("finishOnKey") == "#"
    refused = post(client, request, "number", Digits="12025550123#")  # US: not allowed
    assert "cannot call that number" in said(refused)
    assert in_line("CA" + "e" * 32).on_line
    taken = post(client, request, "number", Digits="02079460789#")
    assert taken.find("Leave") is not None
    assert in_line("CA" + "e" * 32).phone == "+442079460789"


def test_a_number_already_waiting_for_a_callback_is_told(
    client: FlaskClient, widget: Widget
) -> None:
    make_request(widget, phone=CALLER)
    call_in(client, widget, "CA" + "f" * 32)
    request = in_line("CA" + "f" * 32)
    twiml = post(client, request, "choice", Digits="1")
    assert "already waiting" in said(twiml)
    assert in_line("CA" + "f" * 32).on_line


def test_hanging_up_in_line_is_counted_as_abandoned(client: FlaskClient, widget: Widget) -> None:
    call_in(client, widget, "CA" + "9" * 32)
    request = in_line("CA" + "9" * 32)
    post(client, request, "wait", QueueTime="40")  # offered, not taken
    post(client, request, "left", QueueResult="hangup", QueueTime="45")
    ended = in_line("CA" + "9" * 32)
    assert (ended.status, ended.outcome, ended.on_line) == (
        RequestStatus.CANCELED,
        "caller_hung_up",
        False,
    )
    fact = db.session().get_one(RequestFact, ended.id)
    assert (fact.channel, fact.line_offered, fact.line_callback, fact.line_abandoned) == (
        "phone",
        True,
        False,
        True,
    )
    # The wait URL, should Twilio still ask, takes the caller out of the queue.
    assert post(client, ended, "wait").find("Leave") is not None


def test_the_agent_who_presses_1_takes_the_caller_from_their_queue(
    client: FlaskClient, widget: Widget
) -> None:
    call_in(client, widget, "CA" + "8" * 32)
    request = in_line("CA" + "8" * 32)
    agent_leg = CallAttempt(
        request_id=request.id,
        leg=Leg.AGENT,
        attempt_number=1,
        agent_id=make_agent().id,
        call_sid="CA" + "7" * 32,
        status="in-progress",
    )
    request.status = RequestStatus.CALLING_AGENT
    db.session().add(agent_leg)
    db.session().commit()
    whisper = ElementTree.fromstring(
        signed_post(client, f"/twilio/attempts/{agent_leg.id}/whisper", {"To": AGENT_PHONE}).data
    )
    assert "Caller waiting on the Example Ltd line" in said(whisper)
    key = signed_post(client, f"/twilio/attempts/{agent_leg.id}/key", {"Digits": "1"})
    twiml = ElementTree.fromstring(key.data)
    queue = twiml.find("Dial/Queue")
    assert queue is not None
    assert queue.text == queue_name(request)
    assert "/twilio/lines/" in queue.get("url", "")
    # Holding while being connected: no offer, no position.
    assert post(client, request, "wait", QueueTime="90").find("Pause") is not None
    connecting = post(client, request, "dequeued", CallSid="CA" + "8" * 32)
    assert "Connecting you now" in said(connecting)
    assert in_line("CA" + "8" * 32).status == RequestStatus.CONNECTED
    visitor_leg = (
        db.session().scalars(select(CallAttempt).where(CallAttempt.leg == Leg.VISITOR)).one()
    )
    result = {"DialCallStatus": "completed", "DialCallSid": "CA" + "8" * 32,
              "DialCallDuration": "42"}  # fmt: skip
    signed_post(client, f"/twilio/attempts/{visitor_leg.id}/dial-result", result)
    done = in_line("CA" + "8" * 32)
    assert (done.status, done.talk_seconds, done.on_line) == (RequestStatus.COMPLETED, 42, False)
    fact = db.session().get_one(RequestFact, done.id)
    assert (fact.channel, fact.line_abandoned, fact.line_callback) == ("phone", False, False)


def test_a_callback_taken_while_an_agent_rang_is_bridged_by_dialling_the_number(
    client: FlaskClient, widget: Widget
) -> None:
    call_in(client, widget, "CA" + "6" * 32)
    request = in_line("CA" + "6" * 32)
    agent_leg = CallAttempt(
        request_id=request.id, leg=Leg.AGENT, attempt_number=1, agent_id=make_agent().id,
        call_sid="CA" + "5" * 32, status="in-progress",
    )  # fmt: skip
    request.status = RequestStatus.CALLING_AGENT
    db.session().add(agent_leg)
    db.session().commit()
    post(client, request, "choice", Digits="1")
    key = signed_post(client, f"/twilio/attempts/{agent_leg.id}/key", {"Digits": "1"})
    number = ElementTree.fromstring(key.data).find("Dial/Number")
    assert number is not None
    assert number.text == CALLER


def test_only_the_first_waiting_in_line_may_take_a_free_agent(
    client: FlaskClient, widget: Widget
) -> None:
    call_in(client, widget, "CA" + "4" * 32)
    call_in(client, widget, "CA" + "3" * 32)
    first, second = in_line("CA" + "4" * 32), in_line("CA" + "3" * 32)
    first.created_at = utcnow() - timedelta(seconds=5)
    web = make_request(widget, phone=VISITOR_LANDLINE)
    db.session().commit()
    assert someone_ahead(db.session(), second)
    assert not someone_ahead(db.session(), first)
    assert not someone_ahead(db.session(), web)  # the web form has no line
    # A caller who took a callback keeps their place ahead of the second.
    post(client, first, "choice", Digits="1")
    assert someone_ahead(db.session(), in_line("CA" + "3" * 32))
    # Ringing an agent for the first, it no longer holds the second back.
    db.session().add(
        CallAttempt(request_id=first.id, leg=Leg.AGENT, attempt_number=1, status="ringing")
    )
    first.status = RequestStatus.CALLING_AGENT
    db.session().commit()
    assert not someone_ahead(db.session(), in_line("CA" + "3" * 32))


WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
FRIDAY_NIGHT = datetime(2026, 11, 27, 20, tzinfo=UTC)  # London is on UTC in November


def after_hours_callback(max_wait_minutes: int, on_line: bool = False) -> CallbackRequest:
    widget = make_widget(
        line_enabled=True,
        business_hours=WEEKDAYS,
        timezone="Europe/London",
        max_wait_minutes=max_wait_minutes,
    )
    make_agent()  # no hours of her own: on duty whenever the widget is open
    taken = None if on_line else FRIDAY_NIGHT
    return make_line_caller(
        widget, on_line=on_line, created_at=FRIDAY_NIGHT, line_callback_at=taken
    )


@pytest.mark.parametrize("on_line", [False, True], ids=["callback", "caller_holding"])
def test_a_phone_line_request_after_hours_rings_nobody_until_the_next_opening(
    sandbox_url: str, client: FlaskClient, on_line: bool
) -> None:
    callback = after_hours_callback(max_wait_minutes=4 * 24 * 60, on_line=on_line)
    with time_machine.travel(FRIDAY_NIGHT, tick=False):
        assert dial(str(callback.id)) == "line_wait"
    db.session().refresh(callback)
    # The free agent is not rung at night, and nobody looks every 2 s all weekend:
    # once, when the team opens on Monday.
    assert db.session().scalars(select(CallAttempt)).all() == []
    assert callback.status == RequestStatus.SCHEDULED
    assert callback.scheduled_for == datetime(2026, 11, 30, 9, tzinfo=UTC)
    with time_machine.travel(callback.scheduled_for, tick=False):
        assert dial(str(callback.id)) == "dialled"


def test_an_after_hours_callback_is_looked_at_again_by_the_end_of_its_maximum_wait(
    client: FlaskClient,
) -> None:
    callback = after_hours_callback(max_wait_minutes=60)
    with time_machine.travel(FRIDAY_NIGHT, tick=False):
        assert dial(str(callback.id)) == "line_wait"
    db.session().refresh(callback)
    assert callback.scheduled_for == FRIDAY_NIGHT + timedelta(minutes=60)
    assert db.session().scalars(select(CallAttempt)).all() == []
    with time_machine.travel(FRIDAY_NIGHT + timedelta(minutes=61), tick=False):
        dial(str(callback.id))
    db.session().refresh(callback)
    assert (callback.status, callback.outcome) == (RequestStatus.EXPIRED, "max_wait_exceeded")


@pytest.mark.parametrize(
    ("language", "closed_words"),
    [
        ("en", "We are closed now, and open again on Monday at 09:00."),
        ("pl", "Otwieramy ponownie: poniedziałek, 09:00."),
    ],
)
def test_a_caller_after_hours_hears_when_the_line_opens_and_is_offered_a_callback_for_then(
    sandbox_url: str, client: FlaskClient, language: str, closed_words: str
) -> None:
    widget = make_widget(
        line_enabled=True,
        line_offer_seconds=30,
        business_hours=WEEKDAYS,
        timezone="Europe/London",
        language=language,
    )  # the default maximum wait, 4 hours: the callback is for Monday, as a form's would be
    make_agent()
    sid = "CA" + "f" * 32
    with time_machine.travel(FRIDAY_NIGHT, tick=False):
        call_in(client, widget, sid)
        twiml = post(client, in_line(sid), "wait", QueueTime="0")
        # Only when it opens, not "number 1 in line, about 0 min": nobody answers before.
        [closed] = twiml.findall("Say")
        assert (closed.text or "").endswith(closed_words)
        gather = twiml.find("Gather")
        assert gather is not None
        assert gather.get("action", "").endswith("/choice")
        if language == "en":  # retention counts from the opening, and the notice says so
            assert "no longer than 24 hours after we open" in said(gather)
        assert in_line(sid).line_offered_at is not None
        assert post(client, in_line(sid), "choice", Digits="1").find("Leave") is not None
        assert dial(str(in_line(sid).id)) == "line_wait"
    callback = in_line(sid)
    assert callback.consent_version == SPOKEN_AFTER_HOURS_NOTICE_VERSION
    monday_opening = datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert (callback.status, callback.wanted_at, callback.scheduled_for) == (
        RequestStatus.SCHEDULED,
        monday_opening,
        monday_opening,
    )
    with time_machine.travel(monday_opening, tick=False):
        assert dial(str(callback.id)) == "dialled"


def test_a_caller_after_hours_with_no_opening_in_sight_is_offered_no_callback(
    client: FlaskClient,
) -> None:
    widget = make_widget(line_enabled=True, business_hours={"mon": [["09:00", "17:00"]]})
    widget.closed_dates = [f"2026-11-{day}" for day in range(28, 31)] + [
        f"2026-12-{day:02d}" for day in range(1, 15)
    ]
    db.session().commit()
    sid = "CA" + "e" * 32
    with time_machine.travel(FRIDAY_NIGHT, tick=False):
        call_in(client, widget, sid)
        twiml = post(client, in_line(sid), "wait", QueueTime="0")
    assert said(twiml) == "We are closed now."
    assert twiml.find("Gather") is None
    assert in_line(sid).line_offered_at is None  # not counted as offered in the reports


def test_the_widgets_hold_music_plays_between_the_announcements(client: FlaskClient) -> None:
    music = "https://media.example.com/hold.mp3"
    with_music = make_widget(line_enabled=True, line_offer_seconds=30, line_music_url=music)
    silent = make_widget(line_enabled=True, line_offer_seconds=30, name="Quiet Ltd")
    call_in(client, with_music, "CA" + "8" * 32)
    call_in(client, silent, "CA" + "9" * 32)
    playing = post(client, in_line("CA" + "8" * 32), "wait", QueueTime="40")
    assert [play.text for play in playing.findall("Play")] == [music]
    assert playing.find("Pause") is None
    assert playing.find("Gather") is not None  # after the offer, as without music
    quiet = post(client, in_line("CA" + "9" * 32), "wait", QueueTime="40")
    assert quiet.find("Play") is None
    assert quiet.find("Pause") is not None
