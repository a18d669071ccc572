"""Each ring strategy end to end through the sandbox, including the simultaneous race."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from callback.models import Leg, RequestStatus
from tests.e2e.conftest import LIVE_WIDGET
from tests.e2e.stack import Stack
from tests.factories import make_agent, make_widget
from tests.residue import find_number

pytestmark = pytest.mark.e2e

AGENT_1, AGENT_2 = "+442079460001", "+442079460002"
VISITORS = ["+442079460131", "+442079460132"]
DONE = (RequestStatus.COMPLETED, RequestStatus.FAILED)


@pytest.fixture(autouse=True)
def no_residue(
    stack: Stack, engine: Engine, redis: Redis, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    yield
    stack.wait_calls_ended("every call to end")
    for number in VISITORS:
        assert find_number(number, engine, redis, caplog.text + stack.worker_logs()) == []


def agent_of_first_leg(stack: Stack, request_id: str) -> int | None:
    return next(a.agent_id for a in stack.wait_settled(request_id) if a.leg == Leg.AGENT)


def test_sequential_rings_the_top_priority_agent_every_time(
    stack: Stack, db_session: Session
) -> None:
    widget = make_widget(db_session, **LIVE_WIDGET, ring_strategy="sequential")
    top = make_agent(db_session, phone=AGENT_1, priority=1)
    make_agent(db_session, phone=AGENT_2, priority=2)
    for number in VISITORS:
        request_id = stack.submit(widget.key, number)["id"]
        assert stack.wait_for_status(request_id, *DONE).status == RequestStatus.COMPLETED
        assert agent_of_first_leg(stack, request_id) == top.id


def test_round_robin_shares_calls_between_agents(stack: Stack, db_session: Session) -> None:
    widget = make_widget(db_session, **LIVE_WIDGET, ring_strategy="round_robin")
    agents = {
        make_agent(db_session, phone=AGENT_1, priority=1).id,
        make_agent(db_session, phone=AGENT_2).id,
    }
    rung = []
    for number in VISITORS:
        request_id = stack.submit(widget.key, number)["id"]
        assert stack.wait_for_status(request_id, *DONE).status == RequestStatus.COMPLETED
        rung.append(agent_of_first_leg(stack, request_id))
    assert set(rung) == agents


def test_simultaneous_first_to_press_1_wins_and_the_other_phone_is_ended(
    stack: Stack, db_session: Session
) -> None:
    widget = make_widget(db_session, **LIVE_WIDGET, ring_strategy="simultaneous")
    make_agent(db_session, phone=AGENT_1)
    make_agent(db_session, phone=AGENT_2)
    for agent in (AGENT_1, AGENT_2):
        stack.sandbox.set_phone(agent, manual=True)
    request_id = stack.submit(widget.key, VISITORS[0])["id"]
    stack.wait_until(
        lambda: len([c for c in stack.sandbox.calls() if c["status"] == "ringing"]) == 2,
        "both agents' phones to ring",
    )
    first = next(c["sid"] for c in stack.sandbox.calls() if c["to"] == AGENT_1)
    stack.sandbox.answer(first)  # agent 2's phone is still ringing when agent 1 accepts
    stack.wait_until(lambda: _gathering(stack, first), "the whisper to be playing")
    stack.sandbox.press(first, "1")
    assert stack.wait_for_status(request_id, *DONE).status == RequestStatus.COMPLETED
    legs = stack.wait_settled(request_id)
    agent_legs = [leg for leg in legs if leg.leg == Leg.AGENT]
    assert len(agent_legs) == 2
    assert sorted(leg.status for leg in agent_legs) == ["canceled", "completed"]
    assert len([leg for leg in legs if leg.leg == Leg.VISITOR]) == 1


def test_simultaneous_race_of_two_agents_pressing_1_at_once_bridges_one(
    stack: Stack, db_session: Session
) -> None:
    widget = make_widget(db_session, **LIVE_WIDGET, ring_strategy="simultaneous")
    make_agent(db_session, phone=AGENT_1)
    make_agent(db_session, phone=AGENT_2)
    for agent in (AGENT_1, AGENT_2):
        stack.sandbox.set_phone(agent, manual=True)
    request_id = stack.submit(widget.key, VISITORS[1])["id"]
    stack.wait_until(
        lambda: len([c for c in stack.sandbox.calls() if c["status"] == "ringing"]) == 2,
        "both agents' phones to ring",
    )
    sids = [c["sid"] for c in stack.sandbox.calls()]
    for sid in sids:
        stack.sandbox.answer(sid)
    stack.wait_until(
        lambda: all(_gathering(stack, sid) for sid in sids), "both whispers to be playing"
    )
    start = threading.Barrier(2)

    def press(sid: str) -> None:
        start.wait()
        stack.sandbox.press(sid, "1")

    threads = [threading.Thread(target=press, args=(sid,)) for sid in sids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stack.wait_for_status(request_id, *DONE).status == RequestStatus.COMPLETED
    legs = stack.wait_settled(request_id)
    assert len([leg for leg in legs if leg.leg == Leg.VISITOR]) == 1
    assert sorted(leg.digits or "" for leg in legs if leg.leg == Leg.AGENT) == ["1", "1"]
    bridged = [c for c in stack.sandbox.calls() if c["parent_call_sid"]]
    assert len(bridged) == 1


def _gathering(stack: Stack, sid: str) -> bool:
    log = stack.sandbox.call(sid)["log"]
    return any("gather" in str(entry).lower() for entry in log)


def test_a_speaker_of_the_visitors_language_is_rung_before_a_higher_priority_agent(
    stack: Stack, db_session: Session
) -> None:
    widget = make_widget(db_session, **LIVE_WIDGET, ring_strategy="sequential", language="en")
    make_agent(db_session, phone=AGENT_1, priority=1, languages=["en"])
    speaker = make_agent(db_session, phone=AGENT_2, priority=2, languages=["pl"])
    request_id = stack.submit(widget.key, VISITORS[0], locale="pl")["id"]
    assert stack.wait_for_status(request_id, *DONE).status == RequestStatus.COMPLETED
    assert agent_of_first_leg(stack, request_id) == speaker.id
