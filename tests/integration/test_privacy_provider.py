"""ERASE_PROVIDER_RECORDS: a finished request's calls are deleted at Twilio (the sandbox)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from redis import Redis
from rq.job import Job, JobStatus
from sqlalchemy import select

from callback import db
from callback.lifecycle.requests import finish
from callback.models import AuditEntry, CallAttempt, CallbackRequest, Leg, RequestStatus
from callback.sandbox.control import SandboxControl
from callback.settings import SANDBOX_FROM_NUMBER
from callback.telephony import twilio_client
from tests.conftest import sandbox_serving
from tests.factories import AGENT_PHONE, make_agent, make_request
from tests.ops_machinery import work_burst
from workers.queues import provider_job_id

HOLD = '<Response><Pause length="120"/></Response>'


@pytest.fixture
def sandbox(app: Flask) -> Iterator[SandboxControl]:
    app.config["ERASE_PROVIDER_RECORDS"] = True
    with sandbox_serving(app.config, time_scale=1.0) as url:
        control = SandboxControl(url)
        yield control
        control.reset()
        control.close()


def place_call(sandbox: SandboxControl, end: bool) -> str:
    call = twilio_client().calls.create(to=AGENT_PHONE, from_=SANDBOX_FROM_NUMBER, twiml=HOLD)
    sid = str(call.sid)
    if end:
        end_call(sandbox, sid)
    return sid


def end_call(sandbox: SandboxControl, sid: str) -> None:
    twilio_client().calls(sid).update(status="completed")
    sandbox.wait_for_call(sid)


def request_with_calls(*sids: str) -> CallbackRequest:
    agent = make_agent()
    row = make_request(status=RequestStatus.CONNECTED)
    for number, (leg, sid) in enumerate(zip((Leg.AGENT, Leg.VISITOR), sids, strict=False), 1):
        db.session().add(
            CallAttempt(
                request_id=row.id, leg=leg, attempt_number=number, agent_id=agent.id, call_sid=sid
            )
        )
    db.session().commit()
    return row


def end_request(row: CallbackRequest) -> None:
    finish(db.session(), row, RequestStatus.COMPLETED, "talked")
    db.session().commit()


def sandbox_sids(sandbox: SandboxControl) -> set[str]:
    return {call["sid"] for call in sandbox.calls()}


def deletions(sandbox: SandboxControl) -> list[str]:
    return [r["path"] for r in sandbox.requests() if r["method"] == "DELETE"]


def test_ended_request_has_its_calls_deleted_at_twilio_and_audited(
    app: Flask, redis: Redis, sandbox: SandboxControl
) -> None:
    sids = [place_call(sandbox, end=True), place_call(sandbox, end=True)]
    row = request_with_calls(*sids)
    end_request(row)
    assert Job.exists(provider_job_id(row.id), connection=redis)
    work_burst(redis, with_scheduler=True)
    assert sandbox_sids(sandbox).isdisjoint(sids)
    assert len(deletions(sandbox)) == 2
    [entry] = db.session().scalars(
        select(AuditEntry).filter_by(request_id=row.id, action="provider_records_deleted")
    )
    assert entry.details == {"calls": 2, "messages": 0}


def test_live_call_is_retried_with_backoff_until_it_can_be_deleted(
    app: Flask, redis: Redis, sandbox: SandboxControl
) -> None:
    sid = place_call(sandbox, end=False)
    row = request_with_calls(sid)
    end_request(row)
    work_burst(redis, with_scheduler=True)
    job = Job.fetch(provider_job_id(row.id), connection=redis)
    assert job.get_status() == JobStatus.SCHEDULED  # Twilio refused: the call is live
    assert sid in sandbox_sids(sandbox)
    end_call(sandbox, sid)
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=5)):
        work_burst(redis, with_scheduler=True)
    assert job.get_status() == JobStatus.FINISHED
    assert sid not in sandbox_sids(sandbox)


def test_nothing_is_deleted_at_twilio_when_the_setting_is_off(
    app: Flask, redis: Redis, sandbox: SandboxControl
) -> None:
    app.config["ERASE_PROVIDER_RECORDS"] = False
    row = request_with_calls(place_call(sandbox, end=True))
    end_request(row)
    assert not Job.exists(provider_job_id(row.id), connection=redis)


def test_a_phone_line_callers_own_call_is_deleted_too(
    app: Flask, redis: Redis, sandbox: SandboxControl
) -> None:
    # The caller's inbound call holds their number at Twilio even if no agent was rung.
    caller_call = place_call(sandbox, end=True)
    row = make_request(phone=None, channel="phone", line_call_sid=caller_call, on_line=True)
    db.session().commit()
    finish(db.session(), row, RequestStatus.CANCELED, "caller_hung_up")
    db.session().commit()
    work_burst(redis, with_scheduler=True)
    assert caller_call not in sandbox_sids(sandbox)
    [deleted] = deletions(sandbox)
    assert deleted.endswith(f"/Calls/{caller_call}.json")
