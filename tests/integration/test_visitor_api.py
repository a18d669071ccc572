"""The visitor API: every success and error path of the public contract."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient
from phonenumbers import PhoneNumberType
from redis import Redis
from rq import Queue
from sqlalchemy import select

from callback import db
from callback.models import AuditEntry, CallbackRequest, RequestStatus
from callback.texts.messages import message
from tests.factories import (
    VISITOR_LANDLINE,
    VISITOR_TYPED,
    example_number,
    make_agent,
    make_widget,
    stored_requests,
)
from tests.visitors import callbacks_url, submit
from workers.queues import CALLS_QUEUE, dial_job_id


def test_accepted_request_is_stored_as_e164_and_enqueued_by_id(
    app: Flask, client: FlaskClient, redis: Redis
) -> None:
    widget = make_widget()
    response = submit(
        client, widget.key, VISITOR_TYPED, page_url="https://www.example.com/pricing?email=x"
    )
    assert response.status_code == 202
    body = response.get_json()
    assert set(body) == {"id", "status", "status_url", "scheduled_for"}
    assert body["status"] == "queued"
    assert body["scheduled_for"] is None
    row = db.session().get_one(CallbackRequest, uuid.UUID(body["id"]))
    assert row.phone == VISITOR_LANDLINE
    assert (row.country, row.number_type) == ("GB", "FIXED_LINE")
    assert row.page_url == "https://www.example.com/pricing"
    jobs = Queue(CALLS_QUEUE, connection=redis).jobs
    assert [job.id for job in jobs] == [dial_job_id(row.id, 1)]
    assert jobs[0].args == (str(row.id),)


def test_form_encoded_submission_is_accepted(client: FlaskClient) -> None:
    widget = make_widget()
    response = client.post(
        callbacks_url(widget.key),
        data={"phone": VISITOR_TYPED, "consent": "on"},
    )
    assert response.status_code == 202


def test_status_endpoint_shows_status_but_never_the_number(client: FlaskClient) -> None:
    widget = make_widget()
    body = submit(client, widget.key, VISITOR_TYPED).get_json()
    status = client.get(body["status_url"])
    assert status.status_code == 200
    assert status.get_json()["status"] == "queued"
    assert "7946" not in status.get_data(as_text=True)


def test_wrong_token_and_unknown_id_look_the_same(client: FlaskClient) -> None:
    widget = make_widget()
    body = submit(client, widget.key, VISITOR_TYPED).get_json()
    wrong = client.get(f"/api/v1/callbacks/{body['id']}?token=guess")
    unknown = client.get(f"/api/v1/callbacks/{uuid.uuid4()}?token=guess")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.get_json() == unknown.get_json()


def test_delete_cancels_and_erases_the_number_at_once(client: FlaskClient) -> None:
    widget = make_widget()
    body = submit(client, widget.key, VISITOR_TYPED).get_json()
    response = client.delete(body["status_url"])
    assert response.status_code == 200
    assert response.get_json()["status"] == "canceled"
    row = db.session().get_one(CallbackRequest, uuid.UUID(body["id"]))
    db.session().refresh(row)
    assert row.status == RequestStatus.CANCELED
    assert row.phone is None
    assert row.erased_at is not None
    audit = db.session().scalars(select(AuditEntry).filter_by(request_id=row.id)).one()
    assert audit.action == "request_canceled"


def test_a_second_submission_while_pending_reveals_nothing_of_the_first(
    client: FlaskClient, redis: Redis
) -> None:
    widget = make_widget()
    first = submit(client, widget.key, VISITOR_TYPED).get_json()
    second = submit(client, widget.key, VISITOR_LANDLINE)
    assert second.status_code == 202
    # Whoever typed the number may not be who asked: no id, time, status or cancel URL.
    assert second.get_json() == {
        "status": "already_requested",
        "message": message("already_requested", "en"),
    }
    assert "Location" not in second.headers
    assert first["id"] not in second.get_data(as_text=True)
    assert stored_requests() == 1
    assert Queue(CALLS_QUEUE, connection=redis).count == 1


def test_preferred_time_schedules_the_request(client: FlaskClient, redis: Redis) -> None:
    widget = make_widget()
    make_agent()
    slot = client.get(f"/api/v1/widgets/{widget.key}/slots").get_json()["slots"][4]
    body = submit(client, widget.key, VISITOR_TYPED, preferred_time=slot["start"]).get_json()
    assert body["status"] == "scheduled"
    assert body["scheduled_for"] == slot["start"]
    assert Queue(CALLS_QUEUE, connection=redis).count == 0
    assert Queue(CALLS_QUEUE, connection=redis).scheduled_job_registry.count == 1


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"phone": VISITOR_TYPED}, "consent_required", "consent"),
        ({"phone": VISITOR_TYPED, "consent": False}, "consent_required", "consent"),
        ({"phone": "", "consent": True}, "phone_required", "phone"),
        ({"phone": "0" * 65, "consent": True}, "invalid_number", "phone"),
        ({"phone": "call me maybe", "consent": True}, "invalid_number", "phone"),
        ({"phone": "020 7946", "consent": True}, "invalid_number", "phone"),
        (
            {"phone": example_number("GB", PhoneNumberType.PREMIUM_RATE), "consent": True},
            "number_type_not_allowed",
            "phone",
        ),
        ({"phone": example_number("DE"), "consent": True}, "country_not_allowed", "phone"),
        (
            {"phone": VISITOR_TYPED, "consent": True, "preferred_time": "soon"},
            "invalid_preferred_time",
            "preferred_time",
        ),
    ],
)
def test_bad_input_gets_its_own_code_and_nothing_is_stored(
    client: FlaskClient, redis: Redis, body: dict[str, object], code: str, field: str
) -> None:
    widget = make_widget()
    response = client.post(callbacks_url(widget.key), json=body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]
    assert stored_requests() == 0
    assert Queue(CALLS_QUEUE, connection=redis).count == 0


def test_messages_follow_the_visitor_locale(client: FlaskClient) -> None:
    widget = make_widget()
    response = submit(client, widget.key, "abc", locale="pl-PL")
    assert "numer" in response.get_json()["error"]["message"]


def test_unknown_widget_is_404_with_code(client: FlaskClient) -> None:
    response = submit(client, "wk_nope", VISITOR_TYPED)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_widget"


def test_foreign_origin_is_refused_without_cors_headers(client: FlaskClient) -> None:
    widget = make_widget()
    response = submit(
        client, widget.key, VISITOR_TYPED, headers={"Origin": "https://www.example.com.evil.net"}
    )
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert stored_requests() == 0


def test_allowed_origin_gets_its_cors_header(client: FlaskClient) -> None:
    widget = make_widget()
    response = submit(
        client, widget.key, VISITOR_TYPED, headers={"Origin": "https://www.example.com"}
    )
    assert response.status_code == 202
    assert response.headers["Access-Control-Allow-Origin"] == "https://www.example.com"


def test_malformed_json_is_a_400_json_error(client: FlaskClient) -> None:
    widget = make_widget()
    response = client.post(
        callbacks_url(widget.key),
        data="{not json",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed_json"


def test_body_over_16_kib_is_a_413_json_error(client: FlaskClient) -> None:
    widget = make_widget()
    response = client.post(
        callbacks_url(widget.key),
        data={"phone": VISITOR_TYPED, "consent": "true", "page_url": "x" * 17000},
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"


def test_a_page_url_off_the_widgets_origins_is_not_kept(app: Flask, client: FlaskClient) -> None:
    # Read out to the agent as where the visitor came from: only the widget's own pages.
    widget = make_widget()
    response = submit(client, widget.key, VISITOR_TYPED, page_url="https://evil.example.net/x")
    row = db.session().get_one(CallbackRequest, uuid.UUID(response.get_json()["id"]))
    assert row.page_url is None
