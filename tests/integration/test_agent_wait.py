"""Waiting for a busy team: no polling, and each agent freed dials the oldest waiter first.

A dial job that finds every agent on a call leaves its request in the team's line in
Redis (workers/waiting.py). The end of an agent's call, reported by Twilio's status
callback, puts the dial job of the request that has waited longest at the front of the
calls queue. Real Redis, the real webhook, the dial job run in process.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from sqlalchemy import update

from callback import db
from callback.agents.roster import make_available, pause
from callback.lifecycle.requests import withdraw
from callback.models import Agent, CallAttempt, CallbackRequest, Leg, RequestStatus, Widget, utcnow
from tests.factories import make_agent, make_request, make_widget
from tests.lifecycle.conftest import LONG_AGO
from tests.twilio_signing import signed_post
from workers import waiting
from workers.dial import dial
from workers.queues import CALLS_QUEUE, enqueue_dial
from workers.reconcile import reconcile

BUSY_SID = "CA" + "b" * 32


@pytest.fixture(autouse=True)
def twilio(sandbox_url: str) -> str:
    """The sandbox, started before the app that is pointed at it."""
    return sandbox_url


@pytest.fixture
def widget(app: Flask) -> Widget:
    return make_widget()


@pytest.fixture
def agent(widget: Widget) -> Agent:
    return make_agent()


def on_a_call(
    widget: Widget, agent: Agent, other_visitor: str = "+442079460990", sid: str = BUSY_SID
) -> CallAttempt:
    """Put `agent` in a call with another visitor; return that call's agent leg."""
    other = make_request(widget, phone=other_visitor, status=RequestStatus.CALLING_VISITOR)
    leg = CallAttempt(
        request_id=other.id,
        leg=Leg.AGENT,
        attempt_number=1,
        agent_id=agent.id,
        call_sid=sid,
        status="in-progress",
        digits="1",
    )
    db.session().add(leg)
    db.session().commit()
    return leg


def waiting_request(widget: Widget, phone: str, minutes_ago: int = 0) -> CallbackRequest:
    # Arrival set explicitly: in one transaction PostgreSQL's now() is the same for all.
    arrived = utcnow() - timedelta(minutes=minutes_ago)
    return make_request(widget, phone=phone, status=RequestStatus.QUEUED, created_at=arrived)


def stale_waiter(widget: Widget, phone: str, minutes_ago: int = 0) -> CallbackRequest:
    """A request that found every agent busy, joined the line, and has waited since:
    stale in the reconciler's eyes (its row untouched for long)."""
    request = make_request(
        widget,
        phone=phone,
        status=RequestStatus.QUEUED,
        created_at=utcnow() - timedelta(minutes=minutes_ago),
        updated_at=utcnow() - LONG_AGO,
    )
    assert dial(str(request.id)) == "agent_busy"
    return request


def end_call(client: FlaskClient, leg: CallAttempt) -> None:
    form = {"CallSid": BUSY_SID, "CallStatus": "completed", "SequenceNumber": "9"}
    assert signed_post(client, f"/twilio/attempts/{leg.id}/status", form).status_code == 204


def queued_jobs(redis: Redis) -> list[str]:
    queue = Queue(CALLS_QUEUE, connection=redis)
    return queue.job_ids + queue.scheduled_job_registry.get_job_ids(cleanup=False)


def jobs_of(redis: Redis, request: CallbackRequest) -> list[str]:
    return [job for job in queued_jobs(redis) if str(request.id) in job]


def test_a_request_behind_a_busy_team_waits_without_polling_and_is_dialled_first_when_freed(
    client: FlaskClient, redis: Redis, widget: Widget, agent: Agent
) -> None:
    leg = on_a_call(widget, agent)
    request = waiting_request(widget, "+442079460901")
    assert dial(str(request.id)) == "agent_busy"
    assert jobs_of(redis, request) == []  # nothing polls
    assert waiting.waiting(redis, "default") == [(str(request.id), 1)]
    later = waiting_request(widget, "+442079460902")
    enqueue_dial(later.id, 1)  # a newer request's first dial is already queued
    end_call(client, leg)
    first = Queue(CALLS_QUEUE, connection=redis).job_ids[0]
    assert first.startswith(f"dial-{request.id}-r1-s0-k")  # ahead of the newer request
    assert waiting.waiting(redis, "default") == []
    assert dial(str(request.id)) == "dialled"


def test_each_freed_agent_wakes_one_request_and_the_oldest_first(
    client: FlaskClient, redis: Redis, widget: Widget, agent: Agent
) -> None:
    leg = on_a_call(widget, agent)
    older = waiting_request(widget, "+442079460901", minutes_ago=2)
    newer = waiting_request(widget, "+442079460902", minutes_ago=1)
    for request in (newer, older):  # their jobs run out of order: arrival still decides
        assert dial(str(request.id)) == "agent_busy"
    assert [rid for rid, _ in waiting.waiting(redis, "default")] == [str(older.id), str(newer.id)]
    end_call(client, leg)
    assert len(jobs_of(redis, older)) == 1
    assert jobs_of(redis, newer) == []
    assert waiting.waiting(redis, "default") == [(str(newer.id), 1)]


def test_an_agent_freed_between_the_check_and_the_wait_is_not_missed(
    app: Flask, redis: Redis, widget: Widget, agent: Agent
) -> None:
    request = waiting_request(widget, "+442079460901")
    seen = waiting.unclaimed(redis, "default")  # the dial job reads this, then finds all busy
    assert waiting.wake_oldest(redis, "default") is None  # a call ends: nobody waits yet
    assert not waiting.join(redis, "default", str(request.id), 1, request.created_at, seen)
    assert waiting.waiting(redis, "default") == []  # dialled again at once instead


