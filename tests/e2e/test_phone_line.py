"""The phone line end to end: callers ring our number in the sandbox and wait in line.

Web app, a real RQ worker and the sandbox over HTTP. The sandbox places each inbound call
to the company's number, whose Voice URL is the widget's, and plays the queue as Twilio
does (<Enqueue> and its wait URL, <Leave>, <Dial><Queue>). After every scenario no
caller's number is anywhere in our stores or logs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from redis import Redis
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from callback.models import Agent, CallbackRequest, Leg, RequestFact, RequestStatus, Widget
from callback.settings import SANDBOX_FROM_NUMBER
from callback.telephony import twilio_client
from tests.e2e.conftest import LIVE_WIDGET
from tests.e2e.stack import Stack
from tests.factories import CALLER_ID, make_agent, make_widget
from tests.residue import find_number

pytestmark = pytest.mark.e2e

AGENT = "+442079460001"
# Callers, each from the Ofcom drama range.
FIRST, SECOND, THIRD = "+442079460301", "+442079460302", "+442079460303"
WAITS = {"digits": "", "hangup_after": 5}  # stays on the line, talks 5 s once connected
TAKES_CALLBACK = {"digits": ["1"], "hangup_after": 5}  # presses 1 at the first offer
ENDED = (RequestStatus.COMPLETED, RequestStatus.FAILED, RequestStatus.CANCELED,
         RequestStatus.EXPIRED)  # fmt: skip


@pytest.fixture
def widget(db_session: Session) -> Widget:
    return make_widget(db_session, **LIVE_WIDGET, line_enabled=True, line_offer_seconds=600)


@pytest.fixture
def agent(db_session: Session) -> Agent:
    return make_agent(db_session, phone=AGENT)


@pytest.fixture
def line(stack: Stack, widget: Widget) -> str:
    """The company's number, owned in the sandbox, its Voice URL the widget's."""
    stack.sandbox.set_numbers(numbers=[SANDBOX_FROM_NUMBER, CALLER_ID])
    stack.sandbox.set_number(CALLER_ID, voice_url=f"{stack.web}/twilio/widgets/{widget.key}/voice")
    return CALLER_ID


@pytest.fixture(autouse=True)
def no_residue(
    stack: Stack, engine: Engine, redis: Redis, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    yield
    stack.wait_calls_ended()
    # Each caller waited in a queue of their own: none is left behind at Twilio.
    stack.wait_until(lambda: queues_left(stack) == [], "every caller's queue to be deleted")
    logs = caplog.text + stack.worker_logs()
    for caller in (FIRST, SECOND, THIRD):
        assert find_number(caller, engine, redis, logs) == []


def queues_left(stack: Stack) -> list[str]:
    with stack.app.app_context():
        return [str(queue.sid) for queue in twilio_client().queues.list()]


def call_in(stack: Stack, line: str, caller: str, **behaviour: object) -> str:
    """Ring the line from `caller`; return their request's id once they are in line."""
    stack.sandbox.set_phone(caller, **behaviour)
    sid = stack.sandbox.call_in(caller, line)
    found: list[str] = []

    def in_line() -> bool:
        with Session(stack.engine) as session:
            request_id = session.scalar(
                select(CallbackRequest.id).where(CallbackRequest.line_call_sid == sid)
            )
        found.extend([str(request_id)] if request_id else [])
        return bool(found)

    stack.wait_until(in_line, f"the call from {caller} to be in line")
    return found[0]


def set_available(stack: Stack, available: bool) -> None:
    with Session(stack.engine) as session:
        session.execute(update(Agent).values(available=available))
        session.commit()


def fact(stack: Stack, request_id: str) -> RequestFact:
    with Session(stack.engine) as session:
        row = session.get_one(RequestFact, uuid.UUID(request_id))
        session.expunge(row)
        return row


