"""The retention cap: numbers past RETENTION_MAX_HOURS are erased, whatever the status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from redis import Redis
from rq.cron import CronScheduler
from rq.job import Job
from sqlalchemy import select

from callback import db
from callback.models import AuditEntry, CallbackRequest, RequestStatus
from tests.factories import VISITOR_LANDLINE, make_request, session_connection
from tests.residue import find_number
from workers.queues import hangup_job_id
from workers.retention import erase_expired, register_retention, run_retention

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
CAP = timedelta(hours=24)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def stored(status: RequestStatus, scheduled_for: datetime | None = None) -> CallbackRequest:
    # As intake stores it: the visitor wanted the call at the chosen time, or at once.
    return make_request(status=status, scheduled_for=scheduled_for, wanted_at=scheduled_for)


def reloaded(row: CallbackRequest) -> CallbackRequest:
    db.session().refresh(row)
    return row


def test_number_is_kept_until_the_cap_then_expired(
    app: Flask, clock: time_machine.Traveller
) -> None:
    row = stored(RequestStatus.CALLING_AGENT)
    clock.shift(CAP - timedelta(minutes=1))
    assert erase_expired() == 0
    assert reloaded(row).phone == VISITOR_LANDLINE
    clock.shift(timedelta(minutes=2))
    assert erase_expired() == 1
    row = reloaded(row)
    assert (row.status, row.outcome, row.phone) == (RequestStatus.EXPIRED, "retention_cap", None)
    [entry] = db.session().scalars(select(AuditEntry).filter_by(request_id=row.id)).all()
    assert entry.action == "request_expired"


def test_scheduled_callback_keeps_its_number_until_its_time_plus_the_cap(
    app: Flask, clock: time_machine.Traveller
) -> None:
    row = stored(RequestStatus.SCHEDULED, scheduled_for=START + timedelta(days=3))
    clock.shift(timedelta(days=3) + CAP - timedelta(minutes=1))
    assert erase_expired() == 0
    clock.shift(timedelta(minutes=2))
    assert erase_expired() == 1
    assert reloaded(row).status == RequestStatus.EXPIRED


def test_ended_request_still_holding_a_number_is_erased_without_changing_its_status(
    app: Flask, clock: time_machine.Traveller
) -> None:
    row = stored(RequestStatus.FAILED)
    clock.shift(CAP + timedelta(minutes=1))
    assert erase_expired() == 1
    row = reloaded(row)
    assert (row.status, row.phone) == (RequestStatus.FAILED, None)


def test_expired_live_request_leaves_no_residue_and_ends_its_calls(
    app: Flask, redis: Redis, clock: time_machine.Traveller
) -> None:
    row = stored(RequestStatus.CALLING_VISITOR)
    clock.shift(CAP + timedelta(hours=1))
    assert run_retention() == 1
    assert Job.exists(hangup_job_id(row.id), connection=redis)
    assert find_number(VISITOR_LANDLINE, session_connection(), redis) == []


def test_retention_runs_on_rq_cron(app: Flask, redis: Redis) -> None:
    scheduler = CronScheduler(connection=redis)
    register_retention(scheduler)
    [job] = scheduler.get_jobs()
    assert job.func is run_retention
    assert job.interval is not None
    assert job.interval <= 3600


def test_retry_rounds_never_extend_the_cap(app: Flask, clock: time_machine.Traveller) -> None:
    # Asked for at once, then moved to a later round: the cap still counts from the asking.
    row = make_request(status=RequestStatus.SCHEDULED, wanted_at=START)
    row.scheduled_for = START + CAP  # a retry round far off
    db.session().commit()
    clock.shift(CAP + timedelta(minutes=1))
    assert erase_expired() == 1
    assert reloaded(row).phone is None
