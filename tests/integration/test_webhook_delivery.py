"""Webhooks reach a real receiver signed and in order, retried, given up on, replayed.

Jobs run on the real Redis through an RQ worker in burst mode (with its scheduler, which
enqueues a retry once the moved clock reaches it); the receiver is a real HTTP server
on loopback that checks every signature the way a widget owner's server would.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from redis import Redis
from sqlalchemy import select

import workers.webhooks
from callback import db
from callback.errors import Conflict
from callback.integrations import events
from callback.integrations.deliveries import CLAIM_SECONDS, FIRST_RETRY_SECONDS, claim
from callback.integrations.endpoints import add_endpoint, change_endpoint, replay
from callback.integrations.outbound import TOO_SLOW
from callback.models import (
    AuditEntry,
    CallbackRequest,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    Widget,
)
from callback.privacy.erase import erase_number
from tests.factories import VISITOR_LANDLINE, make_request, make_widget, session_connection
from tests.ops_machinery import work_burst
from tests.receivers import smtp_server
from tests.residue import find_number
from tests.webhook_receiver import Receiver, Reply, receiving
from workers.queues import INTEGRATIONS_QUEUE
from workers.retention import WEBHOOK_DAYS, sweep_webhook_records
from workers.webhooks import MOST_PER_JOB, deliver_webhooks, due_lines, sweep

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
OTHER_VISITOR = "+442079460456"
# The widget's own notice says the number is shared, under the version requests carry.
SHARED = {"privacy_notice": "We pass your number to our CRM.", "consent_version": "t"}


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def receiver(app: Flask) -> Iterator[Receiver]:
    with receiving() as serving:
        yield serving


def run_jobs(redis: Redis) -> None:
    """Run the integrations queue until empty, moving scheduled jobs that are due."""
    work_burst(redis, with_scheduler=True, queue=INTEGRATIONS_QUEUE)


def listening(receiver: Receiver, *types: str, **widget_fields: object) -> CallbackRequest:
    """Return a request of a widget whose endpoint (the receiver) listens to `types`."""
    widget = make_widget(**widget_fields)
    endpoint = add_endpoint(db.session(), widget, receiver.url, list(types), actor="test")
    db.session().commit()
    receiver.secret = endpoint.secret
    return make_request(widget)


def announce(request: CallbackRequest, *types: str) -> list[WebhookEvent]:
    """Record the request's events as its moves would, and commit (which enqueues)."""
    recorded = [
        events.record(db.session(), request.widget, request, kind, phone=request.phone)
        for kind in types
    ]
    db.session().commit()
    return [event for event in recorded if event is not None]


def deliveries() -> list[WebhookDelivery]:
    return list(db.session().scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def attempts() -> list[WebhookAttempt]:
    return list(db.session().scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)))


def refreshed() -> None:
    db.session().expire_all()  # the job committed in its own session


def test_events_arrive_signed_in_order_with_the_standard_headers(
    redis: Redis, receiver: Receiver
) -> None:
    request = listening(receiver, events.REQUESTED, events.COMPLETED)
    requested, _ = announce(request, events.REQUESTED, events.COMPLETED)
    run_jobs(redis)
    assert receiver.forged == 0
    assert receiver.types == [events.REQUESTED, events.COMPLETED]
    first = receiver.received[0]
    assert first.headers["webhook-id"] == requested.message_id
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["User-Agent"].startswith("Callback-Webhooks/")
    assert first.payload["data"]["request_id"] == str(request.id)
    assert "visitor" not in first.payload["data"]  # the widget did not opt in
    refreshed()
    assert [d.state for d in deliveries()] == ["delivered", "delivered"]
    assert [(a.status_code, a.error, a.manual) for a in attempts()] == [(204, None, False)] * 2