def test_a_caller_who_waits_is_answered_by_a_free_agent(
    stack: Stack, line: str, agent: Agent
) -> None:
    request_id = call_in(stack, line, FIRST, **WAITS)
    done = stack.wait_for_status(request_id, *ENDED)
    assert (done.status, done.outcome, done.channel) == (RequestStatus.COMPLETED, "talked", "phone")
    assert done.talk_seconds == 5
    legs = stack.wait_settled(request_id)
    assert [(leg.leg, leg.status) for leg in legs] == [
        (Leg.AGENT, "completed"),
        (Leg.VISITOR, "completed"),
    ]
    # Our legs settle on the Dial action; the sandbox ends the caller's call just after.
    stack.wait_calls_ended("the caller's call to end")
    calls = {call["sid"]: call for call in stack.sandbox.calls()}
    inbound = calls[legs[1].call_sid or ""]  # the visitor's leg is the caller's own call
    assert (inbound["direction"], inbound["from"], inbound["status"]) == (
        "inbound",
        FIRST,
        "completed",
    )
    answered = fact(stack, request_id)
    assert (answered.channel, answered.line_abandoned, answered.line_callback) == (
        "phone",
        False,
        False,
    )


def test_one_agent_answers_two_callers_in_a_row_in_the_order_they_called(
    stack: Stack, line: str, agent: Agent
) -> None:
    set_available(stack, False)  # both wait in line until the agent starts
    first = call_in(stack, line, FIRST, **WAITS)
    second = call_in(stack, line, SECOND, **WAITS)
    set_available(stack, True)
    one = stack.wait_for_status(first, *ENDED)
    two = stack.wait_for_status(second, *ENDED)
    assert one.status == two.status == RequestStatus.COMPLETED
    assert one.connected_at is not None
    assert two.connected_at is not None
    assert one.connected_at < two.connected_at
    agent_legs = [
        leg
        for request in (first, second)
        for leg in stack.attempts(request)
        if leg.leg == Leg.AGENT
    ]
    assert {leg.agent_id for leg in agent_legs} == {agent.id}


def test_a_callback_keeps_its_place_ahead_of_a_later_caller_still_waiting(
    stack: Stack, line: str, widget: Widget, agent: Agent, db_session: Session
) -> None:
    db_session.execute(update(Widget).values(line_offer_seconds=0))  # offered at once
    db_session.commit()
    set_available(stack, False)
    callback = call_in(stack, line, FIRST, **TAKES_CALLBACK)
    stack.wait_until(
        lambda: stack.stored_request(callback).line_callback_at is not None,
        "the first caller to take a callback",
    )
    waiting = call_in(stack, line, SECOND, **WAITS)
    taken = stack.stored_request(callback)
    assert (taken.on_line, taken.consent_version) == (False, "line-2026-12")
    set_available(stack, True)
    called_back = stack.wait_for_status(callback, *ENDED)
    answered = stack.wait_for_status(waiting, *ENDED)
    assert called_back.status == answered.status == RequestStatus.COMPLETED
    assert called_back.connected_at is not None
    assert answered.connected_at is not None
    assert called_back.connected_at < answered.connected_at  # first called, first served
    assert called_back.phone is None  # erased with the request
    dialled = [call for call in stack.sandbox.calls() if call["to"] == FIRST]
    assert len(dialled) == 1  # called back once, on the number they called from
    assert fact(stack, callback).line_callback
    assert not fact(stack, waiting).line_callback


def test_a_caller_who_hangs_up_in_line_is_counted_as_abandoned(
    stack: Stack, line: str, agent: Agent
) -> None:
    set_available(stack, False)
    request_id = call_in(stack, line, THIRD, digits="", hangup_after_answer=30)
    gone = stack.wait_for_status(request_id, *ENDED)
    assert (gone.status, gone.outcome, gone.on_line) == (
        RequestStatus.CANCELED,
        "caller_hung_up",
        False,
    )
    assert fact(stack, request_id).line_abandoned
    assert [leg for leg in stack.attempts(request_id) if leg.leg == Leg.AGENT] == []