def test_an_agent_back_from_a_pause_wakes_the_oldest_waiter(
    app: Flask, redis: Redis, widget: Widget, agent: Agent
) -> None:
    on_a_call(widget, agent)
    second = make_agent(name="Bo", phone="+442079460003")
    pause(db.session(), second, "lunch", actor="bo")
    db.session().commit()
    request = waiting_request(widget, "+442079460901")
    assert dial(str(request.id)) == "agent_busy"
    make_available(db.session(), second, actor="bo")
    db.session().commit()
    assert len(jobs_of(redis, request)) == 1
    assert dial(str(request.id)) == "dialled"


def test_a_place_lost_with_redis_is_found_again_by_the_reconciler(
    app: Flask, redis: Redis, widget: Widget, agent: Agent
) -> None:
    on_a_call(widget, agent)
    request = stale_waiter(widget, "+442079460901")
    redis.flushdb()  # the line is gone
    assert reconcile()["requeued"] == 1
    assert len(jobs_of(redis, request)) == 1


def test_a_request_keeping_its_place_costs_the_reconciler_no_dial(
    app: Flask, redis: Redis, widget: Widget, agent: Agent
) -> None:
    on_a_call(widget, agent)
    kept = stale_waiter(widget, "+442079460901")
    lost = stale_waiter(widget, "+442079460902")
    redis.zrem("callback:waiting:default", f"{lost.id}:{lost.round}")  # its place only
    assert reconcile()["requeued"] == 1
    assert jobs_of(redis, kept) == []
    assert len(jobs_of(redis, lost)) == 1


def test_a_wake_spent_on_a_request_that_had_ended_is_made_up_by_the_reconciler(
    client: FlaskClient, redis: Redis, widget: Widget, agent: Agent
) -> None:
    leg = on_a_call(widget, agent)
    gone = stale_waiter(widget, "+442079460901", minutes_ago=3)
    next_one = stale_waiter(widget, "+442079460902", minutes_ago=2)
    last = stale_waiter(widget, "+442079460903", minutes_ago=1)
    withdraw(db.session(), gone, "visitor", "caller_hung_up")  # its place stays in the line
    db.session().commit()
    end_call(client, leg)  # the freed agent wakes the oldest place: the one that ended
    assert dial(str(gone.id)) == "skipped"
    assert [place for place, _ in waiting.waiting(redis, "default")] == [
        str(next_one.id),
        str(last.id),
    ]
    # One agent is free and nobody will be woken for them: the oldest waiter alone is
    # dialled.
    assert reconcile()["requeued"] == 1
    assert len(jobs_of(redis, next_one)) == 1
    assert jobs_of(redis, last) == []
    assert dial(str(next_one.id)) == "dialled"


def test_a_waiter_past_its_maximum_wait_is_dialled_by_the_reconciler_and_expires(
    app: Flask, redis: Redis, widget: Widget, agent: Agent
) -> None:
    on_a_call(widget, agent)
    request = stale_waiter(widget, "+442079460901")
    # It asked longer ago than the widget's maximum wait, and still holds its place.
    asked = utcnow() - timedelta(minutes=widget.max_wait_minutes + 1)
    db.session().execute(
        update(CallbackRequest)
        .where(CallbackRequest.id == request.id)
        .values(created_at=asked, wanted_at=asked, updated_at=utcnow() - LONG_AGO)
    )
    db.session().commit()
    assert waiting.waiting(redis, "default") == [(str(request.id), request.round)]
    assert reconcile()["requeued"] == 1  # the line alone would keep it past its deadline
    assert dial(str(request.id)) == "expired"
    db.session().refresh(request)
    assert (request.status, request.outcome) == (RequestStatus.EXPIRED, "max_wait_exceeded")


def test_a_waiter_who_cannot_take_the_freed_agent_passes_them_to_the_next(
    client: FlaskClient, redis: Redis, agent: Agent
) -> None:
    widget = make_widget(language="en", ring_other_languages=False)
    on_a_call(widget, agent)  # speaks the widget's English
    polish = make_agent(name="Pia", phone="+442079460004", languages=["pl"])
    polish_sid = "CA" + "c" * 32
    polish_leg = on_a_call(widget, polish, "+442079460991", polish_sid)
    english = waiting_request(widget, "+442079460901", minutes_ago=2)
    polish_visitor = make_request(
        widget,
        phone="+442079460902",
        status=RequestStatus.QUEUED,
        locale="pl",
        created_at=utcnow() - timedelta(minutes=1),
    )
    for request in (english, polish_visitor):
        assert dial(str(request.id)) == "agent_busy"
    form = {"CallSid": polish_sid, "CallStatus": "completed", "SequenceNumber": "9"}
    assert signed_post(client, f"/twilio/attempts/{polish_leg.id}/status", form).status_code == 204
    # The oldest waiter is woken first, but Pia does not speak English: it waits again
    # and wakes the one behind it, who does not wait for the next agent to be free.
    assert len(jobs_of(redis, english)) == 1
    assert dial(str(english.id)) == "agent_busy"
    assert len(jobs_of(redis, polish_visitor)) == 1
    assert waiting.waiting(redis, "default") == [(str(english.id), 1)]
    assert dial(str(polish_visitor.id)) == "dialled"