def test_order_is_kept_while_the_head_is_retried(
    redis: Redis, receiver: Receiver, clock: time_machine.Traveller
) -> None:
    receiver.answer(Reply(500))
    request = listening(receiver, events.REQUESTED, events.COMPLETED)
    announce(request, events.REQUESTED, events.COMPLETED)
    run_jobs(redis)
    assert receiver.types == [events.REQUESTED]  # completed waits behind the failed head
    refreshed()
    head, behind = deliveries()
    assert (head.state, head.attempts, head.last_status_code) == ("pending", 1, 500)
    assert head.next_attempt_at > START
    assert (behind.state, behind.attempts) == ("pending", 0)
    clock.shift(timedelta(minutes=5))
    run_jobs(redis)
    assert receiver.types == [events.REQUESTED, events.REQUESTED, events.COMPLETED]
    first_try, retry = receiver.received[:2]
    assert first_try.headers["webhook-id"] == retry.headers["webhook-id"]  # one message
    refreshed()
    assert [d.state for d in deliveries()] == ["delivered", "delivered"]
    assert db.session().get_one(WebhookEndpoint, head.endpoint_id).failing_since is None


def test_retry_after_of_a_429_is_honoured(
    redis: Redis, receiver: Receiver, clock: time_machine.Traveller
) -> None:
    receiver.answer(Reply(429, {"Retry-After": "120"}))
    announce(listening(receiver, events.REQUESTED), events.REQUESTED)
    run_jobs(redis)
    refreshed()
    [delivery] = deliveries()
    assert delivery.next_attempt_at == START + timedelta(seconds=120)
    clock.shift(timedelta(seconds=119))
    run_jobs(redis)
    assert len(receiver.received) == 1  # not before the receiver asked
    clock.shift(timedelta(seconds=2))
    run_jobs(redis)
    assert len(receiver.received) == 2
    refreshed()
    assert deliveries()[0].state == "delivered"


@pytest.mark.parametrize(
    ("reply", "error"),
    [(Reply(400), None), (Reply(410), None), (Reply(302, {"Location": "http://10.0.0.1/"}),
                                             "redirects are not followed")],
)  # fmt: skip
def test_a_refusal_fails_at_once_and_the_line_moves_on(
    redis: Redis, receiver: Receiver, reply: Reply, error: str | None
) -> None:
    receiver.answer(reply)
    request = listening(receiver, events.REQUESTED, events.CANCELED)
    announce(request, events.REQUESTED, events.CANCELED)
    run_jobs(redis)
    assert receiver.types == [events.REQUESTED, events.CANCELED]
    refreshed()
    refused, next_one = deliveries()
    assert (refused.state, refused.attempts, refused.last_error) == ("failed", 1, error)
    assert next_one.state == "delivered"


def test_a_timeout_is_retried_and_delivered_once_the_receiver_answers(
    app: Flask, redis: Redis, receiver: Receiver, clock: time_machine.Traveller
) -> None:
    app.config["WEBHOOK_READ_TIMEOUT"] = 0.2
    receiver.answer(Reply(hang=True))
    announce(listening(receiver, events.REQUESTED), events.REQUESTED)
    run_jobs(redis)
    refreshed()
    [delivery] = deliveries()
    assert (delivery.state, delivery.last_error) == ("pending", "timed out waiting for the answer")
    clock.shift(timedelta(minutes=1))
    run_jobs(redis)
    refreshed()
    assert deliveries()[0].state == "delivered"
    assert [a.status_code for a in attempts()] == [None, 204]


def test_a_day_of_failures_ends_the_delivery_and_turns_the_endpoint_off(
    redis: Redis, receiver: Receiver, clock: time_machine.Traveller
) -> None:
    receiver.answer(*[Reply(503)] * 3)
    request = listening(receiver, events.REQUESTED)
    announce(request, events.REQUESTED)
    run_jobs(redis)
    clock.shift(timedelta(hours=2))
    run_jobs(redis)  # still failing, within the day: tried again later
    refreshed()
    [delivery] = deliveries()
    assert (delivery.state, delivery.attempts) == ("pending", 2)
    clock.shift(timedelta(hours=23))
    run_jobs(redis)
    refreshed()
    [delivery] = deliveries()
    assert (delivery.state, delivery.attempts) == ("failed", 3)
    endpoint = db.session().get_one(WebhookEndpoint, delivery.endpoint_id)
    assert not endpoint.enabled
    assert endpoint.disabled_reason == "turned off after failing for 24 hours"
    [entry] = db.session().scalars(select(AuditEntry).filter_by(action="webhook_disabled"))
    assert entry.details["endpoint"] == endpoint.id


