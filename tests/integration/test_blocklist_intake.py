"""A blocked visitor is answered exactly as an accepted one, and nothing is stored or dialled."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from sqlalchemy import select
from werkzeug.test import TestResponse

from callback import db
from callback.blocklist.entries import add_entry
from callback.metrics import metrics
from callback.models import CallbackRequest, Widget
from tests.factories import VISITOR_LANDLINE, VISITOR_TYPED, make_widget, stored_requests
from tests.visitors import submit, submit_form
from workers.queues import CALLS_QUEUE

BLOCKED = "+442079460777"  # a fictional London number (Ofcom's drama range)
# Headers whose values differ between any two answers (the id is in Location; the rate
# limit's reset time moves on with the clock).
PER_ANSWER = {"Location", "Content-Length", "X-Request-ID", "X-RateLimit-Reset", "Retry-After"}


def block(widget: Widget | None, kind: str, value: str) -> None:
    add_entry(db.session(), widget, kind, value, None, "test")
    db.session().commit()


def shape(response: TestResponse) -> tuple[int, set[str], set[str], dict[str, str], str]:
    """Return what must be the same for an accepted and a blocked submission."""
    names = {name for name, _ in response.headers.items()}
    headers = {k: v for k, v in response.headers.items() if k not in PER_ANSWER}
    body = response.get_json()
    status_url = body.get("status_url", "")
    said = f"{body.get('status')}|{len(status_url)}"
    return response.status_code, set(body), names, headers, said


def dialled(redis: Redis) -> list[Any]:
    return Queue(CALLS_QUEUE, connection=redis).jobs


def blocked_count(kind: str) -> float:
    value = metrics().registry.get_sample_value(
        "callback_submissions_blocked_total", {"kind": kind}
    )
    return value or 0.0


def rows_with(number: str) -> list[CallbackRequest]:
    return list(db.session().scalars(select(CallbackRequest).filter_by(phone=number)))


@pytest.mark.parametrize(
    ("kind", "value", "remote_addr"),
    [
        ("number", "020 7946 0777", None),
        ("prefix", "+44 20 7946 07", None),
        ("ip_range", "198.51.100.0/24", "198.51.100.7"),
        ("ip_range", "2001:db8::/32", "2001:db8:1::5"),
    ],
)
def test_blocked_submission_is_answered_as_an_accepted_one_and_nothing_is_dialled(
    app: Flask, client: FlaskClient, redis: Redis, kind: str, value: str, remote_addr: str | None
) -> None:
    widget = make_widget()
    accepted = submit(client, widget.key, VISITOR_TYPED, remote_addr="192.0.2.10")
    block(widget, kind, value)
    before, jobs, counted = stored_requests(), len(dialled(redis)), blocked_count(kind)
    blocked = submit(client, widget.key, BLOCKED, remote_addr=remote_addr or "192.0.2.11")
    assert shape(blocked) == shape(accepted)
    assert blocked.status_code == 202
    assert blocked.get_json()["status"] == "queued"
    assert blocked.headers["Location"] == blocked.get_json()["status_url"]
    assert stored_requests() == before
    assert rows_with(BLOCKED) == []
    assert len(dialled(redis)) == jobs
    assert blocked_count(kind) == counted + 1


def test_blocked_visitors_status_url_reads_like_a_waiting_request_and_can_be_withdrawn(
    app: Flask, client: FlaskClient
) -> None:
    widget = make_widget()
    accepted = submit(client, widget.key, VISITOR_TYPED).get_json()
    block(widget, "number", BLOCKED)
    blocked = submit(client, widget.key, BLOCKED).get_json()
    real = client.get(accepted["status_url"])
    decoy = client.get(blocked["status_url"])
    assert decoy.status_code == real.status_code == 200
    assert set(decoy.get_json()) == set(real.get_json())
    assert decoy.get_json()["status"] == "queued"
    assert decoy.get_json()["id"] == blocked["id"]
    wrong_token = blocked["status_url"].split("?")[0] + "?token=nope"
    assert client.get(wrong_token).status_code == 404
    withdrawn = client.delete(blocked["status_url"])
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["status"] == "canceled"
    assert client.get(blocked["status_url"]).get_json()["status"] == "canceled"
    ended = client.get(blocked["status_url"]).get_json()["ended_at"]
    # Withdrawn twice: the answer a real request gives, and nothing moves.
    assert client.delete(accepted["status_url"]).status_code == 200
    again, real_again = client.delete(blocked["status_url"]), client.delete(accepted["status_url"])
    assert again.status_code == real_again.status_code
    assert set(again.get_json()) == set(real_again.get_json())
    assert again.get_json()["status"] == real_again.get_json()["status"] == "canceled"
    assert client.get(blocked["status_url"]).get_json()["ended_at"] == ended
    assert db.session().get(CallbackRequest, uuid.UUID(blocked["id"])) is None
    # Withdrawn, the number may ask again, as after withdrawing a real request.
    assert submit(client, widget.key, BLOCKED).get_json()["status"] == "queued"


def test_a_blocked_number_asking_again_hears_already_requested_as_a_pending_one_does(
    app: Flask, client: FlaskClient
) -> None:
    widget = make_widget()
    block(widget, "number", BLOCKED)
    visitor, blocked = {"remote_addr": "192.0.2.20"}, {"remote_addr": "192.0.2.21"}
    submit(client, widget.key, VISITOR_TYPED, **visitor)
    submit(client, widget.key, BLOCKED, **blocked)
    again = submit(client, widget.key, VISITOR_TYPED, **visitor)
    blocked_again = submit(client, widget.key, BLOCKED, **blocked)
    assert shape(blocked_again) == shape(again)
    assert blocked_again.get_json() == again.get_json()


def test_no_js_form_redirects_a_blocked_visitor_to_a_status_page_as_an_accepted_one(
    app: Flask, client: FlaskClient
) -> None:
    widget = make_widget()
    block(widget, "prefix", "+4420794607")
    accepted = submit_form(client, widget.key, VISITOR_TYPED)
    blocked = submit_form(client, widget.key, BLOCKED)
    assert blocked.status_code == accepted.status_code == 303
    assert blocked.location.split("/status/")[0] == accepted.location.split("/status/")[0]
    page = client.get(blocked.location)
    assert page.status_code == client.get(accepted.location).status_code == 200
    assert 'data-status="queued"' in page.get_data(as_text=True)
    assert rows_with(BLOCKED) == []


def test_a_widgets_entry_leaves_other_widgets_alone_and_a_global_one_blocks_them_all(
    app: Flask, client: FlaskClient, redis: Redis
) -> None:
    mine, theirs = make_widget(name="Mine"), make_widget(name="Theirs")
    block(mine, "number", BLOCKED)
    submit(client, theirs.key, BLOCKED)
    assert len(rows_with(BLOCKED)) == 1
    other = "+442079460778"
    block(None, "number", other)
    for widget in (mine, theirs):
        assert submit(client, widget.key, other).status_code == 202
    assert rows_with(other) == []
    assert rows_with(VISITOR_LANDLINE) == []


def test_an_address_outside_the_range_is_taken_as_usual(app: Flask, client: FlaskClient) -> None:
    widget = make_widget()
    block(widget, "ip_range", "198.51.100.0/24")
    block(widget, "ip_range", "2001:db8::/32")
    submit(client, widget.key, BLOCKED, remote_addr="198.51.101.7")
    submit(client, widget.key, "+442079460779", remote_addr="2001:db9::1")
    submit(client, widget.key, "+442079460780", remote_addr="::ffff:198.51.100.9")
    assert len(rows_with(BLOCKED)) == len(rows_with("+442079460779")) == 1
    assert rows_with("+442079460780") == []  # an IPv4-mapped address is the IPv4 one


def test_an_unknown_id_with_any_token_is_404_alike(app: Flask, client: FlaskClient) -> None:
    # Unknown ids are now checked against decoys, so their token is compared too.
    for token in ("nope", "żółw", ""):
        answer = client.get(f"/api/v1/callbacks/{uuid.uuid4()}", query_string={"token": token})
        assert answer.status_code == 404


def test_a_blocked_submission_uses_none_of_the_daily_cap_yet_is_refused_past_it(
    app: Flask, client: FlaskClient
) -> None:
    widget = make_widget(daily_call_cap=1)
    block(widget, "prefix", "+44207946077")
    assert submit(client, widget.key, BLOCKED, remote_addr="192.0.2.30").status_code == 202
    assert submit(client, widget.key, VISITOR_TYPED, remote_addr="192.0.2.31").status_code == 202
    assert len(rows_with(VISITOR_LANDLINE)) == 1  # the decoy took no share of the cap
    # One instant for both answers, so that their retry_after cannot straddle a second.
    with time_machine.travel(datetime.now(UTC), tick=False):
        other = submit(client, widget.key, "+442079460781", remote_addr="192.0.2.32")
        blocked = submit(client, widget.key, "+442079460778", remote_addr="192.0.2.33")
    assert other.status_code == 429
    assert blocked.status_code == 429
    assert blocked.get_json() == other.get_json()
