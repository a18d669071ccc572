"""How a submission is stored: one pending request per number, widgets read from cache."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bench.counting import Counts, count_sql
from callback import db
from callback.models import CallbackRequest, RequestStatus, Widget, utcnow
from callback.security.caps import cap_keys
from callback.widgets.cache import WidgetCache, find_widget
from tests.factories import VISITOR_LANDLINE, VISITOR_TYPED, make_request, make_widget
from tests.visitors import submit

FROM_SITE = {"Origin": "https://www.example.com"}


def test_the_database_refuses_a_second_pending_request_for_a_number(app: Flask) -> None:
    widget = make_widget()
    make_request(widget)
    with pytest.raises(IntegrityError):
        make_request(widget, status=RequestStatus.SCHEDULED)


def test_an_ended_request_does_not_block_a_new_one(client: FlaskClient) -> None:
    widget = make_widget()
    ended = make_request(widget, status=RequestStatus.COMPLETED)
    answer = submit(client, widget.key, VISITOR_TYPED, headers=FROM_SITE)
    assert answer.status_code == 202
    assert answer.get_json()["id"] != str(ended.id)


def test_a_repeated_submission_gives_back_its_reservation_of_the_daily_cap(
    client: FlaskClient, redis: Redis
) -> None:
    widget = make_widget()
    first = submit(client, widget.key, VISITOR_TYPED, headers=FROM_SITE).get_json()
    again = submit(client, widget.key, VISITOR_LANDLINE, headers=FROM_SITE).get_json()
    assert "id" in first
    assert again["status"] == "already_requested"
    global_key, widget_key = cap_keys(widget, utcnow())
    assert [int(redis.get(key) or 0) for key in (global_key, widget_key)] == [1, 1]


def test_a_repeated_submission_at_the_daily_cap_still_finds_its_request(
    client: FlaskClient,
) -> None:
    widget = make_widget(daily_call_cap=1)
    first = submit(client, widget.key, VISITOR_TYPED, headers=FROM_SITE)
    assert first.status_code == 202
    again = submit(client, widget.key, VISITOR_LANDLINE, headers=FROM_SITE)
    assert again.status_code == 202
    assert again.get_json()["status"] == "already_requested"


def test_a_widget_changed_in_this_process_is_seen_at_once(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    widget = make_widget()
    first = submit(client, widget.key, VISITOR_TYPED, headers=FROM_SITE)
    assert first.status_code == 202  # the widget is now cached
    client.patch(
        f"/api/v1/admin/widgets/{widget.key}",
        json={"allowed_countries": ["PL"]},
        headers=admin_headers,
    )
    answer = submit(client, widget.key, "+44 20 7946 0999", headers=FROM_SITE)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == "country_not_allowed"


def test_a_cached_widget_costs_no_query(app: Flask) -> None:
    widget = make_widget()
    assert find_widget(widget.key) is not None
    bind = db.database(app).sessionmaker.kw["bind"]
    counts = Counts()
    with count_sql(bind, counts):
        cached = find_widget(widget.key)
    assert cached is not None
    assert cached.id == widget.id
    assert counts.sql == []


def test_the_cache_keeps_nothing_when_off_and_forgets_after_its_time(app: Flask) -> None:
    widget = make_widget()
    off = WidgetCache(0)
    off.put(widget)
    assert off.get(widget.key) is None
    brief = WidgetCache(0.05)
    brief.put(widget)
    assert brief.get(widget.key) is widget
    time.sleep(0.1)
    assert brief.get(widget.key) is None


def test_a_widget_deleted_elsewhere_while_cached_is_a_404_not_a_500(client: FlaskClient) -> None:
    widget = make_widget()
    first = submit(client, widget.key, VISITOR_TYPED, headers=FROM_SITE)
    assert first.status_code == 202  # the widget is now cached
    session = db.session()
    # As another process would: no ORM event reaches this process's cache.
    session.execute(delete(CallbackRequest))
    session.execute(delete(Widget).where(Widget.id == widget.id))
    session.commit()
    answer = submit(client, widget.key, "+44 20 7946 0999", headers=FROM_SITE)
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "unknown_widget"
    assert submit(client, widget.key, "+44 20 7946 0999", headers=FROM_SITE).status_code == 404
