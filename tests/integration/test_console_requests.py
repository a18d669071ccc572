"""The console's requests pages: the list (and its JSON), one request, and staff actions.

Real database (the test's rolled-back transaction) and real Redis: an action's dial job
is looked for in the RQ queue. No form of the visitor's number may reach a page.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask
from redis import Redis
from rq import Queue
from sqlalchemy import select

from callback import db
from callback.console.formatting import OUTCOME_NAMES
from callback.lifecycle.states import UNANSWERED_STATUSES
from callback.models import (
    Account,
    AuditEntry,
    CallbackRequest,
    CallEvent,
    RequestStatus,
    Widget,
    utcnow,
)
from tests.console_helpers import ConsoleClient, csrf_token, make_account, signed_in
from tests.factories import (
    VISITOR_LANDLINE,
    make_agent,
    make_agent_leg,
    make_request,
    make_widget,
)
from tests.residue import number_forms, text_holds
from workers.queues import CALLS_QUEUE, dial_job_id

WARSAW = "Europe/Warsaw"
# A summer day: Warsaw is UTC+2 (CEST), so 14:00 there is 12:00 UTC.
SUMMER_NOON_UTC = datetime(2026, 7, 15, 10, 0, tzinfo=UTC)
OTHER_VISITOR = "+442079460555"


def _visitor(index: int) -> str:
    """A distinct fictional number (Ofcom drama range) for the index-th visitor."""
    return f"+44207946{700 + index:04d}"


@pytest.fixture
def ours(app: Flask) -> Widget:
    return make_widget(name="Ours", timezone=WARSAW)


@pytest.fixture
def theirs(app: Flask) -> Widget:
    return make_widget(name="Theirs")


@pytest.fixture
def manager(ours: Widget) -> Account:
    return make_account("manager", widgets=[ours])


@pytest.fixture
def owner(app: Flask) -> Account:
    return make_account("owner")


def _ids(client: ConsoleClient, query: str = "") -> list[str]:
    answer = client.get(f"/console/requests.json{query}")
    assert answer.status_code == 200, answer.text
    return [row["id"] for row in answer.json["rows"]]


def _post(client: ConsoleClient, request: CallbackRequest, action: str, **form: str) -> Any:
    page = client.get(f"/console/requests/{request.id}")
    return client.post(
        f"/console/requests/{request.id}/{action}",
        data={"csrf_token": csrf_token(page.text), **form},
    )


def _audits(request: CallbackRequest) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.request_id == request.id).order_by(AuditEntry.id)
    return list(db.session().scalars(query))


def _jobs(redis: Redis, request_id: uuid.UUID) -> list[str]:
    queue = Queue(CALLS_QUEUE, connection=redis)
    ids = queue.job_ids + queue.scheduled_job_registry.get_job_ids(cleanup=False)
    return sorted(job_id for job_id in ids if str(request_id) in job_id)


def _reloaded(request: CallbackRequest) -> CallbackRequest:
    db.session().expire_all()
    return db.session().get_one(CallbackRequest, request.id)


# the list


def test_a_manager_sees_only_their_widgets_requests(
    app: Flask, manager: Account, ours: Widget, theirs: Widget
) -> None:
    mine = make_request(ours)
    other = make_request(theirs, phone=OTHER_VISITOR)
    client = signed_in(app, manager)
    page = client.get("/console/requests")
    assert page.status_code == 200
    assert f"/console/requests/{mine.id}" in page.text
    assert str(other.id) not in page.text
    assert _ids(client) == [str(mine.id)]
    # Naming another manager's widget in the filter shows nothing of it.
    assert _ids(client, f"?widget={theirs.id}") == [str(mine.id)]


@pytest.mark.parametrize("typed", ["\u00b2", "9" * 20, "-1"])
def test_a_widget_filter_that_is_no_id_is_ignored(
    app: Flask, owner: Account, ours: Widget, typed: str
) -> None:
    made = make_request(ours)
    client = signed_in(app, owner)
    assert client.get("/console/requests", query_string={"widget": typed}).status_code == 200
    assert _ids(client, f"?widget={typed}") == [str(made.id)]


def test_the_owner_sees_every_request_newest_first(
    app: Flask, owner: Account, ours: Widget, theirs: Widget
) -> None:
    now = utcnow()
    older = make_request(ours, created_at=now - timedelta(hours=2))
    newer = make_request(theirs, phone=OTHER_VISITOR, created_at=now - timedelta(hours=1))
    assert _ids(signed_in(app, owner)) == [str(newer.id), str(older.id)]


def test_an_agent_may_not_open_the_requests_pages(app: Flask, ours: Widget) -> None:
    request = make_request(ours, status=RequestStatus.SCHEDULED, scheduled_for=utcnow())
    agent = make_account("agent", widgets=[ours], agent=make_agent())
    client = signed_in(app, agent)
    assert client.get("/console/requests").status_code == 403
    assert client.get("/console/requests.json").status_code == 403
    assert client.get(f"/console/requests/{request.id}").status_code == 403
    token = csrf_token(client.get("/console/me").text)
    answer = client.post(f"/console/requests/{request.id}/call-now", data={"csrf_token": token})
    assert answer.status_code == 403
    assert _reloaded(request).status == RequestStatus.SCHEDULED


def test_filters_narrow_by_status_widget_dates_and_attention(
    app: Flask, owner: Account, ours: Widget, theirs: Widget
) -> None:
    now = utcnow()
    waiting = make_request(ours, phone=_visitor(1))  # queued a moment ago: on time
    late = make_request(
        ours,
        phone=_visitor(2),
        status=RequestStatus.SCHEDULED,
        scheduled_for=now - timedelta(minutes=20),
    )
    failed = make_request(
        theirs, phone=None, status=RequestStatus.FAILED, ended_at=now - timedelta(hours=2)
    )
    old_failure = make_request(
        theirs,
        phone=None,
        status=RequestStatus.EXPIRED,
        created_at=now - timedelta(days=3),
        ended_at=now - timedelta(days=3),
    )
    client = signed_in(app, owner)
    assert set(_ids(client, "?status=failed&status=expired")) == {
        str(failed.id),
        str(old_failure.id),
    }
    assert set(_ids(client, f"?widget={ours.id}")) == {str(waiting.id), str(late.id)}
    assert set(_ids(client, "?attention=1")) == {str(late.id), str(failed.id)}
    three_days_ago = (now - timedelta(days=3)).date().isoformat()
    assert _ids(client, f"?to={three_days_ago}") == [str(old_failure.id)]
    yesterday = (now - timedelta(days=1)).date().isoformat()
    assert str(old_failure.id) not in _ids(client, f"?from={yesterday}")


def test_a_bad_date_is_shown_beside_its_field_and_kept(app: Flask, owner: Account) -> None:
    answer = signed_in(app, owner).get("/console/requests?from=31.05.2026")
    assert answer.status_code == 400
    assert 'id="f-from-error"' in answer.text
    assert 'value="31.05.2026"' in answer.text


@pytest.mark.parametrize(
    "query",
    ["to=9999-12-31", "from=0001-01-01", "from=1899-12-31", "to=9001-01-01"],
)
def test_a_date_out_of_the_years_shown_is_a_form_error_not_a_crash(
    app: Flask, owner: Account, query: str
) -> None:
    tokyo = make_widget(name="Tokyo", timezone="Asia/Tokyo")  # east of UTC: midnight is earlier
    client = signed_in(app, owner)
    field = query.partition("=")[0]
    page = client.get(f"/console/requests?widget={tokyo.id}&{query}")
    assert page.status_code == 400
    assert f'id="f-{field}-error"' in page.text
    answer = client.get(f"/console/requests.json?widget={tokyo.id}&{query}")
    assert answer.status_code == 400
    assert set(answer.json["errors"]) == {field}


def test_the_first_and_last_years_shown_are_accepted(app: Flask, owner: Account) -> None:
    client = signed_in(app, owner)
    assert client.get("/console/requests?from=1900-01-01&to=9000-12-31").status_code == 200


@pytest.mark.parametrize(
    "cursor",
    [
        "0001-01-01T00:00:00+09:00_00000000-0000-0000-0000-000000000001",
        "9999-12-31T23:59:59-05:00_00000000-0000-0000-0000-000000000001",
        "9999-12-31T23:59:59+00:00_00000000-0000-0000-0000-000000000001",
    ],
)
def test_a_cursor_out_of_the_years_shown_starts_from_the_top(
    app: Flask, owner: Account, ours: Widget, cursor: str
) -> None:
    made = make_request(ours)
    client = signed_in(app, owner)
    assert client.get("/console/requests", query_string={"before": cursor}).status_code == 200
    answer = client.get("/console/requests.json", query_string={"before": cursor})
    assert answer.status_code == 200
    assert [row["id"] for row in answer.json["rows"]] == [str(made.id)]


def test_pages_follow_each_other_newest_first(app: Flask, owner: Account, ours: Widget) -> None:
    now = utcnow()
    made = [
        make_request(
            ours, phone=None, status=RequestStatus.COMPLETED, created_at=now - timedelta(minutes=i)
        )
        for i in range(53)
    ]
    client = signed_in(app, owner)
    first = client.get("/console/requests.json").json
    assert [row["id"] for row in first["rows"]] == [str(r.id) for r in made[:50]]
    second = client.get("/console/requests.json", query_string={"before": first["next"]}).json
    assert [row["id"] for row in second["rows"]] == [str(r.id) for r in made[50:]]
    assert second["next"] is None
    page = client.get("/console/requests")
    older = re.search(r'href="([^"]*before=[^"]*)"', page.text)
    assert older is not None
    assert str(made[52].id) in client.get(older.group(1).replace("&amp;", "&")).text


def test_the_json_list_is_masked_scoped_and_never_cached(
    app: Flask, manager: Account, ours: Widget, theirs: Widget
) -> None:
    make_request(ours, status=RequestStatus.SCHEDULED, scheduled_for=utcnow())
    make_request(ours, phone=None, status=RequestStatus.CANCELED, outcome="canceled_by_staff")
    make_request(theirs, phone=OTHER_VISITOR)
    answer = signed_in(app, manager).get("/console/requests.json")
    assert answer.headers["Cache-Control"] == "no-store"
    rows = answer.json["rows"]
    assert {row["widget"] for row in rows} == {"Ours"}
    assert sorted(row["number"] for row in rows) == ["+44********23", "erased"]
    forms, significant = number_forms(VISITOR_LANDLINE)
    assert not text_holds(answer.text, forms, significant)
    assert not text_holds(answer.text, *number_forms(OTHER_VISITOR))


def test_the_list_refreshes_without_javascript_and_loads_a_static_script(
    app: Flask, owner: Account
) -> None:
    page = signed_in(app, owner).get("/console/requests?status=queued")
    assert 'aria-live="polite"' in page.text
    assert 'href="/console/requests?status=queued"' in page.text  # the refresh link
    assert '<script src="/console/assets/requests.js"></script>' in page.text
    assert "<script>" not in page.text


# one request


def test_another_widgets_request_is_not_found_like_an_unknown_one(
    app: Flask, manager: Account, theirs: Widget
) -> None:
    other = make_request(theirs, status=RequestStatus.SCHEDULED, scheduled_for=utcnow())
    client = signed_in(app, manager)
    assert client.get(f"/console/requests/{other.id}").status_code == 404
    assert client.get(f"/console/requests/{uuid.uuid4()}").status_code == 404
    token = csrf_token(client.get("/console/requests").text)
    answer = client.post(f"/console/requests/{other.id}/cancel", data={"csrf_token": token})
    assert answer.status_code == 404
    assert _reloaded(other).status == RequestStatus.SCHEDULED


def test_the_detail_shows_facts_history_and_the_actions_that_apply(
    app: Flask, owner: Account
) -> None:
    leg = make_agent_leg(call_sid="CA" + "c" * 32, status="ringing")
    db.session().add(
        CallEvent(
            call_sid=leg.call_sid,
            attempt_id=leg.id,
            sequence_number=0,
            status="ringing",
            timestamp=utcnow(),
            params={"Note": "dialled 020 7946 0123"},  # a number where none belongs
        )
    )
    db.session().commit()
    page = signed_in(app, owner).get(f"/console/requests/{leg.request_id}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "+44********23" in page.text
    assert "Call to the agent, call 1 (round 1)" in page.text
    assert "Ada" in page.text
    assert "Call event: ringing" in page.text
    assert "/cancel" in page.text  # still pending
    assert "/call-now" not in page.text
    assert "/reschedule" not in page.text
    assert not text_holds(page.text, *number_forms(VISITOR_LANDLINE))


def test_no_form_of_the_number_reaches_the_list_json_or_detail(
    app: Flask, owner: Account, ours: Widget
) -> None:
    request = make_request(
        ours, status=RequestStatus.SCHEDULED, scheduled_for=utcnow() + timedelta(hours=1)
    )
    db.session().add(
        AuditEntry(
            request_id=request.id,
            action="note",
            actor="system",
            details={"by mistake": "+44 20 7946 0123"},
        )
    )
    db.session().commit()
    client = signed_in(app, owner)
    forms, significant = number_forms(VISITOR_LANDLINE)
    for path in ("/console/requests", "/console/requests.json", f"/console/requests/{request.id}"):
        answer = client.get(path)
        assert answer.status_code == 200
        assert not text_holds(answer.text, forms, significant), path


# actions


def test_call_now_dials_a_scheduled_request_and_says_so(
    app: Flask, redis: Redis, manager: Account, ours: Widget
) -> None:
    request = make_request(
        ours, status=RequestStatus.SCHEDULED, scheduled_for=utcnow() + timedelta(hours=1)
    )
    client = signed_in(app, manager)
    answer = _post(client, request, "call-now")
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/console/requests/{request.id}"
    assert _reloaded(request).status == RequestStatus.QUEUED
    (job_id,) = _jobs(redis, request.id)
    assert job_id.startswith(dial_job_id(request.id, 1) + "-now")
    (audit,) = _audits(request)
    assert (audit.action, audit.actor) == ("staff_call_now", f"account:{manager.id}")
    assert "The request is being called now." in client.get(answer.headers["Location"]).text


def test_call_now_on_a_completed_request_is_refused_with_its_reason(
    app: Flask, redis: Redis, owner: Account, ours: Widget
) -> None:
    request = make_request(ours, phone=None, status=RequestStatus.COMPLETED)
    answer = _post(signed_in(app, owner), request, "call-now")
    assert answer.status_code == 409
    assert "Only a scheduled request can be called now; this one is: Completed." in answer.text
    assert _reloaded(request).status == RequestStatus.COMPLETED
    assert _jobs(redis, request.id) == []
    assert _audits(request) == []


def test_a_refusal_is_worded_in_the_readers_language(app: Flask, ours: Widget) -> None:
    polish = make_account("owner", email="wlasciciel@example.com")
    polish.language = "pl"
    db.session().commit()
    request = make_request(ours, phone=None, status=RequestStatus.FAILED)
    answer = _post(signed_in(app, polish), request, "retry")
    assert answer.status_code == 409
    assert "Numer odwiedzającego usunięto" in answer.text


def test_retry_rings_a_failed_round_again_now(
    app: Flask, redis: Redis, owner: Account, ours: Widget
) -> None:
    request = make_request(
        ours,
        status=RequestStatus.SCHEDULED,
        scheduled_for=utcnow() + timedelta(minutes=10),
        round=2,
    )
    client = signed_in(app, owner)
    assert "/retry" in client.get(f"/console/requests/{request.id}").text
    answer = _post(client, request, "retry")
    assert answer.status_code == 302
    assert _reloaded(request).status == RequestStatus.QUEUED
    (job_id,) = _jobs(redis, request.id)
    assert job_id.startswith(dial_job_id(request.id, 2) + "-now")
    assert [audit.action for audit in _audits(request)] == ["staff_retry"]


def test_reschedule_reads_the_time_in_the_widgets_zone(
    app: Flask, redis: Redis, manager: Account, ours: Widget
) -> None:
    with time_machine.travel(SUMMER_NOON_UTC):
        due = utcnow() + timedelta(minutes=30)
        request = make_request(
            ours, status=RequestStatus.SCHEDULED, scheduled_for=due, wanted_at=due
        )
        client = signed_in(app, manager)
        page = client.get(f"/console/requests/{request.id}")
        assert 'value="2026-07-15T12:30"' in page.text  # its time, in Warsaw
        answer = _post(client, request, "reschedule", when="2026-07-15T14:00")
    assert answer.status_code == 302
    expected = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)
    assert expected == datetime(2026, 7, 15, 14, 0, tzinfo=ZoneInfo(WARSAW))
    moved = _reloaded(request)
    assert (moved.status, moved.scheduled_for) == (RequestStatus.SCHEDULED, expected)
    (job_id,) = _jobs(redis, request.id)
    registry = Queue(CALLS_QUEUE, connection=redis).scheduled_job_registry
    assert registry.get_scheduled_time(job_id) == expected
    (audit,) = _audits(request)
    assert audit.action == "staff_reschedule"
    assert audit.details["scheduled_for"] == expected.isoformat()


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("2026-07-15T09:00", "The new time must be in the future."),
        ("2026-07-16T20:00", "The new time must be no later than"),
        ("tomorrow", "Enter a date and a time."),
    ],
)
def test_reschedule_refuses_a_time_it_cannot_ring_at(
    app: Flask, redis: Redis, owner: Account, ours: Widget, typed: str, says: str
) -> None:
    with time_machine.travel(SUMMER_NOON_UTC):
        due = utcnow() + timedelta(minutes=30)
        request = make_request(
            ours, status=RequestStatus.SCHEDULED, scheduled_for=due, wanted_at=due
        )
        answer = _post(signed_in(app, owner), request, "reschedule", when=typed)
    assert answer.status_code == 400
    assert says in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert f'value="{typed}"' in answer.text  # what was typed is kept
    assert _reloaded(request).scheduled_for == due
    assert _audits(request) == []


@pytest.mark.parametrize(
    ("zone", "typed"),
    [
        ("Asia/Tokyo", "0001-01-01T00:00"),  # before the first moment datetime holds in UTC
        ("America/New_York", "9999-12-31T23:59"),  # after the last
        ("Asia/Tokyo", "9999-12-31T23:59"),
    ],
)
def test_reschedule_to_a_time_out_of_range_is_refused_not_a_crash(
    app: Flask, redis: Redis, owner: Account, zone: str, typed: str
) -> None:
    widget = make_widget(name="Far", timezone=zone)
    due = utcnow() + timedelta(minutes=30)
    request = make_request(widget, status=RequestStatus.SCHEDULED, scheduled_for=due)
    answer = _post(signed_in(app, owner), request, "reschedule", when=typed)
    assert answer.status_code == 400
    assert 'aria-invalid="true"' in answer.text
    assert f'value="{typed}"' in answer.text
    assert _reloaded(request).scheduled_for == due
    assert _audits(request) == []


def test_cancel_asks_for_confirmation_then_ends_the_request(
    app: Flask, redis: Redis, manager: Account, ours: Widget
) -> None:
    request = make_request(ours, status=RequestStatus.QUEUED)
    client = signed_in(app, manager)
    unconfirmed = _post(client, request, "cancel")
    assert unconfirmed.status_code == 400
    assert "to cancel it." in unconfirmed.text
    assert _reloaded(request).status == RequestStatus.QUEUED
    answer = _post(client, request, "cancel", confirm="yes")
    assert answer.status_code == 302
    ended = _reloaded(request)
    assert (ended.status, ended.phone) == (RequestStatus.CANCELED, None)
    (audit,) = _audits(request)
    assert (audit.action, audit.actor) == ("request_canceled", f"account:{manager.id}")
    page = client.get(answer.headers["Location"]).text
    assert "erased" in page
    assert "/cancel" not in page


def test_an_action_without_its_csrf_token_is_refused(
    app: Flask, owner: Account, ours: Widget
) -> None:
    request = make_request(
        ours, status=RequestStatus.SCHEDULED, scheduled_for=utcnow() + timedelta(hours=1)
    )
    client = signed_in(app, owner)
    answer = client.post(f"/console/requests/{request.id}/call-now")
    assert answer.status_code == 400
    assert _reloaded(request).status == RequestStatus.SCHEDULED
    assert _audits(request) == []


def test_why_a_request_ended_is_said_in_words(app: Flask) -> None:
    widget = make_widget()
    owner = signed_in(app, make_account("owner"))
    make_request(widget, status=RequestStatus.FAILED, phone=None, outcome="no_agent_accepted")
    refused = make_request(
        widget, status=RequestStatus.FAILED, phone=None, outcome="twilio_error_21215"
    )
    listed = owner.get("/console/requests").text
    assert "No agent took the call" in listed
    assert "Twilio refused the call (error 21215)" in listed
    rows = owner.get("/console/requests.json").get_json()["rows"]
    assert {row["outcome_name"] for row in rows} == {
        "No agent took the call",
        "Twilio refused the call (error 21215)",
    }
    assert "error 21215" in owner.get(f"/console/requests/{refused.id}").text
    polish = owner.get("/console/requests?lang=pl").text
    assert "Żaden konsultant nie przyjął rozmowy" in polish


@pytest.mark.parametrize("status", sorted(UNANSWERED_STATUSES))
def test_every_unanswered_visitor_leg_has_words(status: str) -> None:
    assert "visitor_" + status.replace("-", "_") in OUTCOME_NAMES
