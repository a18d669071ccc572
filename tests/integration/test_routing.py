"""Scheduling and routing: business hours, slots, ring strategies, availability, waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue

from callback import db
from callback.agents.roster import note_agent_leg_end
from callback.agents.routing import choose_agents
from callback.lifecycle.requests import retry_later
from callback.models import CallAttempt, CallbackRequest, Leg, RequestStatus, utcnow
from callback.schedule.queue_estimate import estimate
from tests.factories import VISITOR_TYPED, make_agent, make_request, make_widget
from tests.visitors import submit
from workers.queues import CALLS_QUEUE

WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def pending_request(widget: object, phone: str = "+442079460123") -> CallbackRequest:
    return make_request(widget, phone=phone, status=RequestStatus.QUEUED, wanted_at=utcnow())


@pytest.mark.parametrize(
    ("now", "opening"),
    [
        # Saturday in summer time; the next opening is Monday after the clocks went back.
        (datetime(2026, 10, 24, 13, tzinfo=UTC), "2026-10-26T09:00:00+00:00"),
        # Saturday in winter time; the next opening is Monday after the clocks went forward.
        (datetime(2026, 3, 28, 13, tzinfo=UTC), "2026-03-30T08:00:00+00:00"),
    ],
    ids=["clocks-back", "clocks-forward"],
)
def test_outside_hours_a_request_is_scheduled_for_the_next_opening_across_dst(
    client: FlaskClient, redis: Redis, now: datetime, opening: str
) -> None:
    widget = make_widget(business_hours=WEEKDAYS, timezone="Europe/London")
    with time_machine.travel(now, tick=False):
        body = submit(client, widget.key, VISITOR_TYPED).get_json()
    assert body["status"] == "scheduled"
    assert body["scheduled_for"] == opening
    registry = Queue(CALLS_QUEUE, connection=redis).scheduled_job_registry
    (job_id,) = registry.get_job_ids(cleanup=False)
    assert registry.get_scheduled_time(job_id) == datetime.fromisoformat(opening)


def test_inside_hours_a_request_is_queued_at_once(client: FlaskClient) -> None:
    widget = make_widget(business_hours=WEEKDAYS, timezone="Europe/London")
    with time_machine.travel(datetime(2026, 11, 27, 10, tzinfo=UTC), tick=False):
        assert submit(client, widget.key, VISITOR_TYPED).get_json()["status"] == "queued"


def test_slots_cover_open_hours_only_and_fill_up(client: FlaskClient) -> None:
    widget = make_widget(business_hours=WEEKDAYS, timezone="Europe/London", slot_minutes=30)
    make_agent()
    with time_machine.travel(datetime(2026, 11, 28, 12, tzinfo=UTC), tick=False):
        listing = client.get(f"/api/v1/widgets/{widget.key}/slots").get_json()
        assert listing["open_now"] is False
        first = listing["slots"][0]
        assert first["start"] == "2026-11-30T09:00:00+00:00"
        assert all(
            s["start"][11:16] >= "09:00" and s["end"][11:16] <= "17:00" for s in listing["slots"]
        )
        booked = submit(client, widget.key, VISITOR_TYPED, preferred_time=first["start"])
        assert booked.status_code == 202
        again = client.get(f"/api/v1/widgets/{widget.key}/slots").get_json()["slots"]
        assert again[0]["start"] != first["start"]  # one agent: the slot is full
        other = submit(client, widget.key, "020 7946 0124", preferred_time=first["start"])
        assert other.status_code == 422
        assert other.get_json()["error"]["code"] == "slot_unavailable"


def test_preferred_time_outside_hours_is_refused(client: FlaskClient) -> None:
    widget = make_widget(business_hours=WEEKDAYS, timezone="Europe/London")
    make_agent()
    with time_machine.travel(datetime(2026, 11, 27, 10, tzinfo=UTC), tick=False):
        response = submit(
            client, widget.key, VISITOR_TYPED, preferred_time="2026-11-28T10:00:00+00:00"
        )
    assert response.status_code == 422
    assert response.get_json()["error"] == {
        "code": "slot_unavailable",
        "message": response.get_json()["error"]["message"],
        "field": "preferred_time",
    }


def test_sequential_rings_by_priority_and_skips_busy_paused_and_off_hours(app: Flask) -> None:
    widget = make_widget()
    first = make_agent(name="A", phone="+442079460001", priority=1)
    second = make_agent(name="B", phone="+442079460002", priority=2)
    make_agent(name="C", phone="+442079460003", priority=0, available=False)
    make_agent(name="D", phone="+442079460004", priority=0, hours={"sun": [["00:00", "01:00"]]})
    request = pending_request(widget)
    with time_machine.travel(datetime(2026, 11, 27, 10, tzinfo=UTC), tick=False):
        assert [a.id for a in choose_agents(db.session(), request).agents] == [first.id]
        other = pending_request(widget, "+442079460124")
        db.session().add(
            CallAttempt(
                request_id=other.id,
                leg=Leg.AGENT,
                attempt_number=1,
                agent_id=first.id,
                status="ringing",
            )
        )
        db.session().commit()
        assert [a.id for a in choose_agents(db.session(), request).agents] == [second.id]


def test_round_robin_rings_whoever_was_rung_least_recently(app: Flask) -> None:
    widget = make_widget(ring_strategy="round_robin")
    first = make_agent(name="A", phone="+442079460001", priority=1)
    second = make_agent(name="B", phone="+442079460002", priority=2)
    earlier = pending_request(widget, "+442079460124")
    db.session().add(
        CallAttempt(
            request_id=earlier.id,
            leg=Leg.AGENT,
            attempt_number=1,
            agent_id=first.id,
            status="completed",
        )
    )
    db.session().commit()
    request = pending_request(widget)
    assert [a.id for a in choose_agents(db.session(), request).agents] == [second.id]


def test_simultaneous_rings_every_free_agent(app: Flask) -> None:
    widget = make_widget(ring_strategy="simultaneous")
    agents = [make_agent(name=n, phone=f"+44207946000{i}") for i, n in enumerate("ABC", 1)]
    request = pending_request(widget)
    assert [a.id for a in choose_agents(db.session(), request).agents] == [a.id for a in agents]


def test_an_agent_who_misses_three_calls_in_a_row_is_paused(app: Flask) -> None:
    widget = make_widget()
    agent = make_agent()
    for n in range(3):
        request = pending_request(widget, f"+44207946012{n}")
        attempt = CallAttempt(
            request_id=request.id, leg=Leg.AGENT, attempt_number=1, agent_id=agent.id
        )
        db.session().add(attempt)
        db.session().flush()
        note_agent_leg_end(db.session(), attempt, "no-answer" if n else "completed")
    db.session().commit()
    db.session().refresh(agent)
    assert agent.available is False
    assert agent.missed_in_row == 3


def test_a_retry_that_would_ring_after_the_maximum_wait_expires_instead(app: Flask) -> None:
    widget = make_widget(max_wait_minutes=5, retry_intervals=[600])
    request = pending_request(widget)
    assert retry_later(db.session(), request, "visitor_busy") is False
    assert request.status == RequestStatus.EXPIRED
    assert request.outcome == "max_wait_exceeded"
    assert request.phone is None


def test_status_reports_queue_position_and_an_estimate(client: FlaskClient) -> None:
    widget = make_widget()
    make_agent()
    bodies = [submit(client, widget.key, f"020 7946 01{n:02d}").get_json() for n in range(3)]
    statuses = [client.get(b["status_url"]).get_json() for b in bodies]
    assert [s["queue_position"] for s in statuses] == [1, 2, 3]
    waits = [s["estimated_wait_seconds"] for s in statuses]
    assert waits == sorted(waits)
    assert waits[0] < waits[2]


def test_scheduled_request_estimate_counts_down_to_its_time(app: Flask) -> None:
    widget = make_widget()
    request = pending_request(widget)
    request.status = RequestStatus.SCHEDULED
    request.scheduled_for = utcnow() + timedelta(minutes=30)
    wait = estimate(db.session(), request)
    assert wait.position is None
    assert wait.seconds is not None
    assert 1790 <= wait.seconds <= 1800
