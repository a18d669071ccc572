"""The /ops page: behind the admin token, self-contained, live figures and failed-job actions."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from sqlalchemy import Engine

from callback import db
from callback.lifecycle.requests import finish
from callback.models import CallbackRequest, RequestStatus
from callback.ops import request_stats
from tests.app_with import app_with
from tests.conftest import ADMIN_TOKEN
from tests.factories import (
    VISITOR_LANDLINE,
    VISITOR_TYPED,
    make_line_caller,
    make_request,
    make_widget,
)
from tests.ops_machinery import run_queued_jobs, start_all
from tests.visitors import submit
from workers.queues import CALLS_QUEUE

ACTION = {"X-Requested-With": "callback-ops"}


def explode(request_id: str) -> None:
    raise RuntimeError(f"Twilio refused {VISITOR_LANDLINE} ({request_id})")


def basic(password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"ops:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def failed_job(redis: Redis) -> str:
    job = Queue(CALLS_QUEUE, connection=redis).enqueue(explode, "no-request", job_id="t-boom")
    run_queued_jobs(redis)
    return job.id


def test_page_asks_a_browser_for_the_token(client: FlaskClient) -> None:
    response = client.get("/ops/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert client.get("/ops/", headers=basic("wrong")).status_code == 401
    assert client.get("/ops/data").status_code == 401


def test_page_opens_with_the_token_as_basic_password_or_bearer(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    page = client.get("/ops/", headers=basic(ADMIN_TOKEN))
    assert page.status_code == 200
    assert client.get("/ops/", headers=admin_headers).status_code == 200
    html = page.get_data(as_text=True)
    script = re.search(r'<script src="([^"]+)"', html)
    assert script is not None
    with client.get(script.group(1), headers=basic(ADMIN_TOKEN)) as served:
        js = served.get_data(as_text=True)
    # Nothing is fetched from anywhere else: no CDN, no third party.
    assert not re.search(r"https?://", html.replace("http://www.w3.org/2000/svg", ""))
    assert not re.search(r"https?://", js.replace("http://www.w3.org/2000/svg", ""))


def test_page_is_absent_when_admin_is_disabled(
    settings: dict[str, Any], engine: Engine, redis: Redis
) -> None:
    with app_with({**settings, "ADMIN_TOKENS": []}, engine) as app:
        assert app.test_client().get("/ops/", headers=basic(ADMIN_TOKEN)).status_code == 404


def test_data_has_the_figures_the_page_draws(
    client: FlaskClient, redis: Redis, admin_headers: dict[str, str]
) -> None:
    start_all(redis)
    widget = make_widget()
    submit(client, widget.key, VISITOR_TYPED)
    row = db.session().query(CallbackRequest).one()
    finish(db.session(), row, RequestStatus.FAILED, "no_agent_accepted")
    db.session().commit()
    failed_job(redis)
    data = client.get("/ops/data", headers=admin_headers).get_json()
    assert data["queues"][0]["name"] == CALLS_QUEUE
    assert data["queues"][0]["registries"]["failed"] == 1
    assert len(data["workers"]) == 1
    assert data["last_hour"]["by_outcome"] == {"failed/no_agent_accepted": 1}
    assert len(data["series"]["requests_per_minute"]) == 3 * 60 + 1
    assert sum(data["series"]["requests_per_minute"]) == 1
    assert data["failed_requests"][0]["outcome"] == "no_agent_accepted"
    [job] = data["failed_jobs"]
    assert job["id"] == "t-boom"
    assert job["reason"].startswith("RuntimeError: Twilio refused")
    assert VISITOR_LANDLINE not in str(data)
    assert VISITOR_LANDLINE[1:] not in str(data)


def test_the_plot_counts_each_request_in_its_minute(client: FlaskClient) -> None:
    now = datetime(2026, 12, 1, 12, 30, 40, tzinfo=UTC)
    widget = make_widget()
    for at in (
        now - timedelta(hours=4),  # before the plot
        datetime(2026, 12, 1, 9, 30, tzinfo=UTC),  # its first minute
        datetime(2026, 12, 1, 9, 30, 59, 999_999, tzinfo=UTC),
        now - timedelta(minutes=1),
        now,
    ):
        make_request(widget, status=RequestStatus.CANCELED, phone=None, created_at=at)
    plotted = request_stats.series(db.session(), now, 3)
    assert plotted["start"] == "2026-12-01T09:30:00+00:00"
    counts = plotted["requests_per_minute"]
    assert len(counts) == 3 * 60 + 1
    assert {minute: n for minute, n in enumerate(counts) if n} == {0: 2, 179: 1, 180: 1}


def test_data_and_page_show_the_phone_line_waiting(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    widget = make_widget(name="Shop")
    make_line_caller(widget, on_line=True)
    make_line_caller(widget, on_line=False)

    data = client.get("/ops/data", headers=admin_headers).get_json()
    page = client.get("/ops/", headers=admin_headers).get_data(as_text=True)

    assert data["phone_line"] == {
        "callers_on_line": 1,
        "callbacks_waiting": 1,
        "widgets": [
            {"key": widget.key, "name": "Shop", "callers_on_line": 1, "callbacks_waiting": 1}
        ],
    }
    assert "Callers waiting on the line" in page
    assert "Phone callbacks waiting" in page
    assert 'id="line-widgets"' in page


def test_failed_job_actions_need_the_page_header(
    client: FlaskClient, redis: Redis, admin_headers: dict[str, str]
) -> None:
    job_id = failed_job(redis)
    url = f"/ops/failed-jobs/{job_id}/retry"
    # A cross-site form carries the browser's credentials but cannot add a header.
    assert client.post(url, headers=basic(ADMIN_TOKEN)).status_code == 403
    assert client.post(url, headers={**basic(ADMIN_TOKEN), **ACTION}).status_code == 200
    assert Queue(CALLS_QUEUE, connection=redis).job_ids == [job_id]
    run_queued_jobs(redis)
    discard = client.post(f"/ops/failed-jobs/{job_id}/discard", headers={**admin_headers, **ACTION})
    assert discard.status_code == 200
    again = client.post(f"/ops/failed-jobs/{job_id}/discard", headers={**admin_headers, **ACTION})
    assert again.status_code == 404
    assert Queue(CALLS_QUEUE, connection=redis).failed_job_registry.get_job_ids() == []


def test_ops_page_is_not_on_the_public_flask_app(app: Flask) -> None:
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert {"/healthz", "/readyz", "/metrics", "/ops/", "/ops/data"} <= rules
