"""Staff actions from the console: ring now, reschedule, retry, cancel, and the timeline.

Real database (the test's rolled-back transaction) and real Redis: each action's job is
looked for in the RQ queue, and its absence checked at the moment of the commit.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from flask import Flask
from redis import Redis
from rq import Queue
from rq.job import Job
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from callback import db
from callback.errors import Conflict, Invalid
from callback.lifecycle import staff
from callback.lifecycle.requests import dialling
from callback.models import (
    AttemptStatus,
    AuditEntry,
    CallAttempt,
    CallbackRequest,
    CallEvent,
    Leg,
    RequestStatus,
    utcnow,
)
from tests.factories import AGENT_PHONE, VISITOR_LANDLINE, make_agent, make_request, make_widget
from tests.residue import number_forms, text_holds
from workers.queues import (
    CALLS_QUEUE,
    dial_job_id,
    enqueue_dial,
    enqueue_new_request,
    hangup_job_id,
)

ACTOR = "account:7"
AGO = timedelta(minutes=5)  # the timeline's story happened before the test's own actions


def _queue(redis: Redis) -> Queue:
    return Queue(CALLS_QUEUE, connection=redis)


def _jobs(redis: Redis, request_id: uuid.UUID) -> list[str]:
    """Every job of the request, queued or scheduled."""
    queue = _queue(redis)
    ids = queue.job_ids + queue.scheduled_job_registry.get_job_ids(cleanup=False)
    return sorted(job_id for job_id in ids if str(request_id) in job_id)


def _scheduled(when: datetime, **fields: object) -> CallbackRequest:
    return make_request(
        status=RequestStatus.SCHEDULED, scheduled_for=when, wanted_at=when, **fields
    )


def _audits(request: CallbackRequest) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.request_id == request.id).order_by(AuditEntry.id)
    return list(db.session().scalars(query))


@contextmanager
def _jobs_at_commit(redis: Redis, request_id: uuid.UUID) -> Iterator[list[list[str]]]:
    """Record the request's jobs as they are just before each commit of the app's session."""
    seen: list[list[str]] = []

    def before_commit(_session: Session) -> None:
        seen.append(_jobs(redis, request_id))

    session = db.session()
    event.listen(session, "before_commit", before_commit)
    try:
        yield seen
    finally:
        event.remove(session, "before_commit", before_commit)


# call_now


def test_call_now_dials_a_scheduled_request_at_once_once_committed(
    app: Flask, redis: Redis
) -> None:
    request = _scheduled(utcnow() + timedelta(hours=1))
    old = enqueue_new_request(request.id, request.scheduled_for)
    assert old is not None
    with _jobs_at_commit(redis, request.id) as at_commit:
        staff.call_now(db.session(), request, ACTOR)
    assert at_commit == [[old.id]]  # nothing new was enqueued inside the transaction
    db.session().refresh(request)
    assert request.status == RequestStatus.QUEUED
    assert request.scheduled_for is None
    (job_id,) = _jobs(redis, request.id)
    assert job_id in _queue(redis).job_ids  # to run now, not at the old time
    assert job_id.startswith(dial_job_id(request.id, 1) + "-now")
    assert not Job.exists(old.id, connection=redis)
    (audit,) = _audits(request)
    assert (audit.action, audit.actor) == ("staff_call_now", ACTOR)


@pytest.mark.parametrize(
    "status",
    [
        RequestStatus.QUEUED,
        RequestStatus.CALLING_AGENT,
        RequestStatus.CONNECTED,
        RequestStatus.COMPLETED,
        RequestStatus.CANCELED,
    ],
)
def test_call_now_refuses_a_request_that_is_not_scheduled(
    app: Flask, redis: Redis, status: RequestStatus
) -> None:
    request = make_request(status=status)
    with pytest.raises(Conflict) as refused:
        staff.call_now(db.session(), request, ACTOR)
    assert refused.value.code == "not_scheduled"
    assert status.value in refused.value.message
    db.session().commit()
    assert request.status == status
    assert _jobs(redis, request.id) == []
    assert _audits(request) == []


# reschedule


def test_reschedule_moves_the_dial_and_drops_the_old_job(app: Flask, redis: Redis) -> None:
    old_time = utcnow() + timedelta(minutes=30)
    request = _scheduled(old_time)
    old = enqueue_new_request(request.id, old_time)
    assert old is not None
    when = (utcnow() + timedelta(hours=2)).replace(microsecond=0)
    with _jobs_at_commit(redis, request.id) as at_commit:
        staff.reschedule(db.session(), request, when, ACTOR)
    assert at_commit == [[old.id]]
    db.session().refresh(request)
    assert (request.status, request.scheduled_for) == (RequestStatus.SCHEDULED, when)
    assert request.wanted_at == old_time  # the visitor's maximum wait counts as before
    assert not Job.exists(old.id, connection=redis)
    registry = _queue(redis).scheduled_job_registry
    (job_id,) = _jobs(redis, request.id)
    assert registry.get_scheduled_time(job_id) == when
    (audit,) = _audits(request)
    assert audit.action == "staff_reschedule"
    assert audit.details["scheduled_for"] == when.isoformat()


def test_a_queued_request_can_be_put_off_and_its_waiting_dial_goes(
    app: Flask, redis: Redis
) -> None:
    request = make_request(status=RequestStatus.QUEUED)
    queued = enqueue_new_request(request.id)
    assert queued is not None
    when = utcnow() + timedelta(minutes=20)
    staff.reschedule(db.session(), request, when, ACTOR)
    assert request.status == RequestStatus.SCHEDULED
    assert _queue(redis).job_ids == []
    assert len(_queue(redis).scheduled_job_registry.get_job_ids(cleanup=False)) == 1


def test_a_dial_job_that_read_the_row_before_a_reschedule_does_not_ring(app: Flask) -> None:
    request = make_request(status=RequestStatus.QUEUED)
    stale = db.session().get_one(CallbackRequest, request.id)  # the dial job's copy
    staff.reschedule(db.session(), request, utcnow() + timedelta(minutes=20), ACTOR)
    assert dialling(db.session(), stale) is False
    assert stale.status == RequestStatus.SCHEDULED


@pytest.mark.parametrize(
    "status", [RequestStatus.CALLING_AGENT, RequestStatus.CALLING_VISITOR, RequestStatus.FAILED]
)
def test_reschedule_refuses_a_request_already_ringing_or_ended(
    app: Flask, redis: Redis, status: RequestStatus
) -> None:
    request = make_request(status=status)
    with pytest.raises(Conflict) as refused:
        staff.reschedule(db.session(), request, utcnow() + timedelta(minutes=5), ACTOR)
    assert refused.value.code == "not_reschedulable"
    assert request.status == status
    assert _audits(request) == []


def _refused_time(redis: Redis, when: datetime, **widget: object) -> Invalid:
    """Refuse `when` for a request due in 30 minutes; check its time and job stay as they were."""
    due = utcnow() + timedelta(minutes=30)
    request = _scheduled(due, widget=make_widget(**widget))
    job = enqueue_dial(request.id, 1, at=due)
    assert job is not None
    with pytest.raises(Invalid) as refused:
        staff.reschedule(db.session(), request, when, ACTOR)
    db.session().commit()
    db.session().refresh(request)
    assert request.scheduled_for == due
    assert _jobs(redis, request.id) == [job.id]
    assert _audits(request) == []
    return refused.value


def test_reschedule_refuses_a_time_without_zone(app: Flask, redis: Redis) -> None:
    naive = (utcnow() + timedelta(hours=1)).replace(tzinfo=None)
    assert _refused_time(redis, naive).code == "time_without_zone"


def test_reschedule_refuses_a_time_in_the_past(app: Flask, redis: Redis) -> None:
    assert _refused_time(redis, utcnow() - timedelta(seconds=1)).code == "time_in_past"


def test_reschedule_refuses_a_time_past_the_widgets_maximum_wait(app: Flask, redis: Redis) -> None:
    # Asked for 30 minutes from now; the widget rings within 2 hours of that.
    refused = _refused_time(redis, utcnow() + timedelta(hours=3), max_wait_minutes=120)
    assert (refused.code, refused.field) == ("time_past_deadline", "when")


def test_reschedule_never_keeps_a_number_past_the_retention_cap(app: Flask, redis: Redis) -> None:
    week = 7 * 24 * 60
    refused = _refused_time(redis, utcnow() + timedelta(hours=30), max_wait_minutes=week)
    assert refused.code == "time_past_deadline"


def test_latest_time_is_the_earlier_of_the_maximum_wait_and_the_retention_cap(
    app: Flask,
) -> None:
    asked = utcnow() + timedelta(minutes=30)
    short = _scheduled(asked, widget=make_widget(max_wait_minutes=120))
    assert staff.latest_time(short) == asked + timedelta(hours=2) - staff.DEADLINE_MARGIN
    week = _scheduled(asked, widget=make_widget(max_wait_minutes=7 * 24 * 60))
    retention = timedelta(hours=app.config["RETENTION_MAX_HOURS"])
    assert staff.latest_time(week) == asked + retention - staff.DEADLINE_MARGIN
    # The latest time itself is accepted.
    staff.reschedule(db.session(), short, staff.latest_time(short), ACTOR)
    assert short.scheduled_for == staff.latest_time(short)


# retry


def test_retry_of_a_failed_request_says_its_number_is_gone(app: Flask, redis: Redis) -> None:
    request = make_request(status=RequestStatus.FAILED, phone=None, erased_at=utcnow())
    with pytest.raises(Conflict) as refused:
        staff.retry(db.session(), request, ACTOR)
    assert refused.value.code == "number_erased"
    assert "number was erased" in refused.value.message
    assert request.status == RequestStatus.FAILED
    assert _jobs(redis, request.id) == []


def test_retry_never_reopens_an_ended_request_even_with_a_leftover_number(
    app: Flask, redis: Redis
) -> None:
    request = make_request(status=RequestStatus.EXPIRED)  # a row that escaped erasure
    with pytest.raises(Conflict) as refused:
        staff.retry(db.session(), request, ACTOR)
    assert refused.value.code == "ended_request"
    db.session().refresh(request)
    assert request.status == RequestStatus.EXPIRED
    assert _jobs(redis, request.id) == []
    assert _audits(request) == []


def test_retry_rings_a_failed_round_again_now_once_committed(app: Flask, redis: Redis) -> None:
    request = _scheduled(utcnow() + timedelta(minutes=10), round=2)  # round 1 failed
    old = enqueue_new_request(request.id, request.scheduled_for)
    assert old is not None
    with _jobs_at_commit(redis, request.id) as at_commit:
        staff.retry(db.session(), request, ACTOR)
    assert at_commit == [[old.id]]
    db.session().refresh(request)
    assert request.status == RequestStatus.QUEUED
    assert request.scheduled_for is None
    (job_id,) = _jobs(redis, request.id)
    assert job_id.startswith(dial_job_id(request.id, 2) + "-now")
    (audit,) = _audits(request)
    assert (audit.action, audit.actor) == ("staff_retry", ACTOR)


@pytest.mark.parametrize(
    ("status", "round_number"),
    [
        (RequestStatus.SCHEDULED, 1),  # its first call has not been tried yet
        (RequestStatus.QUEUED, 1),
        (RequestStatus.COMPLETED, 1),
        (RequestStatus.CANCELED, 1),
    ],
)
def test_retry_refuses_a_request_that_did_not_fail(
    app: Flask, redis: Redis, status: RequestStatus, round_number: int
) -> None:
    request = make_request(status=status, round=round_number)
    with pytest.raises(Conflict) as refused:
        staff.retry(db.session(), request, ACTOR)
    assert refused.value.code == "not_retryable"
    assert _audits(request) == []


# cancel


def test_cancel_ends_a_ringing_request_erases_the_number_and_hangs_up_after_commit(
    app: Flask, redis: Redis
) -> None:
    request = make_request(status=RequestStatus.CALLING_AGENT)
    leftover = enqueue_dial(request.id, 1, at=utcnow() + timedelta(minutes=5), tag="w1")
    assert leftover is not None
    with _jobs_at_commit(redis, request.id) as at_commit:
        staff.cancel(db.session(), request, ACTOR)
    assert at_commit == [[leftover.id]]
    db.session().refresh(request)
    assert request.status == RequestStatus.CANCELED
    assert (request.phone, request.outcome) == (None, staff.STAFF_CANCEL_OUTCOME)
    assert _jobs(redis, request.id) == [hangup_job_id(request.id)]
    (audit,) = _audits(request)
    assert (audit.action, audit.actor) == ("request_canceled", ACTOR)
    assert audit.details["outcome"] == staff.STAFF_CANCEL_OUTCOME


def test_cancel_refuses_a_request_that_already_ended(app: Flask, redis: Redis) -> None:
    request = make_request(status=RequestStatus.COMPLETED, phone=None)
    with pytest.raises(Conflict) as refused:
        staff.cancel(db.session(), request, ACTOR)
    assert refused.value.code == "already_ended"
    assert request.status == RequestStatus.COMPLETED
    assert _jobs(redis, request.id) == []


# timeline


def _history(request: CallbackRequest) -> None:
    """Give the request a leg per side, their events and audit lines, numbers hidden in them."""
    start = request.created_at
    agent = make_agent(name="Ada")
    legs = [
        CallAttempt(
            request_id=request.id,
            leg=Leg.AGENT,
            attempt_number=1,
            agent_id=agent.id,
            call_sid="CA" + "a" * 32,
            status=AttemptStatus.COMPLETED,
            digits="1",
            created_at=start + timedelta(seconds=1),
            sent_at=start + timedelta(seconds=1),
            answered_at=start + timedelta(seconds=5),
            ended_at=start + timedelta(seconds=60),
        ),
        CallAttempt(
            request_id=request.id,
            leg=Leg.VISITOR,
            attempt_number=1,
            agent_id=agent.id,
            call_sid="CA" + "b" * 32,
            status=AttemptStatus.COMPLETED,
            created_at=start + timedelta(seconds=8),
            ended_at=start + timedelta(seconds=59),
        ),
    ]
    db.session().add_all(legs)
    db.session().flush()
    national = "020 7946 0123"
    db.session().add_all(
        [
            CallEvent(
                call_sid=legs[0].call_sid,
                attempt_id=legs[0].id,
                sequence_number=0,
                status="ringing",
                timestamp=start + timedelta(seconds=2),
                params={"CallDuration": "0", "Note": f"dialled {national}"},
            ),
            CallEvent(
                call_sid=legs[1].call_sid,
                attempt_id=None,
                sequence_number=0,
                status="completed",
                timestamp=start + timedelta(seconds=59),
                params={"CallDuration": "51", VISITOR_LANDLINE: "as a key"},
            ),
            AuditEntry(
                request_id=request.id,
                action="request_completed",
                actor="system",
                at=start + timedelta(seconds=60),
                details={"outcome": "talked", "by mistake": "+44 20 7946 0123 / 2079460123"},
            ),
        ]
    )
    db.session().commit()


def test_timeline_lists_the_requests_history_in_time_order(app: Flask) -> None:
    request = make_request(status=RequestStatus.CALLING_AGENT, created_at=utcnow() - AGO)
    _history(request)
    staff.cancel(db.session(), request, ACTOR)
    entries = staff.timeline(db.session(), request)
    kinds = [
        (entry["kind"], entry.get("action") or entry.get("leg") or entry["status"])
        for entry in entries
    ]
    assert kinds == [
        ("request", "received"),
        ("attempt", "agent"),
        ("call_event", "ringing"),
        ("attempt", "visitor"),
        ("call_event", "completed"),
        ("audit", "request_completed"),
        ("audit", "request_canceled"),
    ]
    times = [datetime.fromisoformat(entry["at"]) for entry in entries]
    assert times == sorted(times)
    agent_leg = entries[1]
    assert (agent_leg["agent_name"], agent_leg["status"]) == ("Ada", "completed")
    assert agent_leg["started_at"] == (request.created_at + timedelta(seconds=1)).isoformat()
    assert agent_leg["ended_at"] == (request.created_at + timedelta(seconds=60)).isoformat()


def test_timeline_holds_no_phone_number_in_any_format(app: Flask) -> None:
    request = make_request(status=RequestStatus.CALLING_AGENT, created_at=utcnow() - AGO)
    _history(request)
    staff.cancel(db.session(), request, ACTOR)
    text = json.dumps(staff.timeline(db.session(), request))
    for number in (VISITOR_LANDLINE, AGENT_PHONE):
        forms, significant = number_forms(number)
        assert not text_holds(text, forms, significant), number
    assert "[phone]" in text  # the numbers written by mistake were masked, not dropped
