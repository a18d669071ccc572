"""`callback queue-health`: the figures, the thresholds, and an exit code for probes."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import time_machine
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from callback import db
from callback.lifecycle.requests import finish
from callback.models import CallbackRequest, RequestStatus, Widget, utcnow
from tests.factories import (
    VISITOR_LANDLINE,
    VISITOR_TYPED,
    make_line_caller,
    make_request,
    make_widget,
)
from tests.ops_machinery import start_all
from tests.visitors import submit


def queue_health(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["queue-health", *args])
    return result.exit_code, result.output


def report(app: Flask, *args: str) -> dict[str, Any]:
    _, output = queue_health(app, "--json", *args)
    parsed: dict[str, Any] = json.loads(output)
    return parsed


def stored(widget: Widget, created_at: datetime, **fields: Any) -> CallbackRequest:
    defaults: dict[str, Any] = {"country": "GB", "number_type": "FIXED_LINE", "phone": None}
    row = CallbackRequest(
        widget=widget, consent_version="t", created_at=created_at, **{**defaults, **fields}
    )
    db.session().add(row)
    db.session().commit()
    return row


def test_quiet_healthy_machine_exits_0_with_a_table(app: Flask, redis: Redis) -> None:
    start_all(redis)
    code, output = queue_health(app)
    assert code == 0
    assert output.startswith("HEALTHY")
    assert "calls" in output


def test_no_worker_scheduler_or_cron_is_unhealthy_and_says_why(app: Flask) -> None:
    code, output = queue_health(app)
    assert code == 1
    assert "0 live worker(s) on calls (need 1)" in output
    assert "no scheduler" in output
    assert "no `callback cron`" in output


def test_backlog_older_than_the_threshold_is_unhealthy(
    app: Flask, client: FlaskClient, redis: Redis
) -> None:
    start_all(redis)
    widget = make_widget()
    submit(client, widget.key, VISITOR_TYPED)
    assert queue_health(app)[0] == 0
    with time_machine.travel(utcnow() + timedelta(seconds=90)):
        start_all(redis)  # the worker is alive but not taking jobs
        code, output = queue_health(app)
        figures = report(app)
        assert queue_health(app, "--max-backlog-seconds", "120")[0] == 0
    assert code == 1
    assert "queue calls: oldest job waited 90s (limit 60s)" in output
    assert figures["queues"][0]["depth"] == 1
    assert 90 <= figures["queues"][0]["oldest_age_seconds"] < 95


def test_failure_rate_over_the_threshold_is_unhealthy(app: Flask, redis: Redis) -> None:
    start_all(redis)
    widget = make_widget()
    now = utcnow()
    for index in range(6):
        talked = index < 4
        row = stored(
            widget,
            now - timedelta(minutes=10),
            phone=VISITOR_LANDLINE,
            status=RequestStatus.CONNECTED if talked else RequestStatus.CALLING_AGENT,
        )
        status = RequestStatus.COMPLETED if talked else RequestStatus.FAILED
        finish(db.session(), row, status, "talked" if talked else "no_agent_accepted")
    db.session().commit()
    code, output = queue_health(app)
    assert code == 1
    assert "33% of requests ended failed or expired in the last hour (limit 20%)" in output
    assert queue_health(app, "--max-failure-rate", "0.5")[0] == 0
    hour = report(app)["last_hour"]
    assert hour["by_outcome"] == {"completed/talked": 4, "failed/no_agent_accepted": 2}
    assert (hour["submitted"], hour["ended"], hour["failed"]) == (6, 6, 2)


def test_a_few_failures_are_too_few_to_judge(app: Flask, redis: Redis) -> None:
    start_all(redis)
    row = stored(make_widget(), utcnow(), phone=VISITOR_LANDLINE)
    finish(db.session(), row, RequestStatus.FAILED, "no_agent_accepted")
    db.session().commit()
    assert queue_health(app)[0] == 0
    assert queue_health(app, "--min-finished", "1")[0] == 1


def test_time_to_ring_and_bridge_percentiles_come_from_the_database(
    app: Flask, redis: Redis
) -> None:
    start_all(redis)
    widget = make_widget()
    now = utcnow()
    for seconds in (10, 20, 30, 40, 100):
        created = now - timedelta(minutes=30)
        stored(
            widget,
            created,
            agent_ringing_at=created + timedelta(seconds=seconds),
            connected_at=created + timedelta(seconds=seconds + 15),
        )
    # Scheduled by the visitor for later: the wait starts at the chosen time.
    chosen = now - timedelta(minutes=5)
    stored(
        widget,
        now - timedelta(hours=3),
        scheduled_for=chosen,
        agent_ringing_at=chosen + timedelta(seconds=25),
    )
    figures = report(app)
    assert figures["time_to_ring"] == {"count": 6, "p50_seconds": 25.0, "p95_seconds": 100.0}
    assert figures["time_to_bridge"]["p50_seconds"] == 45.0
    assert queue_health(app, "--max-ring-p95-seconds", "60")[0] == 1


def line_calls() -> tuple[Widget, Widget]:
    """Two widgets' phone lines: callers waiting, callbacks waiting, and what is not counted."""
    shop, help_desk = make_widget(name="Shop"), make_widget(name="Help desk")
    for _ in range(2):
        make_line_caller(shop, on_line=True)
    make_line_caller(shop, on_line=False)
    make_line_caller(shop, on_line=False, status=RequestStatus.CALLING_AGENT)
    make_line_caller(help_desk, on_line=True, status=RequestStatus.CALLING_AGENT)
    # Not waiting: ended phone calls, and web requests.
    make_line_caller(shop, on_line=False, status=RequestStatus.COMPLETED)
    make_line_caller(shop, on_line=True, status=RequestStatus.CANCELED)
    make_request(shop, status=RequestStatus.QUEUED)
    return shop, help_desk


def test_phone_line_callers_and_callbacks_waiting_per_widget(app: Flask, redis: Redis) -> None:
    start_all(redis)
    shop, help_desk = line_calls()

    line = report(app)["phone_line"]
    code, output = queue_health(app)

    assert (line["callers_on_line"], line["callbacks_waiting"]) == (3, 2)
    assert line["widgets"] == [
        {"key": help_desk.key, "name": "Help desk", "callers_on_line": 1, "callbacks_waiting": 0},
        {"key": shop.key, "name": "Shop", "callers_on_line": 2, "callbacks_waiting": 2},
    ]
    assert code == 0
    assert "phone line: 3 caller(s) waiting on the line, 2 phone callback(s) waiting" in output
    assert re.search(r"Shop\s+2 on the line\s+2 callbacks", output)
    assert re.search(r"Help desk\s+1 on the line\s+0 callbacks", output)


def test_no_phone_line_is_zero_waiting(app: Flask, redis: Redis) -> None:
    start_all(redis)
    make_request(make_widget(), status=RequestStatus.QUEUED)

    line = report(app)["phone_line"]

    assert line == {"callers_on_line": 0, "callbacks_waiting": 0, "widgets": []}
    assert "phone line: 0 caller(s) waiting on the line" in queue_health(app)[1]
