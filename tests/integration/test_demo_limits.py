"""The local demo is friendly: loopback is not locked out in development, every 429 says
which limit it hit and when it resets, and a wrong origin is a 403 whatever the limits.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import make_widget
from tests.visitors import submit, submit_form

VISITOR = "203.0.113.7"
NUMBERS = [f"+4420794600{n:02d}" for n in range(10, 40)]
WRONG_ORIGIN = {"Origin": "https://elsewhere.example.org"}


@pytest.fixture
def demo(app: Flask) -> dict[str, Any]:
    """The development defaults (loopback unlimited), with limits small enough to reach."""
    app.config.update(
        DEV_LOOPBACK_UNLIMITED=True,
        RATE_LIMIT_PER_IP="2/hour",
        RATE_LIMIT_PER_NUMBER="1/hour",
        RATE_LIMIT_NEW_NUMBERS_PER_IP="100/hour",
    )
    return app.config


def test_a_developer_on_loopback_is_not_locked_out_in_development(
    client: FlaskClient, demo: dict[str, Any]
) -> None:
    widget = make_widget()

    mine = [submit(client, widget.key, number).status_code for number in NUMBERS[:6]]
    again = submit(client, widget.key, NUMBERS[6]).status_code
    assert mine == [202] * 6
    assert again == 202
    # Anyone else is still held to the limits.
    theirs = [submit(client, widget.key, n, remote_addr=VISITOR).status_code for n in NUMBERS[7:10]]
    assert theirs == [202, 202, 429]


def test_production_keeps_the_limits_for_loopback_too(
    client: FlaskClient, demo: dict[str, Any]
) -> None:
    demo["ENV"] = "production"
    widget = make_widget()

    answers = [submit(client, widget.key, number).status_code for number in NUMBERS[:3]]
    assert answers == [202, 202, 429]


def _limit_of(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 429
    error = answer.get_json()["error"]
    # Flask-Limiter rewrites Retry-After from an absolute time, truncating: a second apart.
    assert abs(error["retry_after"] - int(answer.headers["Retry-After"])) <= 1
    resets_at = datetime.fromisoformat(error["resets_at"])
    assert datetime.now(UTC) < resets_at <= datetime.now(UTC) + timedelta(days=1, seconds=5)
    return dict(error)


def test_every_429_names_the_limit_it_hit_and_when_it_resets(
    client: FlaskClient, demo: dict[str, Any]
) -> None:
    demo.update(DEV_LOOPBACK_UNLIMITED=False, RATE_LIMIT_PER_IP="100/hour")
    widget = make_widget()

    submit(client, widget.key, NUMBERS[0], remote_addr=VISITOR)
    per_number = _limit_of(submit(client, widget.key, NUMBERS[0], remote_addr="198.51.100.1"))
    assert (per_number["limit"], per_number["code"]) == ("per_number", "rate_limited")
    assert per_number["retry_after"] <= 3600

    demo.update(RATE_LIMIT_PER_IP="1/hour")
    submit(client, widget.key, NUMBERS[1], remote_addr="198.51.100.2")
    per_address = _limit_of(submit(client, widget.key, NUMBERS[2], remote_addr="198.51.100.2"))
    assert per_address["limit"] == "per_address"
    assert per_address["retry_after"] <= 3600

    demo.update(RATE_LIMIT_PER_IP="100/hour", RATE_LIMIT_NEW_NUMBERS_PER_IP="1/hour")
    submit(client, widget.key, NUMBERS[3], remote_addr="198.51.100.3")
    walking = _limit_of(submit(client, widget.key, NUMBERS[4], remote_addr="198.51.100.3"))
    assert walking["limit"] == "new_numbers_per_address"

    capped = make_widget(name="Capped", daily_call_cap=0)
    cap = _limit_of(submit(client, capped.key, NUMBERS[5], remote_addr="198.51.100.4"))
    assert (cap["limit"], cap["code"]) == ("daily_cap", "daily_cap_reached")


@pytest.fixture
def number_limit_of_a_minute(demo: dict[str, Any]) -> str:
    """A widget whose numbers may ask once a minute, from addresses allowed 100 an hour.

    When the number's limit refuses, the address limit did not: its window (an hour)
    must not lengthen the wait.
    """
    demo.update(
        DEV_LOOPBACK_UNLIMITED=False, RATE_LIMIT_PER_IP="100/hour", RATE_LIMIT_PER_NUMBER="1/minute"
    )
    return make_widget().key


def test_retry_after_is_when_the_limit_that_refused_resets(
    client: FlaskClient, number_limit_of_a_minute: str
) -> None:
    key = number_limit_of_a_minute

    submit(client, key, NUMBERS[0], remote_addr=VISITOR)
    per_number = _limit_of(submit(client, key, NUMBERS[0], remote_addr=VISITOR))

    assert per_number["limit"] == "per_number"
    assert per_number["retry_after"] <= 60


def test_the_plain_form_says_when_the_limit_that_refused_resets(
    client: FlaskClient, number_limit_of_a_minute: str
) -> None:
    key = number_limit_of_a_minute

    submit_form(client, key, NUMBERS[0])
    refused = submit_form(client, key, NUMBERS[0])

    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_a_wrong_origin_is_403_even_when_the_address_limit_is_spent(
    client: FlaskClient, demo: dict[str, Any]
) -> None:
    demo["DEV_LOOPBACK_UNLIMITED"] = False
    widget = make_widget()
    assert [submit(client, widget.key, n).status_code for n in NUMBERS[:3]] == [202, 202, 429]

    wrong = submit(client, widget.key, NUMBERS[3], headers=WRONG_ORIGIN)
    assert wrong.status_code == 403
    assert wrong.get_json()["error"]["code"] == "origin_not_allowed"
    assert submit_form(client, widget.key, NUMBERS[4], headers=WRONG_ORIGIN).status_code == 403


def test_wrong_origins_do_not_spend_the_address_limit(
    client: FlaskClient, demo: dict[str, Any]
) -> None:
    demo["DEV_LOOPBACK_UNLIMITED"] = False
    widget = make_widget()

    refused = [submit(client, widget.key, n, headers=WRONG_ORIGIN).status_code for n in NUMBERS[:4]]
    assert refused == [403] * 4
    assert submit(client, widget.key, NUMBERS[5]).status_code == 202
