"""Data-subject requests: export and erase by API and CLI, audited without the number."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from sqlalchemy import select

from bench.counting import counting
from callback import db
from callback.lifecycle.requests import finish
from callback.models import (
    AuditEntry,
    CallbackRequest,
    MessageStatus,
    RequestStatus,
    VisitorMessage,
)
from callback.phones.hashing import index_phone_keys, phone_key, phone_redis_key
from tests.factories import (
    VISITOR_LANDLINE,
    VISITOR_TYPED,
    make_request,
    make_widget,
    session_connection,
)
from tests.residue import find_number
from tests.visitors import submitted
from workers.queues import CALLS_QUEUE, dial_job_id

EXPORT = "/api/v1/admin/privacy/export"
ERASE = "/api/v1/admin/privacy/erase"
FROM_SITE = {"Origin": "https://www.example.com"}


def audit(action: str) -> list[AuditEntry]:
    return list(db.session().scalars(select(AuditEntry).filter_by(action=action)))


def test_export_returns_the_requests_held_and_audits_without_the_number(
    client: FlaskClient, admin_headers: dict[str, str], redis: Redis
) -> None:
    request_id = submitted(
        client,
        make_widget().key,
        VISITOR_TYPED,
        headers=FROM_SITE,
        page_url="https://www.example.com/pricing",
    )
    response = client.post(EXPORT, json={"phone": "+44 20 7946 0123"}, headers=admin_headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["phone"] == VISITOR_LANDLINE
    [held] = body["requests"]
    assert held["id"] == str(request_id)
    assert held["status"] == "queued"
    assert held["page_url"] == "https://www.example.com/pricing"
    assert held["consent_version"] == "2026-11"
    assert held["attempts"] == []
    assert {"created_at", "ended_at", "outcome", "audit"} <= set(held)
    [entry] = audit("subject_export")
    assert entry.details == {"requests": [str(request_id)]}
    # Only the request itself still holds the number: not the audit trail.
    assert find_number(VISITOR_LANDLINE, session_connection(), redis) == ["callback_requests.phone"]


def test_erase_cancels_pending_requests_and_leaves_no_residue(
    client: FlaskClient, admin_headers: dict[str, str], redis: Redis
) -> None:
    request_id = submitted(client, make_widget().key, VISITOR_TYPED, headers=FROM_SITE)
    # Another key about the number, written the way every such key must be: named in the
    # number's index first (callback/phones/hashing.py).
    other = phone_redis_key(VISITOR_LANDLINE, "test")
    index_phone_keys(redis, VISITOR_LANDLINE, {other: 3600})
    redis.set(other, 1, ex=3600)
    # The rate limits' keys for this number, named by its keyed hash, the one above and
    # the index itself.
    about_number = list(redis.scan_iter(match=f"*{phone_key(VISITOR_LANDLINE)}*"))
    assert len(about_number) >= 3
    response = client.post(
        ERASE, json={"phone": VISITOR_TYPED, "region": "gb"}, headers=admin_headers
    )
    assert response.status_code == 200
    erased = response.get_json()["erased"]
    assert erased["requests"] == erased["pending_canceled"] == 1
    assert erased["jobs_deleted"] == 1
    assert erased["redis_keys_deleted"] == len(about_number)
    row = db.session().get_one(CallbackRequest, request_id)
    db.session().refresh(row)
    assert (row.status, row.outcome, row.phone) == (
        RequestStatus.CANCELED,
        "erased_on_request",
        None,
    )
    assert dial_job_id(request_id, 1) not in Queue(CALLS_QUEUE, connection=redis).job_ids
    assert not list(redis.scan_iter(match=f"*{phone_key(VISITOR_LANDLINE)}*"))
    [entry] = audit("subject_erasure")
    assert entry.details["requests"] == [str(request_id)]
    assert find_number(VISITOR_LANDLINE, session_connection(), redis) == []


def test_an_export_reads_the_numbers_index_not_every_key_in_redis(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str], redis: Redis
) -> None:
    submitted(client, make_widget().key, VISITOR_TYPED, headers=FROM_SITE)
    unrelated = redis.pipeline()
    for number in range(3000):  # scheduled dial jobs, other numbers' keys, ...
        unrelated.set(f"callback:test:unrelated:{number}", 1, ex=600)
    unrelated.execute()
    about_number = sorted(redis.scan_iter(match=f"*{phone_key(VISITOR_LANDLINE)}*"))
    bind = db.database(app).sessionmaker.kw["bind"]
    with counting(bind, redis) as counts:
        body = {"phone": VISITOR_TYPED, "region": "gb"}
        response = client.post(EXPORT, json=body, headers=admin_headers)
    assert response.status_code == 200
    exported = response.get_json()["abuse_limit_keys"]
    assert sorted(entry["key"].encode() for entry in exported) == about_number
    assert "SCAN" not in counts.redis, counts.summary()
    # The index, whether each key it names exists, and each one's TTL.
    assert counts.redis_count <= 2 + 2 * len(about_number), counts.summary()


def test_erase_also_clears_a_number_left_on_an_ended_request(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str], redis: Redis
) -> None:
    row = make_request(status=RequestStatus.FAILED, outcome="no_agent_accepted")
    response = client.post(ERASE, json={"phone": VISITOR_LANDLINE}, headers=admin_headers)
    assert response.get_json()["erased"]["pending_canceled"] == 0
    db.session().refresh(row)
    assert (row.status, row.outcome, row.phone) == (RequestStatus.FAILED, "no_agent_accepted", None)
    assert row.erased_at is not None
    assert find_number(VISITOR_LANDLINE, session_connection(), redis) == []


def test_cli_exports_and_erases_a_number_typed_in_national_format(
    app: Flask, client: FlaskClient, redis: Redis
) -> None:
    request_id = submitted(client, make_widget().key, VISITOR_TYPED, headers=FROM_SITE)
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["privacy", "export", "--phone", VISITOR_TYPED, "--region", "GB"])
    assert exported.exit_code == 0, exported.output
    assert [r["id"] for r in json.loads(exported.output)["requests"]] == [str(request_id)]
    erased = runner.invoke(args=["privacy", "erase", "--phone", VISITOR_TYPED, "--region", "GB"])
    assert erased.exit_code == 0, erased.output
    assert "requests: 1" in erased.output
    assert VISITOR_TYPED not in erased.output
    assert find_number(VISITOR_LANDLINE, session_connection(), redis) == []
    assert [e.actor for e in audit("subject_erasure")] == ["cli"]


def test_national_number_without_a_region_is_refused(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(ERASE, json={"phone": VISITOR_TYPED}, headers=admin_headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "phone"
    assert VISITOR_TYPED not in response.get_data(as_text=True)


def test_privacy_endpoints_need_an_admin_token(client: FlaskClient) -> None:
    assert client.post(EXPORT, json={"phone": VISITOR_LANDLINE}).status_code == 401
    assert client.post(ERASE, json={"phone": VISITOR_LANDLINE}).status_code == 401


def test_a_text_waiting_to_be_sent_is_exported_then_erased_with_the_number(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str], redis: Redis
) -> None:
    row = make_request(make_widget(sms_enabled=True), status=RequestStatus.CALLING_AGENT)
    finish(db.session(), row, RequestStatus.FAILED, "no_agent_accepted")
    db.session().commit()
    # The one copy left: the "we tried to call you" text not sent yet.
    assert find_number(VISITOR_LANDLINE, session_connection(), redis) == ["visitor_messages.to"]

    exported = client.post(EXPORT, json={"phone": VISITOR_LANDLINE}, headers=admin_headers)
    [text] = exported.get_json()["messages"]
    assert (text["request_id"], text["kind"], text["status"]) == (str(row.id), "missed", "pending")
    client.post(ERASE, json={"phone": VISITOR_LANDLINE}, headers=admin_headers)

    message = db.session().scalars(select(VisitorMessage)).one()
    db.session().refresh(message)
    assert (message.status, message.to) == (MessageStatus.CANCELED, None)
    assert find_number(VISITOR_LANDLINE, session_connection(), redis) == []
