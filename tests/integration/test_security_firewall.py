"""Toll-fraud firewall: number types and countries refused, daily caps, before any call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import phonenumbers
import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from redis import Redis
from sqlalchemy import Engine

from callback.models.widget import DEFAULT_ALLOWED_NUMBER_TYPES
from callback.phones.policy import NUMBER_TYPE_NAMES, PhoneRejected, parse_visitor_number
from tests.app_with import app_with
from tests.factories import VISITOR_LANDLINE, example_number, make_widget, stored_requests
from tests.visitors import submit

REFUSED_TYPES = [
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST,
    PhoneNumberType.UAN,
    PhoneNumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER,
    PhoneNumberType.PAGER,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.VOICEMAIL,
]
ALLOWED_TYPES = [
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
]
NOON = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def examples(kind: int) -> list[tuple[str, str, str]]:
    """Return (region, number's own region, E.164) for every region with an example."""
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        number = phonenumbers.example_number_for_type(region, kind)
        if number is not None:
            own = phonenumbers.region_code_for_number(number) or region
            found.append((region, own, phonenumbers.format_number(number, PhoneNumberFormat.E164)))
    return found


def refusal(region: str, own: str, e164: str) -> str | None:
    """Return the code the widget's policy refuses `e164` with, or None if accepted."""
    try:
        parse_visitor_number(e164, region, [region, own], list(DEFAULT_ALLOWED_NUMBER_TYPES))
    except PhoneRejected as rejected:
        return rejected.code
    return None


@pytest.mark.parametrize("kind", REFUSED_TYPES, ids=lambda k: NUMBER_TYPE_NAMES[k])
def test_every_expensive_number_type_is_refused_in_every_region(kind: int) -> None:
    table = examples(kind)
    assert len(table) >= 10, "phonenumbers should have examples in many regions"
    wrong = {e164: refusal(r, own, e164) for r, own, e164 in table}
    wrong = {e164: code for e164, code in wrong.items() if code != "number_type_not_allowed"}
    assert wrong == {}


@pytest.mark.parametrize("kind", ALLOWED_TYPES, ids=lambda k: NUMBER_TYPE_NAMES[k])
def test_mobile_and_landline_numbers_pass_the_policy_in_every_region(kind: int) -> None:
    table = examples(kind)
    assert len(table) >= 200
    assert {e164: refusal(r, own, e164) for r, own, e164 in table if refusal(r, own, e164)} == {}


def test_unknown_type_never_passes_because_only_invalid_numbers_have_it() -> None:
    # phonenumbers gives a valid number a real type, so UNKNOWN means invalid: refused first.
    assert "UNKNOWN" not in DEFAULT_ALLOWED_NUMBER_TYPES
    assert refusal("GB", "GB", "+4420794601") == "invalid_number"


def one_region_per_type() -> list[tuple[str, int]]:
    """Return, for each refused type, the first familiar region that has an example of it."""
    familiar = ("GB", "PL", "DE", "FR", "IT", "US", "AU", "ES", "AT", "CH", "NL")
    return [
        (next(r for r in familiar if phonenumbers.example_number_for_type(r, kind)), kind)
        for kind in REFUSED_TYPES
    ]


@pytest.mark.parametrize(
    ("region", "kind"), one_region_per_type(), ids=lambda v: NUMBER_TYPE_NAMES.get(v, v)
)
def test_api_refuses_expensive_numbers_before_anything_is_stored(
    client: FlaskClient, redis: Redis, region: str, kind: int
) -> None:
    widget = make_widget(default_region=region, allowed_countries=[region])
    response = submit(client, widget.key, example_number(region, kind))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "number_type_not_allowed"
    assert stored_requests() == 0
    assert redis.llen("rq:queue:calls") == 0


def test_country_outside_the_widget_list_is_refused(client: FlaskClient) -> None:
    widget = make_widget()
    response = submit(client, widget.key, example_number("DE", PhoneNumberType.MOBILE))
    assert response.get_json()["error"]["code"] == "country_not_allowed"
    assert stored_requests() == 0


def test_widget_daily_cap_refuses_with_429_and_stores_nothing(client: FlaskClient) -> None:
    widget = make_widget(daily_call_cap=2)
    numbers = [f"+4420794600{n:02d}" for n in (11, 12, 13)]
    with time_machine.travel(NOON, tick=False):
        statuses = [submit(client, widget.key, n).status_code for n in numbers[:2]]
        refused = submit(client, widget.key, numbers[2])
    assert statuses == [202, 202]
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "daily_cap_reached"
    assert int(refused.headers["Retry-After"]) == 12 * 3600  # until midnight UTC
    assert stored_requests() == 2


def test_pending_duplicate_does_not_use_up_the_cap(client: FlaskClient) -> None:
    widget = make_widget(daily_call_cap=1)
    first = submit(client, widget.key, VISITOR_LANDLINE)
    again = submit(client, widget.key, VISITOR_LANDLINE)
    assert first.status_code == again.status_code == 202
    assert again.get_json()["status"] == "already_requested"


def test_cap_opens_again_the_next_utc_day(client: FlaskClient) -> None:
    widget = make_widget(daily_call_cap=1)
    with time_machine.travel(NOON, tick=False):
        assert submit(client, widget.key, "+442079460011").status_code == 202
        assert submit(client, widget.key, "+442079460012").status_code == 429
    with time_machine.travel(NOON + timedelta(days=1), tick=False):
        assert submit(client, widget.key, "+442079460012").status_code == 202


def test_global_cap_applies_across_widgets(client: FlaskClient, app: Flask) -> None:
    app.config["DAILY_CALL_CAP_GLOBAL"] = 1
    first, second = make_widget(), make_widget(name="Other Ltd")
    assert submit(client, first.key, "+442079460011").status_code == 202
    refused = submit(client, second.key, "+442079460012")
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "daily_cap_reached"


def test_refused_request_does_not_count_against_the_other_cap(
    client: FlaskClient, app: Flask
) -> None:
    app.config["DAILY_CALL_CAP_GLOBAL"] = 2
    capped, other = make_widget(daily_call_cap=0), make_widget(name="Other Ltd")
    assert submit(client, capped.key, "+442079460011").status_code == 429
    assert submit(client, other.key, "+442079460012").status_code == 202
    assert submit(client, other.key, "+442079460013").status_code == 202


def test_caps_count_in_the_database_when_redis_is_down(
    settings: dict[str, object], engine: Engine, redis: Redis
) -> None:
    with app_with({**settings, "REDIS_URL": "redis://127.0.0.1:1/0"}, engine) as app:
        widget = make_widget(daily_call_cap=1)
        client = app.test_client()
        assert submit(client, widget.key, "+442079460011").status_code == 202
        refused = submit(client, widget.key, "+442079460012")
        assert stored_requests() == 1
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "daily_cap_reached"
