"""Rate limits: per address, per number, per widget, distinct numbers per address."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import Engine

from callback.phones.hashing import phone_key
from tests.app_with import app_with
from tests.factories import VISITOR_LANDLINE, make_widget, stored_requests

VISITOR = "203.0.113.7"
OTHER_VISITOR = "198.51.100.9"
NUMBERS = [f"+4420794600{n:02d}" for n in range(10, 40)]


def post(
    client: FlaskClient,
    key: str,
    phone: str = VISITOR_LANDLINE,
    ip: str = VISITOR,
    forwarded_for: str | None = None,
) -> Any:
    return client.post(
        f"/api/v1/widgets/{key}/callbacks",
        json={"phone": phone, "consent": True},
        headers={"X-Forwarded-For": forwarded_for} if forwarded_for else {},
        environ_base={"REMOTE_ADDR": ip},
    )


@pytest.fixture
def limits(app: Flask) -> dict[str, Any]:
    app.config.update(
        RATE_LIMIT_PER_IP="3/hour",
        RATE_LIMIT_PER_NUMBER="2/hour",
        RATE_LIMIT_PER_WIDGET="100/hour",
        RATE_LIMIT_NEW_NUMBERS_PER_IP="100/hour",
    )
    return app.config


def test_address_limit_answers_429_json_with_retry_after(
    client: FlaskClient, limits: dict[str, Any]
) -> None:
    widget = make_widget()
    accepted = [post(client, widget.key, n).status_code for n in NUMBERS[:3]]
    refused = post(client, widget.key, NUMBERS[3])
    assert accepted == [202, 202, 202]
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert stored_requests() == 3
    assert post(client, widget.key, NUMBERS[4], ip=OTHER_VISITOR).status_code == 202


def test_spoofed_forwarded_for_changes_nothing_without_trusted_proxies(
    client: FlaskClient, limits: dict[str, Any]
) -> None:
    widget = make_widget()
    spoofed = [
        post(client, widget.key, n, forwarded_for=f"192.0.2.{i}").status_code
        for i, n in enumerate(NUMBERS[:4])
    ]
    assert spoofed == [202, 202, 202, 429]


def test_behind_one_trusted_proxy_the_forwarded_address_is_the_client(
    settings: dict[str, Any], engine: Engine, redis: Redis
) -> None:
    with app_with({**settings, "TRUSTED_PROXY_HOPS": 1}, engine) as app:
        app.config["RATE_LIMIT_PER_IP"] = "1/hour"
        client, widget = app.test_client(), make_widget()
        proxy = "10.0.0.2"
        first = post(client, widget.key, NUMBERS[0], ip=proxy, forwarded_for=VISITOR)
        second = post(client, widget.key, NUMBERS[1], ip=proxy, forwarded_for=OTHER_VISITOR)
        # A client's own X-Forwarded-For entry sits left of what the proxy appended.
        forged = post(
            client, widget.key, NUMBERS[2], ip=proxy, forwarded_for=f"192.0.2.1, {VISITOR}"
        )
    assert (first.status_code, second.status_code, forged.status_code) == (202, 202, 429)


def test_one_number_is_limited_whichever_address_asks(
    client: FlaskClient, limits: dict[str, Any]
) -> None:
    widgets = [make_widget(name=f"Site {n}") for n in range(3)]
    codes = [
        post(client, w.key, NUMBERS[0], ip=f"192.0.2.{i}").status_code
        for i, w in enumerate(widgets)
    ]
    assert codes == [202, 202, 429]


def test_widget_limit_counts_every_submission_to_it(
    client: FlaskClient, limits: dict[str, Any]
) -> None:
    limits["RATE_LIMIT_PER_WIDGET"] = "2/hour"
    widget, other = make_widget(), make_widget(name="Other Ltd")
    codes = [
        post(client, widget.key, n, ip=f"192.0.2.{i}").status_code
        for i, n in enumerate(NUMBERS[:3])
    ]
    assert codes == [202, 202, 429]
    assert post(client, other.key, NUMBERS[5], ip="192.0.2.50").status_code == 202


def test_distinct_numbers_per_address_are_limited(
    client: FlaskClient, limits: dict[str, Any]
) -> None:
    limits.update(RATE_LIMIT_PER_IP="100/hour", RATE_LIMIT_NEW_NUMBERS_PER_IP="2/hour")
    widget = make_widget()
    walk = [post(client, widget.key, n).status_code for n in NUMBERS[:3]]
    assert walk == [202, 202, 429]
    # The same numbers again are not new: only the per-number limit applies to them.
    assert post(client, widget.key, NUMBERS[0]).status_code == 202
    assert post(client, widget.key, NUMBERS[2]).status_code == 429


def test_limit_keys_hold_neither_the_number_nor_the_address(
    client: FlaskClient, redis: Redis, app: Flask
) -> None:
    widget = make_widget()
    assert post(client, widget.key).status_code == 202
    keys = b" ".join(redis.keys("*")).decode()
    assert VISITOR_LANDLINE.lstrip("+") not in keys
    assert VISITOR not in keys
    # Keys about the number are named by its keyed hash, so erasure can find them.
    assert redis.keys(f"*callback:phone:{phone_key(VISITOR_LANDLINE)}:*")


def test_form_posts_share_the_address_limit(client: FlaskClient, limits: dict[str, Any]) -> None:
    limits["RATE_LIMIT_PER_IP"] = "1/hour"
    widget = make_widget()
    assert post(client, widget.key).status_code == 202
    form = client.post(f"/w/{widget.key}", data={}, environ_base={"REMOTE_ADDR": VISITOR})
    assert form.status_code == 429


def test_redis_down_fails_open_and_still_takes_the_request(
    settings: dict[str, Any], engine: Engine, redis: Redis
) -> None:
    # A closed port: the limiter cannot count, so it falls back to per-process memory.
    closed = {**settings, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}
    with app_with(closed, engine) as app:
        app.config["RATE_LIMIT_PER_IP"] = "2/hour"
        client, widget = app.test_client(), make_widget()
        codes = [post(client, widget.key, n).status_code for n in NUMBERS[:3]]
        assert stored_requests() == 2
    assert codes == [202, 202, 429]


def test_limits_can_be_switched_off(settings: dict[str, Any], engine: Engine, redis: Redis) -> None:
    with app_with({**settings, "RATELIMIT_ENABLED": False}, engine) as app:
        app.config["RATE_LIMIT_PER_IP"] = "1/hour"
        client, widget = app.test_client(), make_widget()
        codes = [post(client, widget.key, n).status_code for n in NUMBERS[:3]]
    assert codes == [202, 202, 202]
