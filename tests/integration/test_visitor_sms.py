"""Text messages to the visitor: which go out, in which words, when, and what they keep.

The real twilio library talks to the sandbox; jobs run in a burst worker. The sandbox's
own status callbacks go to PUBLIC_BASE_URL, which no test serves, so the callbacks
this service receives are posted here, signed as Twilio signs them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import select, update

import workers.sms
from callback import db
from callback.lifecycle import sms
from callback.lifecycle.requests import finish, forget, withdraw
from callback.lifecycle.sms_moves import move_message
from callback.lifecycle.staff import reschedule
from callback.metrics import metrics
from callback.models import (
    AttemptStatus,
    AuditEntry,
    CallAttempt,
    CallbackRequest,
    Leg,
    MessageKind,
    MessageStatus,
    RequestStatus,
    VisitorMessage,
    Widget,
    utcnow,
)
from callback.privacy.erase import erase_number
from callback.sandbox.control import SandboxControl
from callback.settings import SANDBOX_FROM_NUMBER
from tests.conftest import sandbox_serving
from tests.factories import (
    VISITOR_LANDLINE,
    VISITOR_TYPED,
    make_request,
    make_widget,
    session_connection,
)
from tests.ops_machinery import work_burst
from tests.residue import find_number
from tests.twilio_signing import signed_post
from tests.visitors import submitted
from workers.context import JobLog
from workers.provider_records import delete_provider_records
from workers.queues import CALLS_QUEUE, message_job_id, provider_job_id
from workers.reconcile import reconcile
from workers.sms import SEND_TRIES

WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
SATURDAY_NOON = datetime(2026, 11, 28, 12, tzinfo=UTC)
MONDAY_OPENING = datetime(2026, 11, 30, 8, tzinfo=UTC)  # 09:00 in Warsaw
UNSUBSCRIBED = "+15005550004"  # Twilio's magic number: 21610


@pytest.fixture
def sandbox(app: Flask) -> Iterator[SandboxControl]:
    with sandbox_serving(app.config) as url:
        control = SandboxControl(url)
        yield control
        control.reset()
        control.close()


def texting_widget(**fields: Any) -> Widget:
    return make_widget(sms_enabled=True, caller_id=SANDBOX_FROM_NUMBER, **fields)


def messages_of(request_id: object) -> dict[MessageKind, VisitorMessage]:
    session = db.session()
    session.expire_all()
    rows = session.scalars(select(VisitorMessage).where(VisitorMessage.request_id == request_id))
    return {row.kind: row for row in rows}


def ended_request(widget: Widget, status: RequestStatus, outcome: str, **fields: Any) -> Any:
    row = make_request(widget, status=RequestStatus.CALLING_AGENT, **fields)
    assert finish(db.session(), row, status, outcome)
    db.session().commit()
    return row


def texts_to(sandbox: SandboxControl, number: str) -> list[dict[str, Any]]:
    return [m for m in sandbox.messages() if m["to"] == number]


def message_status(client: FlaskClient, message: VisitorMessage, status: str, **extra: str) -> Any:
    params = {"MessageSid": message.message_sid or "SM" + "0" * 32, "MessageStatus": status}
    return signed_post(client, f"/twilio/messages/{message.id}/status", {**params, **extra})


def test_scheduled_request_is_confirmed_in_the_visitors_language_then_reminded(
    client: FlaskClient, redis: Redis, sandbox: SandboxControl
) -> None:
    widget = texting_widget(business_hours=WEEKDAYS, timezone="Europe/Warsaw", name="Sklep")
    with time_machine.travel(SATURDAY_NOON):
        request_id = submitted(client, widget.key, VISITOR_TYPED, locale="pl")
        sent = messages_of(request_id)
        reminder = sent[MessageKind.REMINDER]
        assert reminder.send_at == MONDAY_OPENING - timedelta(minutes=10)
        scheduled = Queue(CALLS_QUEUE, connection=redis).scheduled_job_registry
        job_id = message_job_id(reminder.id, reminder.send_at)
        assert scheduled.get_scheduled_time(job_id) == reminder.send_at
        work_burst(redis)

    [confirmation] = texts_to(sandbox, VISITOR_LANDLINE)
    assert (
        confirmation["body"]
        == "Sklep: termin rozmowy: pon. 30 lis, 09:00. Wtedy do Ciebie zadzwonimy."
    )
    assert confirmation["from"] == SANDBOX_FROM_NUMBER
    row = messages_of(request_id)[MessageKind.CONFIRMATION]
    assert (row.status, row.message_sid, row.to) == (
        MessageStatus.QUEUED,
        confirmation["sid"],
        None,
    )

    with time_machine.travel(reminder.send_at + timedelta(seconds=1)):
        work_burst(redis, with_scheduler=True)
    texts = texts_to(sandbox, VISITOR_LANDLINE)
    assert [t["body"] for t in texts][1:] == [
        "Sklep: zadzwonimy do Ciebie za kilka minut, o 09:00."
    ]
    assert messages_of(request_id)[MessageKind.REMINDER].status == MessageStatus.QUEUED


def test_english_confirmation_names_the_site_and_time_and_no_personal_data(
    client: FlaskClient, redis: Redis, sandbox: SandboxControl
) -> None:
    widget = texting_widget(business_hours=WEEKDAYS, timezone="Europe/London")
    with time_machine.travel(SATURDAY_NOON):
        submitted(client, widget.key, VISITOR_TYPED, locale="en-GB")
        work_burst(redis)

    [text] = texts_to(sandbox, VISITOR_LANDLINE)
    assert (
        text["body"]
        == "Example Ltd: your callback is scheduled for Mon 30 Nov, 09:00. We'll call you then."
    )
    assert find_number(VISITOR_LANDLINE, session_connection(), redis, text["body"]) == [
        "callback_requests.phone"  # the pending request's own, and only that
    ]


def test_a_callback_wanted_now_or_a_widget_without_sms_sends_nothing(
    client: FlaskClient, redis: Redis, sandbox: SandboxControl
) -> None:
    quiet = make_widget(business_hours=WEEKDAYS, caller_id=SANDBOX_FROM_NUMBER)
    now_widget = texting_widget(name="Open all hours")
    with time_machine.travel(SATURDAY_NOON):
        scheduled = submitted(client, quiet.key, VISITOR_TYPED)
        at_once = submitted(client, now_widget.key, "020 7946 0124")
        failed = ended_request(
            quiet, RequestStatus.FAILED, "no_agent_accepted", phone="+442079460777"
        )

    assert messages_of(scheduled) == messages_of(at_once) == messages_of(failed.id) == {}
    assert not [key for key in redis.scan_iter("rq:job:sms-*")]


def test_a_reminder_too_close_to_the_call_is_left_out(
    client: FlaskClient, redis: Redis, sandbox: SandboxControl
) -> None:
    widget = texting_widget(business_hours=WEEKDAYS, timezone="Europe/Warsaw")
    with time_machine.travel(MONDAY_OPENING - timedelta(minutes=11)):
        request_id = submitted(client, widget.key, VISITOR_TYPED)

    assert set(messages_of(request_id)) == {MessageKind.CONFIRMATION}


@pytest.mark.parametrize(
    ("status", "outcome", "words"),
    [
        (RequestStatus.FAILED, "no_agent_accepted", "en"),
        (RequestStatus.EXPIRED, "max_wait_exceeded", "pl"),
    ],
)
def test_failed_or_expired_request_gets_a_missed_text_and_then_holds_no_number(
    app: Flask,
    redis: Redis,
    sandbox: SandboxControl,
    caplog: pytest.LogCaptureFixture,
    status: RequestStatus,
    outcome: str,
    words: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    row = ended_request(texting_widget(name="Shop"), status, outcome, locale=words)
    missed = messages_of(row.id)[MessageKind.MISSED]
    # The request's number went with the move; the message's copy waits for the send.
    assert (row.phone, missed.to, missed.status) == (None, VISITOR_LANDLINE, MessageStatus.PENDING)

    work_burst(redis)

    [text] = texts_to(sandbox, VISITOR_LANDLINE)
    start = {
        "en": "Shop: we tried to call you back",
        "pl": "Shop: próbowaliśmy do Ciebie oddzwonić",
    }
    assert text["body"].startswith(start[words])
    missed = messages_of(row.id)[MessageKind.MISSED]
    assert (missed.status, missed.to, missed.message_sid) == (
        MessageStatus.QUEUED,
        None,
        text["sid"],
    )
    assert find_number(VISITOR_LANDLINE, session_connection(), redis, caplog.text) == []


@pytest.mark.parametrize(
    ("end", "outcome"),
    [("withdrawn", "visitor_canceled"), ("retention", "retention_cap")],
)
def test_withdrawn_or_retention_capped_requests_get_no_text(
    app: Flask, redis: Redis, sandbox: SandboxControl, end: str, outcome: str
) -> None:
    row = make_request(texting_widget(), status=RequestStatus.QUEUED)
    if end == "withdrawn":
        withdraw(db.session(), row, "visitor", outcome)
    else:
        forget(db.session(), row, RequestStatus.EXPIRED, outcome)
    db.session().commit()

    assert messages_of(row.id) == {}


def test_refused_text_fails_with_twilios_code_unretried_and_keeps_no_number(
    app: Flask, redis: Redis, sandbox: SandboxControl, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    row = ended_request(
        texting_widget(), RequestStatus.FAILED, "no_agent_accepted", phone=UNSUBSCRIBED
    )
    missed = messages_of(row.id)[MessageKind.MISSED]

    work_burst(redis, with_scheduler=True)

    missed = messages_of(row.id)[MessageKind.MISSED]
    assert (missed.status, missed.error_code, missed.to) == (MessageStatus.FAILED, 21610, None)
    job = Job.fetch(message_job_id(missed.id), connection=redis)
    assert job.get_status() == JobStatus.FINISHED  # a 4xx is not retried
    assert texts_to(sandbox, UNSUBSCRIBED) == []
    assert find_number(UNSUBSCRIBED, session_connection(), redis, caplog.text) == []


@pytest.mark.parametrize("respond", ["429", "500"])
def test_429_and_5xx_are_retried_with_backoff_until_sent(
    app: Flask, redis: Redis, sandbox: SandboxControl, respond: str
) -> None:
    sandbox.set_chaos(create={"respond": respond, "count": 1})
    row = ended_request(texting_widget(), RequestStatus.FAILED, "no_agent_accepted")

    work_burst(redis, with_scheduler=True)
    missed = messages_of(row.id)[MessageKind.MISSED]
    job = Job.fetch(message_job_id(missed.id), connection=redis)
    assert job.get_status() == JobStatus.SCHEDULED
    assert (missed.status, missed.tries, missed.to) == (MessageStatus.PENDING, 1, VISITOR_LANDLINE)

    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=1)):
        work_burst(redis, with_scheduler=True)
    missed = messages_of(row.id)[MessageKind.MISSED]
    assert (missed.status, missed.to) == (MessageStatus.QUEUED, None)
    assert len(texts_to(sandbox, VISITOR_LANDLINE)) == 1


def test_a_text_still_refused_after_its_last_try_fails_and_forgets_the_number(
    app: Flask, redis: Redis, sandbox: SandboxControl
) -> None:
    sandbox.set_chaos(create={"respond": "500", "count": 1})
    row = ended_request(texting_widget(), RequestStatus.FAILED, "no_agent_accepted")
    missed = messages_of(row.id)[MessageKind.MISSED]
    missed.tries = SEND_TRIES - 1
    db.session().commit()

    work_burst(redis)

    missed = messages_of(row.id)[MessageKind.MISSED]
    assert (missed.status, missed.reason, missed.to) == (MessageStatus.FAILED, "gave_up", None)
    assert missed.error_code == 20500


def test_status_callbacks_move_a_text_forward_only_and_forged_ones_are_refused(
    client: FlaskClient, redis: Redis, sandbox: SandboxControl
) -> None:
    row = ended_request(texting_widget(), RequestStatus.FAILED, "no_agent_accepted")
    work_burst(redis)
    missed = messages_of(row.id)[MessageKind.MISSED]

    assert message_status(client, missed, "delivered").status_code == 204
    assert message_status(client, missed, "sent").status_code == 204  # late: ignored
    forged = client.post(
        f"/twilio/messages/{missed.id}/status",
        data={"MessageSid": missed.message_sid, "MessageStatus": "failed"},
        headers={"X-Twilio-Signature": "forged"},
    )

    assert forged.status_code == 403
    assert messages_of(row.id)[MessageKind.MISSED].status == MessageStatus.DELIVERED
    counted = metrics().registry.get_sample_value(
        "callback_visitor_texts_total", {"kind": "missed", "status": "delivered"}
    )
    assert counted is not None
    assert counted >= 1


def test_undelivered_callback_records_twilios_error_code(
    client: FlaskClient, redis: Redis, sandbox: SandboxControl
) -> None:
    row = ended_request(texting_widget(), RequestStatus.FAILED, "no_agent_accepted")
    work_burst(redis)
    missed = messages_of(row.id)[MessageKind.MISSED]

    message_status(client, missed, "undelivered", ErrorCode="30003")

    missed = messages_of(row.id)[MessageKind.MISSED]
    assert (missed.status, missed.error_code) == (MessageStatus.UNDELIVERED, 30003)


def test_a_request_ending_cancels_its_reminder_and_unsent_confirmation(
    client: FlaskClient, redis: Redis, sandbox: SandboxControl
) -> None:
    widget = texting_widget(business_hours=WEEKDAYS)
    with time_machine.travel(SATURDAY_NOON):
        request_id = submitted(client, widget.key, VISITOR_TYPED)
        row = db.session().get_one(CallbackRequest, request_id)
        withdraw(db.session(), row, "visitor", "visitor_canceled")
        db.session().commit()
        work_burst(redis)

    statuses = {kind: m.status for kind, m in messages_of(request_id).items()}
    assert statuses == {
        MessageKind.CONFIRMATION: MessageStatus.CANCELED,
        MessageKind.REMINDER: MessageStatus.CANCELED,
    }
    assert texts_to(sandbox, VISITOR_LANDLINE) == []


def test_a_reminder_of_a_request_rescheduled_later_waits_for_the_new_time(
    client: FlaskClient, redis: Redis, sandbox: SandboxControl
) -> None:
    widget = texting_widget(business_hours=WEEKDAYS)
    with time_machine.travel(SATURDAY_NOON):
        request_id = submitted(client, widget.key, VISITOR_TYPED)
        work_burst(redis)
    row = db.session().get_one(CallbackRequest, request_id)
    row.scheduled_for = MONDAY_OPENING + timedelta(hours=2)
    db.session().commit()
    reminder = messages_of(request_id)[MessageKind.REMINDER]

    with time_machine.travel(reminder.send_at + timedelta(seconds=1)):
        work_burst(redis, with_scheduler=True)

    reminder = messages_of(request_id)[MessageKind.REMINDER]
    new_time = row.scheduled_for - timedelta(minutes=10)
    assert (reminder.status, reminder.send_at) == (MessageStatus.PENDING, new_time)
    scheduled = Queue(CALLS_QUEUE, connection=redis).scheduled_job_registry
    assert message_job_id(reminder.id, new_time) in scheduled.get_job_ids()


def test_reconciler_puts_back_a_lost_text_job(
    app: Flask, redis: Redis, sandbox: SandboxControl
) -> None:
    row = ended_request(texting_widget(), RequestStatus.FAILED, "no_agent_accepted")
    redis.flushdb()  # Redis lost the job
    later = datetime.now(UTC) + timedelta(seconds=app.config["RECONCILE_STALE_SECONDS"] + 5)

    with time_machine.travel(later):
        assert reconcile()["requeued_messages"] == 1
        work_burst(redis)

    assert messages_of(row.id)[MessageKind.MISSED].status == MessageStatus.QUEUED


def test_retention_and_a_subject_erasure_null_a_text_that_was_never_sent(
    app: Flask, redis: Redis
) -> None:
    old = ended_request(texting_widget(), RequestStatus.FAILED, "no_agent_accepted")
    erased = ended_request(
        texting_widget(name="Other"),
        RequestStatus.EXPIRED,
        "max_wait_exceeded",
        phone="+442079460555",
    )
    cap = timedelta(hours=app.config["RETENTION_MAX_HOURS"])

    with time_machine.travel(datetime.now(UTC) + cap + timedelta(minutes=1)):
        assert sms.forget_numbers_before(db.session(), datetime.now(UTC) - cap) == 2
    db.session().rollback()
    erase_number(db.session(), redis, "+442079460555", "admin")

    assert messages_of(erased.id)[MessageKind.MISSED].to is None
    assert messages_of(erased.id)[MessageKind.MISSED].status == MessageStatus.CANCELED
    assert messages_of(old.id)[MessageKind.MISSED].to == VISITOR_LANDLINE  # rolled back above
    assert find_number("+442079460555", session_connection(), redis) == []


def test_provider_records_wait_for_the_text_then_delete_it_at_twilio(
    app: Flask, client: FlaskClient, redis: Redis, sandbox: SandboxControl
) -> None:
    app.config["ERASE_PROVIDER_RECORDS"] = True
    row = ended_request(texting_widget(), RequestStatus.FAILED, "no_agent_accepted")
    work_burst(redis)  # the text goes out; the deletion waits for it to be delivered
    provider_job = Job.fetch(provider_job_id(row.id), connection=redis)
    assert provider_job.get_status() == JobStatus.SCHEDULED
    missed = messages_of(row.id)[MessageKind.MISSED]
    sandbox.wait_for_message(VISITOR_LANDLINE, "delivered")
    message_status(client, missed, "delivered")

    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=5)):
        work_burst(redis, with_scheduler=True)

    assert texts_to(sandbox, VISITOR_LANDLINE) == []
    [entry] = db.session().scalars(
        select(AuditEntry).filter_by(request_id=row.id, action="provider_records_deleted")
    )
    assert entry.details == {"calls": 0, "messages": 1}


def test_staff_moving_a_callback_earlier_moves_its_reminder_earlier(
    client: FlaskClient, redis: Redis, sandbox: SandboxControl
) -> None:
    widget = texting_widget(business_hours=WEEKDAYS)
    with time_machine.travel(SATURDAY_NOON):
        request_id = submitted(client, widget.key, VISITOR_TYPED)
        row = db.session().get_one(CallbackRequest, request_id)
        earlier = MONDAY_OPENING - timedelta(hours=3)
        reschedule(db.session(), row, earlier, "staff@example.com")

    reminder = messages_of(request_id)[MessageKind.REMINDER]
    due = earlier - timedelta(minutes=10)
    assert reminder.send_at == due
    scheduled = Queue(CALLS_QUEUE, connection=redis).scheduled_job_registry
    assert message_job_id(reminder.id, due) in scheduled.get_job_ids()


def test_a_reminder_whose_callback_is_rung_early_while_pacing_is_not_sent(
    client: FlaskClient, redis: Redis, sandbox: SandboxControl, monkeypatch: pytest.MonkeyPatch
) -> None:
    widget = texting_widget(business_hours=WEEKDAYS)
    with time_machine.travel(SATURDAY_NOON):
        request_id = submitted(client, widget.key, VISITOR_TYPED)
        work_burst(redis)
    reminder = messages_of(request_id)[MessageKind.REMINDER]

    def rung_early_meanwhile() -> bool:
        # Staff pressed "call now" while the job waited for its pacing token.
        db.session().execute(
            update(CallbackRequest)
            .where(CallbackRequest.id == request_id)
            .values(status=RequestStatus.QUEUED)
        )
        return True

    monkeypatch.setattr(workers.sms, "_paced", rung_early_meanwhile)
    with time_machine.travel(reminder.send_at + timedelta(seconds=1)):
        work_burst(redis, with_scheduler=True)

    reminder = messages_of(request_id)[MessageKind.REMINDER]
    assert (reminder.status, reminder.reason) == (MessageStatus.CANCELED, "request_moved_on")
    assert len(texts_to(sandbox, VISITOR_LANDLINE)) == 1  # the confirmation only


def test_admin_api_turns_texts_on_and_the_openapi_document_shows_the_settings(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    widget = make_widget()
    url = f"/api/v1/admin/widgets/{widget.key}"
    shown = client.get(url, headers=admin_headers).get_json()
    assert (shown["sms_enabled"], shown["sms_reminder_minutes"]) == (False, 10)

    patched = client.patch(
        url, json={"sms_enabled": True, "sms_reminder_minutes": 30}, headers=admin_headers
    )

    assert patched.status_code == 200, patched.text
    assert (patched.get_json()["sms_enabled"], patched.get_json()["sms_reminder_minutes"]) == (
        True,
        30,
    )
    for bad in ({"sms_enabled": "yes"}, {"sms_reminder_minutes": 0}):
        refused = client.patch(url, json=bad, headers=admin_headers)
        assert refused.status_code == 422
        assert refused.get_json()["error"]["field"] == next(iter(bad))
    document = client.get("/api/v1/openapi.json").get_json()
    properties = document["components"]["schemas"]["WidgetUpdate"]["properties"]
    assert {"sms_enabled", "sms_reminder_minutes"} <= set(properties)


def test_a_lost_create_answer_is_not_retried_and_the_callbacks_settle_the_text(
    app: Flask, client: FlaskClient, redis: Redis, sandbox: SandboxControl
) -> None:
    app.config["TWILIO_READ_TIMEOUT"] = 0.3  # before the job builds its client
    sandbox.set_chaos(create={"respond": "hang", "count": 1, "hang_seconds": 1.5})
    row = ended_request(texting_widget(), RequestStatus.FAILED, "no_agent_accepted")

    work_burst(redis, with_scheduler=True)

    missed = messages_of(row.id)[MessageKind.MISSED]
    assert (missed.status, missed.to, missed.message_sid) == (MessageStatus.UNKNOWN, None, None)
    job = Job.fetch(message_job_id(missed.id), connection=redis)
    assert job.get_status() == JobStatus.FINISHED  # at most once: no retry
    [text] = texts_to(sandbox, VISITOR_LANDLINE)  # it did go out

    signed_post(
        client,
        f"/twilio/messages/{missed.id}/status",
        {"MessageSid": text["sid"], "MessageStatus": "delivered"},
    )

    missed = messages_of(row.id)[MessageKind.MISSED]
    assert (missed.status, missed.message_sid) == (MessageStatus.DELIVERED, text["sid"])
    assert len(texts_to(sandbox, VISITOR_LANDLINE)) == 1


def test_a_stale_run_neither_releases_nor_ends_a_text_another_run_is_sending(app: Flask) -> None:
    # Two runs of the send job for one text (the reconciler's copy and RQ's retry, say):
    # run A claimed it and waits for Twilio's answer; run B read it as pending before.
    row = ended_request(texting_widget(), RequestStatus.FAILED, "no_agent_accepted")
    missed = messages_of(row.id)[MessageKind.MISSED]
    session = db.session()
    claimed_at = utcnow()
    assert move_message(session, missed, MessageStatus.UNKNOWN, {"sent_at": claimed_at})
    session.commit()
    stale = messages_of(row.id)[MessageKind.MISSED]
    log = JobLog(logging.getLogger(__name__), {})

    # B found no pacing token: it may not put A's text back to pending (A would send it,
    # then B's retry would claim and send it again).
    with pytest.raises(workers.sms.RetryableMessageError):
        workers.sms._retry_later(session, stale, None, "no pacing token", log, None)
    assert messages_of(row.id)[MessageKind.MISSED].status == MessageStatus.UNKNOWN

    # B on its last try gives up: A's send is not ended, and its number stays for A.
    session.execute(update(VisitorMessage).values(tries=SEND_TRIES - 1))
    session.commit()
    stale = messages_of(row.id)[MessageKind.MISSED]
    assert workers.sms._retry_later(session, stale, None, "no pacing token", log, None) == "failed"
    held = messages_of(row.id)[MessageKind.MISSED]
    assert (held.status, held.to) == (MessageStatus.UNKNOWN, VISITOR_LANDLINE)

    # A itself, refused with a 429, does put it back for its retry.
    session.execute(update(VisitorMessage).values(tries=0))
    session.commit()
    with pytest.raises(workers.sms.RetryableMessageError):
        workers.sms._retry_later(session, held, 20429, "twilio 429/20429", log, claimed_at)
    assert messages_of(row.id)[MessageKind.MISSED].status == MessageStatus.PENDING


def test_a_text_whose_create_answer_was_lost_does_not_keep_the_calls_at_twilio(
    app: Flask, sandbox: SandboxControl
) -> None:
    app.config["ERASE_PROVIDER_RECORDS"] = True
    row = ended_request(texting_widget(), RequestStatus.FAILED, "no_agent_accepted")
    session = db.session()
    session.add(
        CallAttempt(
            request_id=row.id,
            leg=Leg.AGENT,
            attempt_number=1,
            call_sid="CA" + "1" * 32,
            status=AttemptStatus.COMPLETED,
        )
    )
    # Claimed and sent, its answer lost and no status callback ever came: no SID.
    session.execute(
        update(VisitorMessage).values(status=MessageStatus.UNKNOWN, sent_at=utcnow(), to=None)
    )
    session.commit()

    assert delete_provider_records(str(row.id)) == 1

    [entry] = db.session().scalars(
        select(AuditEntry).filter_by(request_id=row.id, action="provider_records_deleted")
    )
    assert entry.details == {"calls": 1, "messages": 0}
