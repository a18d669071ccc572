"""Request ids: on web log lines and in X-Request-ID; job lines carry job and request ids."""

from __future__ import annotations

import logging
import re
import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from tests.factories import VISITOR_LANDLINE
from tests.ops_machinery import run_queued_jobs
from workers.queues import enqueue_dial


@pytest.fixture
def logging_view(app: Flask) -> str:
    def view() -> str:
        logging.getLogger("callback.test").info("handled")
        return "ok"

    app.add_url_rule("/test-logging", view_func=view)
    return "/test-logging"


def test_a_request_id_is_generated_and_returned(client: FlaskClient) -> None:
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_a_sane_incoming_id_is_kept_and_anything_else_replaced(client: FlaskClient) -> None:
    kept = "lb-7f3a9c2e-0001"
    assert client.get("/healthz", headers={"X-Request-ID": kept}).headers["X-Request-ID"] == kept
    for offered in (VISITOR_LANDLINE[1:], "short", "has space in it", "x" * 200):
        returned = client.get("/healthz", headers={"X-Request-ID": offered})
        assert returned.headers["X-Request-ID"] != offered


def test_web_log_records_carry_the_request_id(
    client: FlaskClient, logging_view: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="callback.test")
    response = client.get(logging_view, headers={"X-Request-ID": "edge-abc12345"})
    [record] = [r for r in caplog.records if r.name == "callback.test"]
    assert record.request_id == "edge-abc12345" == response.headers["X-Request-ID"]


def test_job_log_lines_carry_the_job_id_and_the_request_id(
    app: Flask, redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="workers")
    request_id = uuid.uuid4()  # no such request: the job logs that it has nothing to do
    job = enqueue_dial(request_id, 1)
    assert job is not None
    run_queued_jobs(redis)
    [record] = [r for r in caplog.records if r.name == "workers.dial"]
    assert record.getMessage().startswith(f"job={job.id} request={request_id} ")
    assert record.request_id == f"job:{job.id}"
