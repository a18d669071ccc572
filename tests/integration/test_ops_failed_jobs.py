"""Failed jobs from the CLI: list, show, retry, discard, and never a number on screen."""

from __future__ import annotations

import json
import uuid

import pytest
from flask import Flask
from redis import Redis
from rq import Queue

from tests.factories import VISITOR_LANDLINE, make_request
from tests.ops_machinery import run_queued_jobs
from workers.queues import CALLS_QUEUE


def explode(request_id: str) -> None:
    """A job failing the way a library error quoting a number would."""
    raise ValueError(f"cannot dial {VISITOR_LANDLINE} for {request_id}")


@pytest.fixture
def failed_job_id(app: Flask, redis: Redis) -> str:
    row = make_request()
    job = Queue(CALLS_QUEUE, connection=redis).enqueue(explode, str(row.id), job_id=f"t-{row.id}")
    run_queued_jobs(redis)
    return job.id


def cli(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["failed-jobs", *args])
    return result.exit_code, result.output


def digits_of_the_number_in(text: str) -> bool:
    return VISITOR_LANDLINE[1:] in "".join(ch for ch in text if ch.isdigit())


def test_list_shows_the_reason_with_the_number_masked(app: Flask, failed_job_id: str) -> None:
    code, output = cli(app, "list")
    assert code == 0
    assert failed_job_id in output
    assert "ValueError: cannot dial" in output
    assert not digits_of_the_number_in(output)
    _, as_json = cli(app, "list", "--json")
    [job] = json.loads(as_json)
    assert job["request_id"] == failed_job_id.removeprefix("t-")
    assert job["function"].endswith("test_ops_failed_jobs.explode")


def test_show_gives_the_request_state_and_a_masked_traceback(
    app: Flask, failed_job_id: str
) -> None:
    code, output = cli(app, "show", failed_job_id)
    assert code == 0
    info = json.loads(output)
    assert info["request"] == {"status": "queued", "outcome": None, "round": 1}
    assert "Traceback" in info["traceback"]
    assert not digits_of_the_number_in(output)


def test_retry_puts_the_job_back_on_its_queue(app: Flask, redis: Redis, failed_job_id: str) -> None:
    assert cli(app, "retry", failed_job_id) == (0, f"requeued {failed_job_id}\n")
    queue = Queue(CALLS_QUEUE, connection=redis)
    assert queue.job_ids == [failed_job_id]
    assert queue.failed_job_registry.get_job_ids() == []


def test_discard_deletes_the_job(app: Flask, redis: Redis, failed_job_id: str) -> None:
    assert cli(app, "discard", failed_job_id)[0] == 0
    assert Queue(CALLS_QUEUE, connection=redis).failed_job_registry.get_job_ids() == []
    assert cli(app, "list") == (0, "no failed jobs\n")


def test_unknown_job_is_an_error(app: Flask) -> None:
    code, output = cli(app, "show", f"t-{uuid.uuid4()}")
    assert code == 1
    assert "no failed job has the id" in output
