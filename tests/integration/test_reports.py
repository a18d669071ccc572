"""The reports' figures on a small fixed history, each checked against values worked by hand.

The history (Warsaw time, business hours Monday to Friday 09:00-17:00), for the week of
2026-11-23 to 2026-11-29, and one request in the week before:

R1 Mon 10:00 /pricing autumn: Ada answers at +10 s, presses 1; visitor at +25 s, talks 120 s.
R2 Mon 10:30 /pricing autumn: Ada does not answer; Ben answers at +40 s, presses 1; visitor
   at +70 s, talks 20 s.
R3 Tue 18:00 /, scheduled for Wed 09:00: Ben rung at 09:00:30, answers at +45 s, presses 1;
   visitor at +60 s, talks 45 s.
R4 Wed 11:00 /contact: Ada does not answer; failed.
R5 Thu 12:00 /contact, scheduled for Fri 14:00: Ada rung at 14:03, answers at +200 s and
   does not press 1; expired.
R6 Sat 15:00 /contact: canceled before anyone was rung.
P1 (week before) Mon 16th 10:00 /pricing autumn: Ada answers at +20 s, presses 1; visitor
   at +30 s, talks 60 s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import func, select

from callback import db
from callback.models import (
    Agent,
    AgentLegFact,
    AttemptStatus,
    CallAttempt,
    CallbackRequest,
    Leg,
    RequestFact,
    RequestStatus,
    Widget,
)
from callback.lifecycle.requests import finish
from callback.reports import facts, figures, sections
from callback.reports.periods import Period
from tests.factories import VISITOR_LANDLINE, make_agent, make_request, make_widget
from tests.residue import number_forms, text_holds

WARSAW = ZoneInfo("Europe/Warsaw")
WEEK = Period(date(2026, 11, 23), date(2026, 11, 29))
WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def warsaw(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=WARSAW)


@dataclass
class Ring:
    agent: Agent
    sent: datetime
    answered_after: int | None = None  # seconds after `sent`
    pressed_1: bool = False


@dataclass
class Past:
    """One ended request of the history."""

    asked: datetime
    status: RequestStatus
    page: str | None = None
    campaign: str | None = None
    wanted: datetime | None = None
    rings: list[Ring] = field(default_factory=list)
    connected: datetime | None = None
    talk: int | None = None


def store(widget: Widget, past: Past) -> CallbackRequest:
    """Store `past` as an ended request with its agent legs, and count it as the lifecycle does."""
    session = db.session()
    request = CallbackRequest(
        widget=widget,
        phone=None,
        country="GB",
        number_type="FIXED_LINE",
        consent_version="t",
        status=past.status,
        created_at=past.asked,
        wanted_at=past.wanted or past.asked,
        page_url=f"https://www.example.com{past.page}?utm_campaign=x&email=a" if past.page else None,
        utm_campaign=past.campaign,
        connected_at=past.connected,
        talk_seconds=past.talk,
        ended_at=past.asked + timedelta(hours=1),
    )
    session.add(request)
    session.flush()
    for number, ring in enumerate(past.rings, start=1):
        answered = ring.answered_after is not None
        session.add(
            CallAttempt(
                request_id=request.id,
                leg=Leg.AGENT,
                attempt_number=number,
                agent_id=ring.agent.id,
                status=AttemptStatus.COMPLETED if answered else AttemptStatus.NO_ANSWER,
                created_at=ring.sent,
                sent_at=ring.sent,
                answered_at=ring.sent + timedelta(seconds=ring.answered_after or 0)
                if answered
                else None,
                digits="1" if ring.pressed_1 else None,
            )
        )
    session.flush()
    facts.record_ended(session, request)
    session.commit()
    return request


@pytest.fixture
def history(app: Flask) -> Widget:
    widget = make_widget(timezone="Europe/Warsaw", business_hours=WEEKDAYS_9_TO_5)
    ada, ben = make_agent(name="Ada"), make_agent(name="Ben", phone="+442079460002")
    at = warsaw
    for past in (
        Past(
            at(23, 10),
            RequestStatus.COMPLETED,
            "/pricing",
            "autumn",
            rings=[Ring(ada, at(23, 10, 0, 0), 10, pressed_1=True)],
            connected=at(23, 10, 0, 25),
            talk=120,
        ),
        Past(
            at(23, 10, 30),
            RequestStatus.COMPLETED,
            "/pricing",
            "autumn",
            rings=[Ring(ada, at(23, 10, 30, 1)), Ring(ben, at(23, 10, 30, 30), 10, True)],
            connected=at(23, 10, 31, 10),
            talk=20,
        ),
        Past(
            at(24, 18),
            RequestStatus.COMPLETED,
            "/",
            wanted=at(25, 9),
            rings=[Ring(ben, at(25, 9, 0, 30), 15, pressed_1=True)],
            connected=at(25, 9, 1, 0),
            talk=45,
        ),
        Past(at(25, 11), RequestStatus.FAILED, "/contact", rings=[Ring(ada, at(25, 11, 0, 5))]),
        Past(
            at(26, 12),
            RequestStatus.EXPIRED,
            "/contact",
            wanted=at(27, 14),
            rings=[Ring(ada, at(27, 14, 3), 20)],
        ),
        Past(at(28, 15), RequestStatus.CANCELED, "/contact"),
        Past(
            at(16, 10),
            RequestStatus.COMPLETED,
            "/pricing",
            "autumn",
            rings=[Ring(ada, at(16, 10), 20, pressed_1=True)],
            connected=at(16, 10, 0, 30),
            talk=60,
        ),
    ):
        store(widget, past)
    return widget


def test_time_to_callback_median_p90_and_distribution(history: Widget) -> None:
    waits = sections.time_to_callback(db.session(), history, WEEK)

    agent = waits["agent"].current
    assert (agent.count, agent.median, agent.p90) == (4, 40, 200)  # 10, 40, 45, 200
    assert agent.bins == (1, 0, 2, 0, 1, 0, 0, 0)
    visitor = waits["visitor"].current
    assert (visitor.count, visitor.median, visitor.p90) == (3, 60, 70)  # 25, 60, 70
    assert visitor.bins == (0, 1, 0, 2, 0, 0, 0, 0)
    before = waits["agent"].previous
    assert (before.count, before.median, before.p90) == (1, 20, 20)


def test_agents_offered_answered_accepted_missed_and_talk_time(history: Widget) -> None:
    rows = sections.agents(db.session(), history, WEEK)

    ada, ben = (row.current for row in rows)
    assert ada is not None and ben is not None
    assert (ada.name, ada.offered, ada.answered, ada.accepted, ada.missed) == ("Ada", 4, 2, 1, 2)
    assert (ada.answer_rate, ada.talk_seconds) == (0.5, 120)
    assert (ben.name, ben.offered, ben.answered, ben.accepted, ben.missed) == ("Ben", 2, 2, 2, 0)
    assert (ben.answer_rate, ben.talk_seconds) == (1.0, 65)
    previous_ada = rows[0].previous
    assert previous_ada is not None
    assert (previous_ada.offered, previous_ada.answered, previous_ada.talk_seconds) == (1, 1, 60)
    assert rows[1].previous is None  # Ben took no call the week before


def test_outcomes_by_page_count_each_step_of_the_funnel(history: Widget) -> None:
    pages = sections.outcomes(db.session(), history, WEEK, by="page")

    found = [
        (row.current.key, row.current.requested, row.current.agent_reached)
        + (row.current.visitor_reached, row.current.talked)
        for row in pages.rows
        if row.current
    ]
    assert found == [("/contact", 3, 1, 0, 0), ("/pricing", 2, 2, 2, 1), ("/", 1, 1, 1, 1)]
    total = pages.total.current
    assert (total.requested, total.agent_reached, total.visitor_reached, total.talked) == (
        6,
        4,
        3,
        2,
    )
    pricing_before = pages.rows[1].previous
    assert pricing_before is not None
    assert (pricing_before.requested, pricing_before.talked) == (1, 1)
    assert pages.others is None


def test_outcomes_by_campaign_put_requests_without_one_together(history: Widget) -> None:
    campaigns = sections.outcomes(db.session(), history, WEEK, by="campaign")

    found = [
        (row.current.key, row.current.requested, row.current.agent_reached)
        + (row.current.visitor_reached, row.current.talked)
        for row in campaigns.rows
        if row.current
    ]
    assert found == [(None, 4, 2, 1, 1), ("autumn", 2, 2, 2, 1)]


def test_heat_map_counts_requests_by_local_weekday_and_hour_beside_business_hours(
    history: Widget,
) -> None:
    hours = sections.hours(db.session(), history, WEEK)

    grid = hours.requests.current
    assert sum(map(sum, grid)) == 6
    assert (grid[0][10], grid[1][18], grid[2][11], grid[3][12], grid[5][15]) == (2, 1, 1, 1, 1)
    assert hours.requests.previous[0][10] == 1
    assert hours.open_hours[0][9] and hours.open_hours[4][16]
    assert not hours.open_hours[0][17] and not hours.open_hours[0][8]
    assert not any(hours.open_hours[5]) and not any(hours.open_hours[6])


def test_scheduled_callbacks_kept_within_a_minute_of_the_slot(history: Widget) -> None:
    kept = sections.on_time(db.session(), history, WEEK)

    assert (kept.current.scheduled, kept.current.kept, kept.current.share) == (2, 1, 0.5)
    assert (kept.previous.scheduled, kept.previous.share) == (0, None)


def test_pages_are_kept_as_paths_without_query_or_host(history: Widget) -> None:
    pages = set(db.session().scalars(select(RequestFact.page)))

    assert pages == {"/pricing", "/", "/contact"}


def test_a_period_without_requests_has_no_percentiles_and_empty_rows(history: Widget) -> None:
    empty = Period(date(2025, 1, 1), date(2025, 1, 31))

    waits = figures.waits(db.session(), history, empty, RequestFact.agent_seconds)
    assert (waits.count, waits.median, waits.p90, sum(waits.bins)) == (0, None, None, 0)
    assert figures.agents(db.session(), history, empty) == []
    assert figures.on_time(db.session(), history, empty).share is None


def test_another_widgets_requests_are_not_counted(history: Widget) -> None:
    other = make_widget(name="Other", timezone="Europe/Warsaw")
    store(other, Past(warsaw(23, 10), RequestStatus.CANCELED, "/elsewhere"))

    pages = sections.outcomes(db.session(), history, WEEK, by="page")
    assert "/elsewhere" not in {row.current.key for row in pages.rows if row.current}


def test_backfill_counts_each_ended_request_once(history: Widget) -> None:
    session = db.session()
    session.execute(RequestFact.__table__.delete())
    session.execute(AgentLegFact.__table__.delete())
    session.commit()

    assert facts.backfill(session) == 7
    assert facts.backfill(session) == 0
    assert session.scalar(select(func.count()).select_from(RequestFact)) == 7
    assert session.scalar(select(func.count()).select_from(AgentLegFact)) == 7


def test_an_ending_counts_the_request_once_and_keeps_no_number(app: Flask) -> None:
    session = db.session()
    widget = make_widget(timezone="Europe/Warsaw")
    request = make_request(widget, page_url="https://www.example.com/offer?phone=0207946")
    assert finish(session, request, RequestStatus.FAILED, "no_agent_available")
    session.commit()
    assert not finish(session, request, RequestStatus.EXPIRED, "max_wait_exceeded")
    session.commit()

    fact = session.scalars(select(RequestFact)).one()
    assert (fact.status, fact.page, fact.agent_seconds) == ("failed", "/offer", None)
    stored = " ".join(str(value) for value in session.execute(select(RequestFact)).one())
    assert not text_holds(stored, *number_forms(VISITOR_LANDLINE))
