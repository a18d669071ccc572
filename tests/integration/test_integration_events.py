"""Outcome events are written in the transaction of the move they describe, for listeners only.

The delivery itself is the jobs' (tests/integration/test_webhook_delivery.py); here: which
moves write which events, what an event says, and that the campaign alone survives intake.
"""

from __future__ import annotations

import uuid

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import func, select

from callback import db
from callback.integrations import events
from callback.integrations.endpoints import add_endpoint, change_endpoint, remove_endpoint
from callback.lifecycle.requests import finish
from callback.models import (
    CallbackRequest,
    RequestStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    Widget,
)
from tests.factories import VISITOR_LANDLINE, VISITOR_TYPED, make_request, make_widget
from tests.residue import number_forms, text_holds
from tests.visitors import submit
from workers.queues import webhook_job_id

FROM_SITE = {"Origin": "https://www.example.com"}
RECEIVER = "http://127.0.0.1:9/hooks"  # never contacted here: no job runs in these tests


def _listen(widget: Widget, *types: str) -> WebhookEndpoint:
    session = db.session()
    endpoint = add_endpoint(session, widget, RECEIVER, list(types), actor="test")
    session.commit()
    return endpoint


def _events_of(request_id: uuid.UUID | str) -> list[WebhookEvent]:
    query = select(WebhookEvent).where(WebhookEvent.request_id == uuid.UUID(str(request_id)))
    return list(db.session().scalars(query.order_by(WebhookEvent.id)).all())


def test_nothing_is_written_when_nobody_listens(client: FlaskClient) -> None:
    widget = make_widget()
    answer = submit(client, widget.key, VISITOR_TYPED, headers=FROM_SITE)
    assert answer.status_code == 202
    assert db.session().scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_a_submission_writes_requested_and_leaves_its_delivery_job(
    client: FlaskClient, redis: Redis
) -> None:
    widget = make_widget()
    endpoint = _listen(widget, events.REQUESTED, events.COMPLETED)
    answer = submit(client, widget.key, VISITOR_TYPED, headers=FROM_SITE)
    request_id = answer.get_json()["id"]
    [event] = _events_of(request_id)
    assert event.type == events.REQUESTED
    assert event.payload["request_id"] == request_id
    assert event.payload["widget"] == {"key": widget.key, "name": widget.name}
    [delivery] = db.session().scalars(select(WebhookDelivery)).all()
    assert (delivery.endpoint_id, delivery.state) == (endpoint.id, "pending")
    assert redis.exists(f"rq:job:{webhook_job_id(endpoint.id, request_id)}")


def test_an_endpoint_gets_only_the_types_it_asked_for(app: Flask) -> None:
    widget = make_widget()
    completed_only = _listen(widget, events.COMPLETED)
    failed_only = _listen(widget, events.FAILED)
    request = make_request(widget)
    finish(db.session(), request, RequestStatus.FAILED, "no_agent_answered")
    db.session().commit()
    [event] = _events_of(request.id)
    assert event.type == events.FAILED
    endpoints = db.session().scalars(select(WebhookDelivery.endpoint_id)).all()
    assert endpoints == [failed_only.id]
    assert completed_only.id not in endpoints


def test_a_disabled_endpoint_is_not_written_for(app: Flask) -> None:
    widget = make_widget()
    endpoint = _listen(widget, events.FAILED)
    endpoint.enabled = False  # the endpoint belongs to db.session(), which _listen used
    db.session().commit()
    request = make_request(widget)
    finish(db.session(), request, RequestStatus.FAILED, "no_agent_answered")
    db.session().commit()
    assert _events_of(request.id) == []


def test_a_rolled_back_move_leaves_no_event_and_no_job(app: Flask, redis: Redis) -> None:
    widget = make_widget()
    endpoint = _listen(widget, events.CANCELED)
    request = make_request(widget)
    request_id = request.id
    assert finish(db.session(), request, RequestStatus.CANCELED, "canceled_by_visitor")
    db.session().rollback()
    assert _events_of(request_id) == []
    assert not redis.exists(f"rq:job:{webhook_job_id(endpoint.id, request_id)}")


