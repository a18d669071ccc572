"""No dead ends: every status a request waits in has a way out when its event never comes.

Each test leaves a request where the issue found one stuck (a lost job, a killed worker,
a deleted agent, an agent who hung up after pressing 1) and runs the reconciler, as the
`callback cron` process does every 30 seconds; docs/lifecycle.md lists them.
"""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from rq.utils import now
from sqlalchemy import select

from callback import db
from callback.models import (
    Agent,
    AttemptStatus,
    CallAttempt,
    CallbackRequest,
    Leg,
    RequestStatus,
    utcnow,
)
from callback.sandbox.control import SandboxControl
from callback.settings import SANDBOX_FROM_NUMBER
from callback.telephony import twilio_client
from tests.factories import CALLER_ID, make_agent, make_request, make_widget
from tests.lifecycle.conftest import LONG_AGO
from workers.queues import CALLS_QUEUE, enqueue_reconcile_dial, reconcile_dial_job_id
from workers.reconcile import ReconcileIncomplete, reconcile

AGENTS = [("Ada", "+442079460001"), ("Bea", "+442079460002")]


def _aged(status: RequestStatus, **fields: object) -> CallbackRequest:
    """A request whose last change is older than the reconciler's cut-off."""
    return make_request(status=status, updated_at=utcnow() - LONG_AGO, **fields)


def _leg(row: CallbackRequest, leg: Leg, status: AttemptStatus, **fields: object) -> CallAttempt:
    attempt = CallAttempt(
        request_id=row.id,
        leg=leg,
        attempt_number=fields.pop("attempt_number", 1),
        status=status,
        created_at=utcnow() - LONG_AGO,
        **fields,
    )
    db.session().add(attempt)
    db.session().commit()
    return attempt


def _dial_jobs(redis: Redis, request_id: uuid.UUID) -> list[str]:
    return [j for j in Queue(CALLS_QUEUE, connection=redis).job_ids if str(request_id) in j]


def test_a_scheduled_request_whose_job_was_lost_is_dialled_after_its_time(
    app: Flask, redis: Redis
) -> None:
    row = _aged(RequestStatus.SCHEDULED, scheduled_for=utcnow() - LONG_AGO)
    assert reconcile()["requeued"] == 1
    assert _dial_jobs(redis, row.id) == [reconcile_dial_job_id(row.id, 1)]


@pytest.mark.parametrize("dead", [JobStatus.FAILED, JobStatus.STOPPED, "abandoned"])
def test_a_dead_job_never_blocks_new_work_for_the_same_request(
    app: Flask, redis: Redis, dead: str
) -> None:
    row = _aged(RequestStatus.QUEUED)
    held = enqueue_reconcile_dial(row.id, 1)
    assert held is not None
    Queue(CALLS_QUEUE, connection=redis).remove(held)
    if dead == "abandoned":  # started by a worker killed with -9 long ago
        held.set_status(JobStatus.STARTED)
        held.started_at = now() - LONG_AGO
        held.save()
    else:
        held.set_status(JobStatus(dead))
    assert reconcile()["requeued"] == 1
    assert _dial_jobs(redis, row.id) == [held.id]
    assert Job.fetch(held.id, connection=redis).get_status() == JobStatus.QUEUED


def test_a_job_still_running_is_not_doubled(app: Flask, redis: Redis) -> None:
    row = _aged(RequestStatus.QUEUED)
    held = enqueue_reconcile_dial(row.id, 1)
    assert held is not None
    held.set_status(JobStatus.STARTED)
    held.started_at = now()
    held.save()
    assert enqueue_reconcile_dial(row.id, 1) is None


def test_a_leg_whose_job_died_before_sending_is_ruled_out_and_dialled_again(
    app: Flask, redis: Redis
) -> None:
    row = _aged(RequestStatus.CALLING_AGENT)
    leg = _leg(row, Leg.AGENT, AttemptStatus.PENDING, agent_id=make_agent().id)
    reconcile()
    db.session().refresh(leg)
    assert leg.status == AttemptStatus.NOT_CREATED
    assert _dial_jobs(redis, row.id) == [reconcile_dial_job_id(row.id, 1)]


def test_an_unknown_leg_of_a_deleted_agent_stops_nothing(app: Flask, redis: Redis) -> None:
    orphan = _aged(RequestStatus.CALLING_AGENT)
    leg = _leg(orphan, Leg.AGENT, AttemptStatus.UNKNOWN, agent_id=None)
    other = _aged(RequestStatus.QUEUED, phone="+442079460124")
    reconcile()
    db.session().refresh(leg)
    assert leg.status == AttemptStatus.NOT_CREATED
    assert _dial_jobs(redis, other.id) == [reconcile_dial_job_id(other.id, 1)]
    assert _dial_jobs(redis, orphan.id) == [reconcile_dial_job_id(orphan.id, 1)]


