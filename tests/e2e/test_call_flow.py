"""The call flow end to end: web app, a real RQ worker and the sandbox, all over HTTP.

After every scenario the visitor's number must be nowhere: not in any table, Redis key
or value, nor in the web and worker logs (captured at DEBUG).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from redis import Redis
from rq import Queue
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from callback.models import Leg, RequestStatus, Widget
from tests.e2e.conftest import LIVE_WIDGET
from tests.e2e.stack import Stack
from tests.factories import CALLER_ID, make_agent, make_widget
from tests.residue import find_number
from workers.queues import CALLS_QUEUE, dial_job_id

pytestmark = pytest.mark.e2e

AGENT_1 = "+442079460001"
AGENT_2 = "+442079460002"
VISITOR = "+442079460123"
TYPED_VISITOR = "020 7946 0123"


@pytest.fixture
def widget(db_session: Session) -> Widget:
    widget = make_widget(db_session, **LIVE_WIDGET)
    make_agent(db_session, phone=AGENT_1, priority=1)
    make_agent(db_session, phone=AGENT_2, priority=2)
    return widget


@pytest.fixture(autouse=True)
def no_residue(
    stack: Stack, engine: Engine, redis: Redis, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    yield
    stack.wait_calls_ended()
    logs = caplog.text + stack.worker_logs()
    assert find_number(VISITOR, engine, redis, logs) == []


def _calls_to(stack: Stack, number: str) -> list[dict[str, Any]]:
    return [call for call in stack.sandbox.calls() if call["to"] == number]


def test_happy_path_rings_agent_first_then_bridges_and_completes(
    stack: Stack, widget: Widget
) -> None:
    body = stack.submit(widget.key, TYPED_VISITOR, page_url="https://www.example.com/pricing")
    done = stack.wait_for_status(body["id"], RequestStatus.COMPLETED, RequestStatus.FAILED)
    assert done.status == RequestStatus.COMPLETED
    assert done.outcome == "talked"
    assert done.phone is None
    assert done.erased_at is not None
    assert done.agent_ringing_at is not None
    assert done.connected_at is not None
    assert done.talk_seconds is not None
    assert (done.country, done.number_type) == ("GB", "FIXED_LINE")
    attempts = stack.wait_settled(body["id"])
    assert [(a.leg, a.status) for a in attempts] == [
        (Leg.AGENT, "completed"),
        (Leg.VISITOR, "completed"),
    ]
    agent_call = _calls_to(stack, AGENT_1)[0]
    visitor_call = _calls_to(stack, VISITOR)[0]
    assert visitor_call["parent_call_sid"] == agent_call["sid"]
    assert len(stack.sandbox.calls()) == 2
    status = requests.get(body["status_url"], timeout=5).json()
    assert status["status"] == "completed"


def test_agent_who_presses_2_passes_to_the_next_agent(stack: Stack, widget: Widget) -> None:
    stack.sandbox.set_phone(AGENT_1, digits="2")
    body = stack.submit(widget.key, TYPED_VISITOR)
    done = stack.wait_for_status(body["id"], RequestStatus.COMPLETED, RequestStatus.FAILED)
    assert done.status == RequestStatus.COMPLETED
    attempts = stack.wait_settled(body["id"])
    agent_legs = [a for a in attempts if a.leg == Leg.AGENT]
    visitor_legs = [a for a in attempts if a.leg == Leg.VISITOR]
    assert [a.digits for a in agent_legs] == ["2", "1"]
    assert len(visitor_legs) == 1
    assert visitor_legs[0].agent_id == agent_legs[1].agent_id
    first_agent_call = _calls_to(stack, AGENT_1)[0]
    assert not [c for c in stack.sandbox.calls() if c["parent_call_sid"] == first_agent_call["sid"]]


def test_agent_voicemail_is_never_bridged(stack: Stack, widget: Widget) -> None:
    stack.sandbox.set_phone(AGENT_1, voicemail=True)
    body = stack.submit(widget.key, TYPED_VISITOR)
    done = stack.wait_for_status(body["id"], RequestStatus.COMPLETED, RequestStatus.FAILED)
    assert done.status == RequestStatus.COMPLETED
    voicemail_call = _calls_to(stack, AGENT_1)[0]
    children = [c for c in stack.sandbox.calls() if c["parent_call_sid"]]
    assert all(c["parent_call_sid"] != voicemail_call["sid"] for c in children)
    assert len(_calls_to(stack, VISITOR)) == 1


def test_visitor_busy_is_retried_through_the_scheduler_then_answers(
    stack: Stack, db_session: Session, redis: Redis
) -> None:
    widget = make_widget(db_session, caller_id=CALLER_ID, retry_intervals=[3, 3])
    make_agent(db_session, phone=AGENT_1)
    stack.sandbox.set_phone(VISITOR, busy=True)
    body = stack.submit(widget.key, TYPED_VISITOR)
    waiting = stack.wait_for_status(body["id"], RequestStatus.SCHEDULED)
    assert waiting.round == 2
    scheduled = Queue(CALLS_QUEUE, connection=redis).scheduled_job_registry
    # The web process enqueues right after its commit; give it that moment.
    stack.wait_until(lambda: dial_job_id(body["id"], 2) in scheduled, "the retry to be scheduled")
    stack.sandbox.set_phone(VISITOR, busy=False)
    done = stack.wait_for_status(body["id"], RequestStatus.COMPLETED, RequestStatus.FAILED)
    assert done.status == RequestStatus.COMPLETED
    visitor_legs = [a for a in stack.wait_settled(body["id"]) if a.leg == Leg.VISITOR]
    assert [a.status for a in visitor_legs] == ["busy", "completed"]


def test_visitor_who_never_answers_fails_after_three_rounds(
    stack: Stack, db_session: Session
) -> None:
    widget = make_widget(db_session, caller_id=CALLER_ID, retry_intervals=[0, 0])
    make_agent(db_session, phone=AGENT_1)
    stack.sandbox.set_phone(VISITOR, no_answer=True)
    body = stack.submit(widget.key, TYPED_VISITOR)
    done = stack.wait_for_status(body["id"], RequestStatus.FAILED, RequestStatus.COMPLETED)
    assert done.status == RequestStatus.FAILED
    assert done.outcome == "visitor_no_answer"
    assert done.phone is None
    visitor_legs = [a for a in stack.wait_settled(body["id"]) if a.leg == Leg.VISITOR]
    assert [a.status for a in visitor_legs] == ["no-answer"] * 3


def test_visitor_who_cancels_mid_call_ends_the_call(stack: Stack, widget: Widget) -> None:
    stack.sandbox.set_phone(VISITOR, hangup_after=None)
    body = stack.submit(widget.key, TYPED_VISITOR)
    stack.wait_for_status(body["id"], RequestStatus.CONNECTED)
    response = requests.delete(body["status_url"], timeout=5)
    assert response.json()["status"] == "canceled"
    stack.wait_calls_ended("the live call to be ended")
    done = stack.stored_request(body["id"])
    assert done.status == RequestStatus.CANCELED
    assert done.phone is None
    ended_by_api = [c for c in stack.sandbox.calls() if c["to"] == AGENT_1]
    assert ended_by_api[0]["status"] == "completed"


@pytest.mark.parametrize(
    "rules",
    [
        [{"duplicate": True}],
        [{"reorder": True}],
        [{"duplicate": True}, {"reorder": True, "delay": 0.05}],
    ],
    ids=["duplicated", "reordered", "both"],
)
def test_duplicated_and_reordered_callbacks_give_the_same_final_state(
    stack: Stack, widget: Widget, rules: list[dict[str, Any]]
) -> None:
    stack.sandbox.set_chaos(callbacks=rules)
    body = stack.submit(widget.key, TYPED_VISITOR)
    done = stack.wait_for_status(body["id"], RequestStatus.COMPLETED, RequestStatus.FAILED)
    assert done.status == RequestStatus.COMPLETED
    assert [(a.leg, a.status) for a in stack.wait_settled(body["id"])] == [
        (Leg.AGENT, "completed"),
        (Leg.VISITOR, "completed"),
    ]


def test_forged_status_callback_changes_nothing(stack: Stack, widget: Widget) -> None:
    stack.sandbox.set_phone(AGENT_1, manual=True)
    body = stack.submit(widget.key, TYPED_VISITOR)
    stack.wait_until(lambda: bool(_calls_to(stack, AGENT_1)), "the agent's phone to ring")
    attempt = stack.attempts(body["id"])[0]
    forged = requests.post(
        f"{stack.web}/twilio/attempts/{attempt.id}/status",
        data={"CallSid": attempt.call_sid or "", "CallStatus": "completed", "SequenceNumber": "9"},
        headers={"X-Twilio-Signature": "Zm9yZ2Vk"},
        timeout=5,
    )
    assert forged.status_code == 403
    assert stack.stored_request(body["id"]).status == RequestStatus.CALLING_AGENT
    assert stack.attempts(body["id"])[0].status != "completed"
    call = _calls_to(stack, AGENT_1)[0]
    stack.sandbox.answer(call["sid"])
    stack.wait_until(
        lambda: any("gather" in str(e).lower() for e in stack.sandbox.call(call["sid"])["log"]),
        "the whisper to be played",
    )
    stack.sandbox.press(call["sid"], "1")
    done = stack.wait_for_status(body["id"], RequestStatus.COMPLETED, RequestStatus.FAILED)
    assert done.status == RequestStatus.COMPLETED


def test_twilio_refusing_one_agent_rings_the_next_and_pauses_that_agent(
    stack: Stack, db_session: Session
) -> None:
    widget = make_widget(db_session, **LIVE_WIDGET)
    # Twilio's magic number for "no international permission" (geo permissions, 21215).
    refused = make_agent(db_session, phone="+15005550003", priority=1)
    make_agent(db_session, phone=AGENT_2, priority=2)
    body = stack.submit(widget.key, TYPED_VISITOR)
    done = stack.wait_for_status(body["id"], RequestStatus.COMPLETED, RequestStatus.FAILED)
    assert (done.status, done.outcome) == (RequestStatus.COMPLETED, "talked")
    legs = [(a.leg, a.agent_id, a.status, a.error_code) for a in stack.attempts(body["id"])]
    assert legs[0] == (Leg.AGENT, refused.id, "failed", 21215)
    assert [call["to"] for call in stack.sandbox.calls()] == [AGENT_2, VISITOR]
    db_session.refresh(refused)
    assert refused.available is False
    assert "21215" in (refused.paused_reason or "")