def test_an_ended_request_s_event_keeps_no_number_unless_the_widget_shares_it(
    app: Flask,
) -> None:
    widget = make_widget()
    _listen(widget, events.FAILED)
    request = make_request(widget)
    finish(db.session(), request, RequestStatus.FAILED, "no_agent_answered")
    db.session().commit()
    [event] = _events_of(request.id)
    forms, significant = number_forms(VISITOR_LANDLINE)
    assert event.phone is None
    assert not text_holds(repr(event.payload), forms, significant)
    assert event.payload["outcome"] == "no_agent_answered"
    assert event.payload["status"] == "failed"


def test_the_number_is_kept_for_sending_only_under_the_confirmed_consent_version(
    app: Flask,
) -> None:
    widget = make_widget(
        privacy_notice="We pass your number to our CRM.",
        consent_version="2026-12",
        webhook_number_consent_version="2026-12",
    )
    _listen(widget, events.COMPLETED, events.FAILED)
    confirmed = make_request(widget, status=RequestStatus.CONNECTED, consent_version="2026-12")
    older = make_request(widget, phone="+442079460124", consent_version="2026-11")
    finish(db.session(), confirmed, RequestStatus.COMPLETED, "talked")
    finish(db.session(), older, RequestStatus.FAILED, "no_agent_answered")
    db.session().commit()
    [shared] = _events_of(confirmed.id)
    [kept_back] = _events_of(older.id)
    assert shared.phone == VISITOR_LANDLINE
    assert events.envelope(shared, shared.created_at)["data"]["visitor"] == {
        "phone": VISITOR_LANDLINE
    }
    assert kept_back.phone is None
    assert "visitor" not in events.envelope(kept_back, kept_back.created_at)["data"]
    assert confirmed.phone is None  # the request itself is erased as ever


def test_the_campaign_is_kept_and_every_other_parameter_dropped(client: FlaskClient) -> None:
    widget = make_widget()
    page = (
        "https://www.example.com/pricing?utm_source=news&utm_medium=email"
        "&utm_campaign=autumn%20sale&email=jo%40example.com&utm_term=&gclid=abc"
        "&utm_content=" + "x" * 300
    )
    answer = submit(client, widget.key, VISITOR_TYPED, headers=FROM_SITE, page_url=page)
    stored = db.session().get(CallbackRequest, uuid.UUID(answer.get_json()["id"]))
    assert stored is not None
    assert stored.page_url == "https://www.example.com/pricing"
    assert (stored.utm_source, stored.utm_medium, stored.utm_campaign) == (
        "news",
        "email",
        "autumn sale",
    )
    assert stored.utm_term is None
    assert stored.utm_content == "x" * 200


def test_a_campaign_with_control_characters_or_from_a_foreign_page_is_not_kept(
    client: FlaskClient,
) -> None:
    widget = make_widget()
    foreign = "https://elsewhere.example.net/?utm_source=spoof"
    first = submit(client, widget.key, VISITOR_TYPED, headers=FROM_SITE, page_url=foreign)
    second = submit(
        client,
        widget.key,
        "020 7946 0124",
        headers=FROM_SITE,
        page_url="https://www.example.com/?utm_source=a%07b&utm_medium=cpc",
    )
    rows = [
        db.session().get(CallbackRequest, uuid.UUID(answer.get_json()["id"]))
        for answer in (first, second)
    ]
    assert [(row.utm_source, row.utm_medium) for row in rows if row] == [
        (None, None),
        (None, "cpc"),
    ]


def test_the_widget_knows_which_types_its_enabled_endpoints_want(app: Flask) -> None:
    widget = make_widget()
    first = _listen(widget, events.FAILED)
    second = _listen(widget, events.COMPLETED, events.FAILED)
    session = db.session()
    stored = session.get_one(Widget, widget.id)
    assert stored.webhook_events == sorted([events.COMPLETED, events.FAILED])
    change_endpoint(session, second, {"enabled": False}, actor="test")
    assert stored.webhook_events == [events.FAILED]
    remove_endpoint(session, first, actor="test")
    session.commit()
    assert session.get_one(Widget, widget.id).webhook_events == []
