"""/healthz and /readyz: liveness without dependencies, readiness naming each check."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from flask.testing import FlaskClient
from redis import Redis

from callback.models import utcnow
from tests.ops_machinery import hold_scheduler_lock, start_worker


def test_healthz_answers_without_touching_anything(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_not_ready_without_a_worker_or_scheduler_and_says_which(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not_ready"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "redis": True,
        "worker": False,
        "scheduler": False,
    }


def test_ready_with_a_live_worker_and_its_scheduler(client: FlaskClient, redis: Redis) -> None:
    start_worker(redis)
    hold_scheduler_lock(redis)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ready"
    assert all(check["ok"] for check in response.get_json()["checks"].values())


def test_a_worker_whose_heartbeat_stopped_does_not_count(client: FlaskClient, redis: Redis) -> None:
    start_worker(redis)
    hold_scheduler_lock(redis)
    with time_machine.travel(utcnow() + timedelta(minutes=9)):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["worker"]["ok"] is False
