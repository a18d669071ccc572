"""The reports' figures on the fixed history of tests/report_history.py, checked by hand."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import func, select

from callback import db
from callback.lifecycle.requests import finish
from callback.models import (
    AgentLegFact,
    RequestFact,
    RequestStatus,
    Widget,
)
from callback.privacy.erase import erase_number
from callback.reports import facts, figures, sections
from callback.reports.figures import Funnel
from callback.reports.periods import Period
from tests.factories import VISITOR_LANDLINE, make_request, make_widget
from tests.report_history import WEEK, Past, add_line_history, make_history, store, warsaw
from tests.residue import database_texts, number_forms, text_holds


def _steps(funnel: Funnel) -> tuple[str | None, int, int, int, int]:
    return (
        funnel.key,
        funnel.requested,
        funnel.agent_reached,
        funnel.visitor_reached,
        funnel.talked,
    )


@pytest.fixture
def history(app: Flask) -> Widget:
    return make_history()


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
    assert ada is not None
    assert ben is not None
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

    found = [_steps(row.current) for row in pages.rows if row.current]
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

    found = [_steps(row.current) for row in campaigns.rows if row.current]
    assert found == [(None, 4, 2, 1, 1), ("autumn", 2, 2, 2, 1)]


def test_heat_map_counts_requests_by_local_weekday_and_hour_beside_business_hours(
    history: Widget,
) -> None:
    hours = sections.hours(db.session(), history, WEEK)

    grid = hours.requests.current
    assert sum(map(sum, grid)) == 6
    assert (grid[0][10], grid[1][18], grid[2][11], grid[3][12], grid[5][15]) == (2, 1, 1, 1, 1)
    assert hours.requests.previous[0][10] == 1
    open_hours = hours.open_hours
    assert (open_hours[0][9], open_hours[4][16], open_hours[0][17], open_hours[0][8]) == (
        True,
        True,
        False,
        False,
    )
    assert not any(open_hours[5] + open_hours[6])


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


def test_statistics_survive_a_data_subject_erasure(history: Widget, redis: Redis) -> None:
    session = db.session()
    pending = make_request(history, page_url="https://www.example.com/pricing")
    pending.created_at = warsaw(27, 16)
    session.commit()
    before = sections.outcomes(session, history, WEEK, by="page").total.current

    erase_number(session, redis, VISITOR_LANDLINE, actor="test")
    session.commit()

    after = sections.outcomes(session, history, WEEK, by="page").total.current
    assert after.requested == before.requested + 1  # the erased request ended as canceled
    assert sections.time_to_callback(session, history, WEEK)["agent"].current.median == 40
    for name, text in database_texts(session.connection()):
        if name.startswith("report_"):
            assert not text_holds(text, *number_forms(VISITOR_LANDLINE)), name


def _web_figures(widget: Widget) -> list[object]:
    session = db.session()
    return [
        sections.time_to_callback(session, widget, WEEK),
        sections.outcomes(session, widget, WEEK, by="page"),
        sections.outcomes(session, widget, WEEK, by="campaign"),
        sections.hours(session, widget, WEEK),
        sections.on_time(session, widget, WEEK),
    ]


def test_phone_line_callers_are_not_counted_in_the_web_reports(history: Widget) -> None:
    web_only = _web_figures(history)

    add_line_history(history)

    assert _web_figures(history) == web_only
    assert sections.outcomes(db.session(), history, WEEK, by="page").total.current.requested == 6


def test_phone_line_counts_callers_answers_abandons_and_callbacks(history: Widget) -> None:
    add_line_history(history)

    line = sections.line(db.session(), history, WEEK)

    now = line.current
    assert (now.callers, now.answered, now.abandoned, now.abandon_rate) == (5, 1, 2, 0.4)
    assert (now.offered, now.taken, now.callbacks_completed, now.take_rate) == (3, 2, 1, 2 / 3)
    before = line.previous
    assert (before.callers, before.answered, before.abandoned, before.offered) == (1, 1, 0, 0)


def test_phone_line_of_a_widget_without_callers_is_all_zeros(history: Widget) -> None:
    other = make_widget(name="Other", timezone="Europe/Warsaw")
    add_line_history(other)

    line = sections.line(db.session(), history, WEEK).current
    assert (line.callers, line.offered, line.abandon_rate, line.take_rate) == (0, 0, None, None)
