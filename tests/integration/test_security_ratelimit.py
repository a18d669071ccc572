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
from tests.visitors import submit

VISITOR = "203.0.113.7"
OTHER_VISITOR = "198.51.100.9"
NUMBERS = [f"+4420794600{n:02d}" for n in range(10, 40)]


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
    accepted = [submit(client, widget.key, n, remote_addr=VISITOR).status_code for n in NUMBERS[:3]]
    refused = submit(client, widget.key, NUMBERS[3], remote_addr=VISITOR)
    assert accepted == [202, 202, 202]
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert stored_requests() == 3
    assert submit(client, widget.key, NUMBERS[4], remote_addr=OTHER_VISITOR).status_code == 202


def test_spoofed_forwarded_for_changes_nothing_without_trusted_proxies(
    client: FlaskClient, limits: dict[str, Any]
) -> None:
    widget = make_widget()
    spoofed = [
        submit(
            client, widget.key, n, remote_addr=VISITOR, headers={"X-Forwarded-For": f"192.0.2.{i}"}
        ).status_code
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
        first = submit(
            client, widget.key, NUMBERS[0], remote_addr=proxy, headers={"X-Forwarded-For": VISITOR}
        )
        second = submit(
            client,
            widget.key,
            NUMBERS[1],
            remote_addr=proxy,
            headers={"X-Forwarded-For": OTHER_VISITOR},
        )
        # A client's own X-Forwarded-For entry sits left of what the proxy appended.
        forged = submit(
            client,
            widget.key,
            NUMBERS[2],
            remote_addr=proxy,
            headers={"X-Forwarded-For": f"192.0.2.1, {VISITOR}"},
        )
    assert (first.status_code, second.status_code, forged.status_code) == (202, 202, 429)


def test_one_number_is_limited_whichever_address_asks(
    client: FlaskClient, limits: dict[str, Any]
) -> None:
    widgets = [make_widget(name=f"Site {n}") for n in range(3)]
    codes = [
        submit(client, w.key, NUMBERS[0], remote_addr=f"192.0.2.{i}").status_code
        for i, w in enumerate(widgets)
    ]
    assert codes == [202, 202, 429]


def test_widget_limit_counts_every_submission_to_it(
    client: FlaskClient, limits: dict[str, Any]
) -> None:
    limits["RATE_LIMIT_PER_WIDGET"] = "2/hour"
    widget, other = make_widget(), make_widget(name="Other Ltd")
    codes = [
        submit(client, widget.key, n, remote_addr=f"192.0.2.{i}").status_code
        for i, n in enumerate(NUMBERS[:3])
    ]
    assert codes == [202, 202, 429]
    assert submit(client, other.key, NUMBERS[5], remote_addr="192.0.2.50").status_code == 202


def test_distinct_numbers_per_address_are_limited(
    client: FlaskClient, limits: dict[str, Any]
) -> None:
    limits.update(RATE_LIMIT_PER_IP="100/hour", RATE_LIMIT_NEW_NUMBERS_PER_IP="2/hour")
    widget = make_widget()
    walk = [submit(client, widget.key, n, remote_addr=VISITOR).status_code for n in NUMBERS[:3]]
    assert walk == [202, 202, 429]
    # The same numbers again are not new: only the per-number limit applies to them.
    assert submit(client, widget.key, NUMBERS[0], remote_addr=VISITOR).status_code == 202
    assert submit(client, widget.key, NUMBERS[2], remote_addr=VISITOR).status_code == 429


def test_limit_keys_hold_neither_the_number_nor_the_address(
    client: FlaskClient, redis: Redis, app: Flask
) -> None:
    widget = make_widget()
    assert submit(client, widget.key, VISITOR_LANDLINE, remote_addr=VISITOR).status_code == 202
    keys = b" ".join(redis.keys("*")).decode()
    assert VISITOR_LANDLINE.lstrip("+") not in keys
    assert VISITOR not in keys
    # Keys about the number are named by its keyed hash, so erasure can find them.
    assert redis.keys(f"*callback:phone:{phone_key(VISITOR_LANDLINE)}:*")


def test_form_posts_share_the_address_limit(client: FlaskClient, limits: dict[str, Any]) -> None:
    limits["RATE_LIMIT_PER_IP"] = "1/hour"
    widget = make_widget()
    assert submit(client, widget.key, VISITOR_LANDLINE, remote_addr=VISITOR).status_code == 202
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
        codes = [
            submit(client, widget.key, n, remote_addr=VISITOR).status_code for n in NUMBERS[:3]
        ]
        assert stored_requests() == 2
    assert codes == [202, 202, 429]


def test_limits_can_be_switched_off(settings: dict[str, Any], engine: Engine, redis: Redis) -> None:
    with app_with({**settings, "RATELIMIT_ENABLED": False}, engine) as app:
        app.config["RATE_LIMIT_PER_IP"] = "1/hour"
        client, widget = app.test_client(), make_widget()
        codes = [
            submit(client, widget.key, n, remote_addr=VISITOR).status_code for n in NUMBERS[:3]
        ]
    assert codes == [202, 202, 202]