def test_one_row_that_fails_stops_no_other_and_is_reported(app: Flask, redis: Redis) -> None:
    app.config["TWILIO_API_BASE_URL"] = "http://127.0.0.1:9"  # nothing answers: listing fails
    broken = _aged(RequestStatus.CALLING_AGENT)
    leg = _leg(broken, Leg.AGENT, AttemptStatus.UNKNOWN, agent_id=make_agent().id)
    other = _aged(RequestStatus.QUEUED, phone="+442079460124")
    with pytest.raises(ReconcileIncomplete, match=f"CallAttempt:{leg.id}"):
        reconcile()
    assert _dial_jobs(redis, other.id) == [reconcile_dial_job_id(other.id, 1)]
    db.session().refresh(leg)
    assert leg.status == AttemptStatus.UNKNOWN  # untouched: tried again next run


def test_an_agent_who_hangs_up_after_pressing_1_leaves_no_request_stuck(
    sandbox_url: str, app: Flask, redis: Redis
) -> None:
    widget = make_widget(retry_intervals=[0])
    row = _aged(RequestStatus.CALLING_VISITOR, widget=widget)
    agent = make_agent()
    _leg(
        row,
        Leg.AGENT,
        AttemptStatus.COMPLETED,
        agent_id=agent.id,
        digits="1",
        call_sid="CA" + "1" * 32,
        ended_at=utcnow() - LONG_AGO,
    )
    visitor = _leg(row, Leg.VISITOR, AttemptStatus.QUEUED, agent_id=agent.id)
    reconcile()
    db.session().refresh(row)
    db.session().refresh(visitor)
    assert visitor.status == AttemptStatus.NOT_CREATED
    assert (row.status, row.round) == (RequestStatus.SCHEDULED, 2)
    assert row.phone is not None  # kept for the next round, which is on its way
    scheduled = ScheduledJobRegistry(CALLS_QUEUE, connection=redis).get_job_ids()
    assert scheduled == [f"dial-{row.id}-r2-s0"]


def test_a_deleted_agent_with_recent_calls_is_deactivated_not_deleted(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    agent = make_agent()
    _leg(make_request(), Leg.AGENT, AttemptStatus.RINGING, agent_id=agent.id)
    response = client.delete(f"/api/v1/admin/agents/{agent.id}", headers=admin_headers)
    assert response.status_code == 200
    assert response.get_json()["deactivated"] is True
    kept = db.session().scalars(select(Agent).filter_by(id=agent.id)).one()
    assert (kept.active, kept.available) == (False, False)
    idle = make_agent(phone="+442079460002")
    gone = client.delete(f"/api/v1/admin/agents/{idle.id}", headers=admin_headers)
    assert gone.status_code == 204


def test_a_caller_who_left_the_line_unheard_is_counted_as_abandoned(
    sandbox_url: str, app: Flask, redis: Redis
) -> None:
    # The Enqueue action that says the caller hung up never came: Twilio's answer does.
    sandbox = SandboxControl(sandbox_url)
    sandbox.set_phone(CALLER_ID, manual=True)  # rings until someone acts: a live call
    hold = '<Response><Pause length="120"/></Response>'
    gone = twilio_client().calls.create(to=CALLER_ID, from_=SANDBOX_FROM_NUMBER, twiml=hold)
    sandbox.hangup(str(gone.sid))
    still = twilio_client().calls.create(to=CALLER_ID, from_=SANDBOX_FROM_NUMBER, twiml=hold)
    sandbox.wait_for_call(str(gone.sid))
    widget = make_widget(line_enabled=True)
    unheard = utcnow() - LONG_AGO
    left = _aged(RequestStatus.QUEUED, widget=widget, phone=None, channel="phone",
                 line_call_sid=gone.sid, on_line=True, line_seen_at=unheard)  # fmt: skip
    waiting = _aged(RequestStatus.QUEUED, widget=widget, phone=None, channel="phone",
                    line_call_sid=still.sid, on_line=True, line_seen_at=unheard)  # fmt: skip
    assert reconcile()["callers_checked"] == 2
    db.session().refresh(left)
    db.session().refresh(waiting)
    assert (left.status, left.outcome, left.on_line) == (
        RequestStatus.CANCELED,
        "caller_hung_up",
        False,
    )
    assert (waiting.status, waiting.on_line) == (RequestStatus.QUEUED, True)
    sandbox.hangup(str(still.sid))
    sandbox.reset()


def test_a_busy_answer_from_twilio_leaves_no_agent_of_a_simultaneous_round_looking_busy(
    sandbox_url: str, app: Flask, redis: Redis
) -> None:
    from workers.dial import RetryableTwilioError, dial  # noqa: PLC0415

    widget = make_widget(ring_strategy="simultaneous", caller_id=CALLER_ID)
    agents = [make_agent(name=name, phone=phone) for name, phone in AGENTS]
    row = make_request(widget)
    SandboxControl(sandbox_url).set_chaos(create={"respond": "429", "count": 1})
    with pytest.raises(RetryableTwilioError):
        dial(str(row.id))  # the first leg's create is answered 429; RQ retries the job
    legs = db.session().scalars(select(CallAttempt).where(CallAttempt.request_id == row.id))
    assert sorted((leg.agent_id, leg.status) for leg in legs) == [
        (agent.id, AttemptStatus.NOT_CREATED) for agent in agents
    ]
    # So the retry rings them all again, rather than finding them on a call.
    assert dial(str(row.id)) == "dialled,dialled"