def test_a_replay_sends_a_failed_delivery_again_marked_manual(
    client: object, redis: Redis, receiver: Receiver, admin_headers: dict[str, str]
) -> None:
    receiver.answer(Reply(400))
    request = listening(receiver, events.REQUESTED)
    announce(request, events.REQUESTED)
    run_jobs(redis)
    refreshed()
    [delivery] = deliveries()
    assert delivery.state == "failed"
    path = (
        f"/api/v1/admin/widgets/{request.widget.key}/webhooks/{delivery.endpoint_id}"
        f"/deliveries/{delivery.id}/replay"
    )
    answer = client.post(path, headers=admin_headers)  # type: ignore[attr-defined]
    assert answer.status_code == 202
    run_jobs(redis)
    refreshed()
    assert deliveries()[0].state == "delivered"
    assert [(a.status_code, a.manual) for a in attempts()] == [(400, False), (204, True)]
    assert len(receiver.received) == 2


def test_the_sweep_sends_lines_whose_job_was_lost(redis: Redis, receiver: Receiver) -> None:
    announce(listening(receiver, events.REQUESTED), events.REQUESTED)
    redis.flushdb()  # the job is lost, as in a Redis outage
    assert sweep() == 1
    run_jobs(redis)
    assert receiver.types == [events.REQUESTED]


def test_the_number_is_sent_only_under_the_opted_in_consent_and_then_forgotten(
    redis: Redis, receiver: Receiver
) -> None:
    request = listening(receiver, events.REQUESTED, webhook_number_consent_version="t", **SHARED)
    older = make_request(request.widget, phone=OTHER_VISITOR, consent_version="older")
    announce(request, events.REQUESTED)
    announce(older, events.REQUESTED)
    stored = db.session().scalars(select(WebhookEvent.phone).order_by(WebhookEvent.id)).all()
    assert stored == [VISITOR_LANDLINE, None]
    run_jobs(redis)
    sent = {item.payload["data"]["request_id"]: item.payload["data"] for item in receiver.received}
    assert sent[str(request.id)]["visitor"] == {"phone": VISITOR_LANDLINE}
    assert "visitor" not in sent[str(older.id)]
    refreshed()
    assert db.session().scalars(select(WebhookEvent.phone)).all() == [None, None]
    # The requests are live and hold their numbers; no webhook table does.
    assert find_number(VISITOR_LANDLINE, session_connection(), redis) == ["callback_requests.phone"]


def test_erasure_leaves_no_number_in_a_pending_webhook(
    redis: Redis, receiver: Receiver, clock: time_machine.Traveller
) -> None:
    receiver.answer(Reply(500))
    request = listening(receiver, events.REQUESTED, events.CANCELED,
                        webhook_number_consent_version="t", **SHARED)  # fmt: skip
    announce(request, events.REQUESTED)
    run_jobs(redis)
    refreshed()
    assert db.session().scalars(select(WebhookEvent.phone)).all() == [VISITOR_LANDLINE]
    erase_number(db.session(), redis, VISITOR_LANDLINE, "test")
    assert find_number(VISITOR_LANDLINE, session_connection(), redis) == []
    clock.shift(timedelta(minutes=5))
    run_jobs(redis)
    assert receiver.types == [events.REQUESTED, events.REQUESTED, events.CANCELED]
    assert all("visitor" not in item.payload["data"] for item in receiver.received[1:])


