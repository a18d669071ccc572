"""/metrics: Prometheus text that moves as callbacks are submitted, rung, bridged, failed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from redis import Redis
from sqlalchemy import select

from callback import db
from callback.models import CallAttempt, CallbackRequest, Leg, RequestStatus
from callback.phones.masking import has_phone_shaped
from tests.factories import VISITOR_TYPED, make_agent, make_line_caller, make_widget
from tests.ops_machinery import run_queued_jobs
from tests.twilio_signing import signed_post
from tests.visitors import submitted
from workers.queues import CALLS_QUEUE

UUID_SHAPED = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Twilio's magic "invalid number": as a caller ID, every create is refused (21212).
INVALID_CALLER_ID = "+15005550001"


def samples(client: FlaskClient) -> list[Sample]:
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def value(client: FlaskClient, name: str, **labels: str) -> float:
    found = [
        s.value
        for s in samples(client)
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    return sum(found)


@pytest.fixture
def ringing_attempt(client: FlaskClient) -> CallAttempt:
    """A submitted request whose agent leg was created at Twilio."""
    widget = make_widget()
    agent = make_agent()
    request_id = submitted(client, widget.key, VISITOR_TYPED)
    row = db.session().get_one(CallbackRequest, request_id)
    row.status = RequestStatus.CALLING_AGENT
    attempt = CallAttempt(
        request_id=row.id,
        leg=Leg.AGENT,
        attempt_number=1,
        agent_id=agent.id,
        call_sid="CA" + "d" * 32,
        status="queued",
    )
    db.session().add(attempt)
    db.session().commit()
    return attempt


def status(client: FlaskClient, attempt_id: int, sid: str, call_status: str, seq: int) -> None:
    params = {"CallSid": sid, "CallStatus": call_status, "SequenceNumber": str(seq)}
    assert signed_post(client, f"/twilio/attempts/{attempt_id}/status", params).status_code == 204


def test_metrics_are_prometheus_text_with_every_family(client: FlaskClient) -> None:
    names = {s.name for s in samples(client)}
    for expected in (
        "callback_queue_jobs",
        "callback_queue_oldest_job_age_seconds",
        "callback_queue_registry_jobs",
        "callback_workers_alive",
        "callback_scheduler_alive",
        "callback_cron_scheduler_alive",
        "callback_redis_up",
    ):
        assert expected in names


def test_submission_counts_a_202_and_fills_the_queue(client: FlaskClient) -> None:
    widget = make_widget()
    endpoint = {"endpoint": "visitor_api.create_callback", "status": "202"}
    before = value(client, "callback_http_responses_total", **endpoint)
    submitted(client, widget.key, VISITOR_TYPED)
    assert value(client, "callback_http_responses_total", **endpoint) == before + 1
    assert value(client, "callback_queue_jobs", queue=CALLS_QUEUE) == 1
    assert value(client, "callback_queue_registry_jobs", queue=CALLS_QUEUE, registry="failed") == 0


def test_ringing_and_bridging_move_legs_waits_and_webhook_latency(
    client: FlaskClient, ringing_attempt: CallAttempt
) -> None:
    def snapshot() -> dict[str, float]:
        return {
            "ringing": value(client, "callback_call_legs_total", leg="agent", status="ringing"),
            "ring": value(client, "callback_time_to_ring_seconds_count"),
            "bridge": value(client, "callback_time_to_bridge_seconds_count"),
            "webhooks": value(
                client, "callback_webhook_duration_seconds_count", endpoint="twilio.call_status"
            ),
            "talked": value(
                client, "callback_requests_finished_total", status="completed", outcome="talked"
            ),
            "erased": value(client, "callback_numbers_erased_total", status="completed"),
        }

    before = snapshot()
    sid = ringing_attempt.call_sid or ""
    status(client, ringing_attempt.id, sid, "ringing", 1)
    signed_post(client, f"/twilio/attempts/{ringing_attempt.id}/key", {"Digits": "1"})
    visitor = db.session().scalars(select(CallAttempt).filter_by(leg=Leg.VISITOR)).one()
    child = "CA" + "e" * 32
    status(client, visitor.id, child, "in-progress", 1)
    status(client, visitor.id, child, "completed", 2)
    after = snapshot()
    assert {name: after[name] - before[name] for name in before} == {
        "ringing": 1,
        "ring": 1,
        "bridge": 1,
        "webhooks": 3,
        "talked": 1,
        "erased": 1,
    }


def test_refused_dial_counts_the_twilio_error_and_the_failed_request(
    sandbox_url: str, app: Flask, client: FlaskClient, redis: Redis
) -> None:
    app.config["TWILIO_API_BASE_URL"] = sandbox_url
    app.config["TWILIO_FROM_NUMBER"] = INVALID_CALLER_ID
    widget = make_widget(retry_attempts=1)
    make_agent()
    errors_before = value(client, "callback_twilio_api_errors_total", code="21212")
    failed_before = value(
        client, "callback_requests_finished_total", status="failed", outcome="twilio_error_21212"
    )
    submitted(client, widget.key, VISITOR_TYPED)
    run_queued_jobs(redis)
    assert value(client, "callback_twilio_api_errors_total", code="21212") == errors_before + 1
    assert (
        value(
            client,
            "callback_requests_finished_total",
            status="failed",
            outcome="twilio_error_21212",
        )
        == failed_before + 1
    )
    assert value(client, "callback_queue_jobs", queue=CALLS_QUEUE) == 0


def test_no_label_carries_a_number_or_a_request_id(
    client: FlaskClient, ringing_attempt: CallAttempt
) -> None:
    status(client, ringing_attempt.id, ringing_attempt.call_sid or "", "ringing", 1)
    client.get(f"/api/v1/callbacks/{ringing_attempt.request_id}")
    labels = [v for s in samples(client) for v in s.labels.values()]
    assert labels
    assert not [v for v in labels if has_phone_shaped(v) or UUID_SHAPED.search(v)]


def test_multiprocess_mode_adds_up_every_process(
    client: FlaskClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    count_once = "from callback import metrics; metrics.reconciler_action('requeued_dial')"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):  # two processes, as two gunicorn workers or a web and a worker
        subprocess.run([sys.executable, "-c", count_once], env=env, check=True)  # noqa: S603 - our own code
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert value(client, "callback_reconciler_actions_total", action="requeued_dial") == 2
    assert value(client, "callback_queue_jobs", queue=CALLS_QUEUE) == 0


def test_every_metric_the_alert_rules_use_is_exposed(client: FlaskClient) -> None:
    rules = (Path(__file__).parents[2] / "ops" / "prometheus-rules.yml").read_text()
    used = {re.sub(r"_(total|bucket)$", "", name) for name in re.findall(r"callback_\w+", rules)}
    text = client.get("/metrics").get_data(as_text=True)
    exposed = {family.name for family in text_string_to_metric_families(text)}
    assert used - exposed == set()


def test_phone_line_gauges_count_callers_and_callbacks_waiting(client: FlaskClient) -> None:
    assert value(client, "callback_line_callers_waiting") == 0
    widget = make_widget()
    make_line_caller(widget, on_line=True)
    make_line_caller(widget, on_line=True, status=RequestStatus.CALLING_AGENT)
    make_line_caller(widget, on_line=False)
    make_line_caller(widget, on_line=False, status=RequestStatus.COMPLETED)

    assert value(client, "callback_line_callers_waiting") == 2
    assert value(client, "callback_line_callbacks_waiting") == 1