def test_a_claimed_line_is_not_sent_by_a_second_job_until_the_claim_lapses(
    redis: Redis, receiver: Receiver, clock: time_machine.Traveller
) -> None:
    announce(listening(receiver, events.REQUESTED), events.REQUESTED)
    [head] = deliveries()
    assert claim(db.session(), head, START)  # a job that then died mid-send
    run_jobs(redis)
    assert receiver.received == []
    clock.shift(timedelta(seconds=CLAIM_SECONDS + 1))
    assert sweep() == 1
    run_jobs(redis)
    assert receiver.types == [events.REQUESTED]


def test_retention_forgets_old_numbers_and_deletes_ended_records(
    redis: Redis, receiver: Receiver, clock: time_machine.Traveller
) -> None:
    receiver.answer(Reply(500))
    request = listening(receiver, events.REQUESTED, events.COMPLETED,
                        webhook_number_consent_version="t", **SHARED)  # fmt: skip
    announce(request, events.REQUESTED, events.COMPLETED)
    run_jobs(redis)  # the head failed once; both wait
    clock.shift(timedelta(hours=25))
    assert sweep_webhook_records() == (2, 0)  # numbers past the cap, even while waiting
    run_jobs(redis)
    clock.shift(timedelta(days=WEBHOOK_DAYS, hours=1))
    assert sweep_webhook_records() == (0, 2)
    refreshed()
    assert (deliveries(), attempts()) == ([], [])


def test_a_long_line_is_sent_in_order_by_jobs_in_turn(
    redis: Redis, receiver: Receiver, clock: time_machine.Traveller
) -> None:
    request = listening(receiver, *events.EVENT_TYPES)
    announce(request, *events.EVENT_TYPES)
    run_jobs(redis)
    assert receiver.types == list(events.EVENT_TYPES[:MOST_PER_JOB])
    clock.shift(timedelta(seconds=2))
    run_jobs(redis)
    assert receiver.types == list(events.EVENT_TYPES)


def test_the_widget_s_people_are_told_by_e_mail_when_its_endpoint_is_turned_off(
    app: Flask, redis: Redis, receiver: Receiver, clock: time_machine.Traveller
) -> None:
    with smtp_server() as mailbox:
        app.config["SMTP_URL"] = mailbox.plain_url
        receiver.answer(*[Reply(503)] * 3)
        request = listening(receiver, events.REQUESTED, alert_emails=["ops@example.com"])
        announce(request, events.REQUESTED)
        run_jobs(redis)
        clock.shift(timedelta(hours=25))
        run_jobs(redis)  # the last failure turns it off; the notice is a job of its own
        run_jobs(redis)
    [notice] = mailbox.messages
    assert notice.recipients == ["ops@example.com"]
    assert "127.0.0.1" in notice.body  # the host, so they know which one
    assert "/hooks" not in notice.body  # never the rest of the address
    refreshed()
    widget = db.session().get_one(Widget, request.widget_id)
    assert widget.webhook_events == []  # nothing is written for a turned-off endpoint


def test_a_short_retry_after_does_not_undercut_the_backoff(
    redis: Redis, receiver: Receiver, clock: time_machine.Traveller
) -> None:
    receiver.answer(Reply(503, {"Retry-After": "1"}))
    announce(listening(receiver, events.REQUESTED), events.REQUESTED)
    run_jobs(redis)
    refreshed()
    [delivery] = deliveries()
    assert delivery.next_attempt_at >= START + timedelta(seconds=FIRST_RETRY_SECONDS)


def test_the_sweep_names_only_lines_whose_head_is_due_longest_overdue_first(
    redis: Redis, receiver: Receiver, clock: time_machine.Traveller, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver.answer(Reply(500))
    blocked = listening(receiver, events.REQUESTED, events.COMPLETED)
    announce(blocked, events.REQUESTED, events.COMPLETED)
    run_jobs(redis)  # the head waits for its retry; the delivery behind it is "due"
    lost_later = make_request(blocked.widget, phone=OTHER_VISITOR)
    clock.shift(timedelta(seconds=1))
    lost_first = make_request(blocked.widget, phone="+442079460789")
    lost_first_id = lost_first.id
    announce(lost_first, events.REQUESTED)
    clock.shift(timedelta(seconds=1))
    announce(lost_later, events.REQUESTED)
    redis.flushdb()  # their jobs are lost
    refreshed()
    endpoint_id = deliveries()[0].endpoint_id
    monkeypatch.setattr(workers.webhooks, "SWEEP_BATCH", 1)
    assert due_lines(db.session(), START + timedelta(seconds=3)) == [(endpoint_id, lost_first_id)]
    monkeypatch.setattr(workers.webhooks, "SWEEP_BATCH", 500)
    assert sweep() == 2  # the blocked line is not among them


def test_a_job_started_early_within_the_slack_sends_rather_than_reschedules(
    redis: Redis, receiver: Receiver, clock: time_machine.Traveller
) -> None:
    receiver.answer(Reply(500))
    request = listening(receiver, events.REQUESTED)
    announce(request, events.REQUESTED)
    run_jobs(redis)
    refreshed()
    [delivery] = deliveries()
    clock.move_to(delivery.next_attempt_at - timedelta(seconds=1.5))
    deliver_webhooks(delivery.endpoint_id, str(request.id))
    assert len(receiver.received) == 2
    refreshed()
    assert deliveries()[0].state == "delivered"


def test_a_delivery_being_sent_cannot_be_replayed(
    redis: Redis, receiver: Receiver, clock: time_machine.Traveller
) -> None:
    receiver.answer(Reply(400))
    announce(listening(receiver, events.REQUESTED), events.REQUESTED)
    run_jobs(redis)
    refreshed()
    [delivery] = deliveries()
    replay(db.session(), delivery, "test")  # a failed delivery is pending again
    db.session().commit()
    assert claim(db.session(), delivery, START)  # a job is sending it
    with pytest.raises(Conflict) as refused:
        replay(db.session(), delivery, "test")
    assert refused.value.code == "delivery_in_flight"
    db.session().rollback()
    refreshed()
    assert deliveries()[0].claimed_until is not None  # the job's claim still holds
    clock.shift(timedelta(seconds=CLAIM_SECONDS + 1))  # the job died: the claim lapsed
    replay(db.session(), deliveries()[0], "test")
    db.session().commit()
    run_jobs(redis)
    refreshed()
    assert deliveries()[0].state == "delivered"


def test_an_answer_trickled_past_the_deadline_is_a_recorded_failed_attempt(
    app: Flask, redis: Redis, receiver: Receiver, clock: time_machine.Traveller
) -> None:
    app.config["WEBHOOK_CONNECT_TIMEOUT"] = 0.5
    app.config["WEBHOOK_READ_TIMEOUT"] = 0.5  # each byte comes in time; the whole does not
    receiver.answer(Reply(200, trickle_every=0.2))
    announce(listening(receiver, events.REQUESTED), events.REQUESTED)
    run_jobs(redis)
    refreshed()
    [delivery] = deliveries()
    assert (delivery.state, delivery.last_error) == ("pending", TOO_SLOW)
    assert delivery.claimed_until is None  # the job let go of the line
    assert [(a.status_code, a.error) for a in attempts()] == [(None, TOO_SLOW)]
    clock.shift(timedelta(minutes=1))
    run_jobs(redis)
    refreshed()
    assert deliveries()[0].state == "delivered"


def test_a_refusal_long_ago_and_one_failure_now_do_not_turn_the_endpoint_off(
    redis: Redis, receiver: Receiver, clock: time_machine.Traveller
) -> None:
    receiver.answer(Reply(400), Reply(503))
    request = listening(receiver, events.REQUESTED, events.CANCELED)
    announce(request, events.REQUESTED)  # Monday: refused, failing_since is set
    run_jobs(redis)
    clock.shift(timedelta(days=3))  # idle since
    announce(request, events.CANCELED)  # Thursday: one 503
    run_jobs(redis)
    refreshed()
    refused, failing = deliveries()
    assert (refused.state, failing.state, failing.attempts) == ("failed", "pending", 1)
    endpoint = db.session().get_one(WebhookEndpoint, failing.endpoint_id)
    assert endpoint.enabled
    assert endpoint.failing_since == START  # the streak, but not a day of failing attempts
    clock.shift(timedelta(minutes=5))
    run_jobs(redis)
    refreshed()
    assert deliveries()[1].state == "delivered"


def test_turning_an_endpoint_back_on_sends_what_waited_with_a_fresh_retry_window(
    redis: Redis, receiver: Receiver, clock: time_machine.Traveller
) -> None:
    receiver.answer(Reply(503), Reply(503))
    request = listening(receiver, events.REQUESTED)
    announce(request, events.REQUESTED)
    run_jobs(redis)
    [endpoint] = db.session().scalars(select(WebhookEndpoint)).all()
    change_endpoint(db.session(), endpoint, {"enabled": False}, "test")
    db.session().commit()
    clock.shift(timedelta(days=3))
    change_endpoint(db.session(), endpoint, {"enabled": True}, "test")
    db.session().commit()
    run_jobs(redis)  # its first error since: retried, not failed for good
    refreshed()
    [delivery] = deliveries()
    assert (delivery.state, delivery.attempts) == ("pending", 2)
    assert delivery.first_attempt_at == START + timedelta(days=3)
    assert [a.manual for a in attempts()] == [False, True]  # a person turned it back on
    clock.shift(timedelta(minutes=5))
    run_jobs(redis)
    refreshed()
    assert deliveries()[0].state == "delivered"


def test_retention_deletes_events_waiting_for_an_endpoint_left_off(
    redis: Redis, receiver: Receiver, clock: time_machine.Traveller
) -> None:
    receiver.answer(Reply(503))
    announce(listening(receiver, events.REQUESTED), events.REQUESTED)
    run_jobs(redis)
    [endpoint] = db.session().scalars(select(WebhookEndpoint)).all()
    change_endpoint(db.session(), endpoint, {"enabled": False}, "test")
    db.session().commit()
    clock.shift(timedelta(days=WEBHOOK_DAYS, hours=1))
    assert sweep_webhook_records() == (0, 1)
    refreshed()
    assert (deliveries(), attempts()) == ([], [])


def test_the_number_goes_with_the_request_s_cap_not_the_event_s_age(
    redis: Redis, receiver: Receiver, clock: time_machine.Traveller
) -> None:
    receiver.answer(*[Reply(503)] * 2)
    request = listening(receiver, events.COMPLETED, webhook_number_consent_version="t", **SHARED)
    clock.shift(timedelta(hours=20))  # the request ends late, its event written then
    announce(request, events.COMPLETED)
    run_jobs(redis)
    clock.shift(timedelta(hours=3, minutes=59))
    assert sweep_webhook_records() == (0, 0)  # within the request's cap: kept for the retry
    clock.shift(timedelta(minutes=2))
    assert sweep_webhook_records() == (1, 0)  # the request's cap, 4 h after the event
    refreshed()
    assert db.session().scalars(select(WebhookEvent.phone)).all() == [None]
    assert deliveries()[0].state == "pending"  # still retried, without the number


def test_retention_nulls_the_number_of_an_event_nothing_waits_for(
    redis: Redis, receiver: Receiver, clock: time_machine.Traveller
) -> None:
    # What two jobs ending an event's two deliveries at once could leave behind.
    request = listening(receiver, events.REQUESTED, webhook_number_consent_version="t", **SHARED)
    add_endpoint(db.session(), request.widget, receiver.url + "/2", [events.REQUESTED], "test")
    db.session().commit()
    announce(request, events.REQUESTED)
    redis.flushdb()  # no job sends them
    for delivery in deliveries():
        delivery.state = "delivered"
    db.session().commit()
    assert db.session().scalars(select(WebhookEvent.phone)).all() == [VISITOR_LANDLINE]
    assert sweep_webhook_records() == (1, 0)
    refreshed()
    assert db.session().scalars(select(WebhookEvent.phone)).all() == [None]
